package org.pgshmem.postmaster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The command line of a child JVM: this JVM's java, the project's one list of JVM flags
 * (from the parent pom, filtered into {@code org/pgshmem/jvm.options}), this JVM's class path.
 */
public final class ChildJvm
{
    private static final List<String> FLAGS = loadFlags();

    private ChildJvm()
    {
    }

    private static List<String> loadFlags()
    {
        final List<String> flags = new ArrayList<>();
        try (InputStream in = ChildJvm.class.getResourceAsStream("/org/pgshmem/jvm.options"))
        {
            if (in == null)
            {
                throw new IllegalStateException("org/pgshmem/jvm.options is missing from the class path");
            }
            final String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            if (text.contains("${"))
            {
                throw new IllegalStateException("org/pgshmem/jvm.options was not filtered by the build: " + text);
            }
            flags.addAll(Arrays.asList(text.split("\\s+")));
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("could not read org/pgshmem/jvm.options", ex);
        }
        if (Runtime.version().feature() >= 24)
        {
            flags.add("--sun-misc-unsafe-memory-access=allow");
        }
        for (final String property : List.of("jna.tmpdir", "java.io.tmpdir"))
        {
            final String value = System.getProperty(property);
            if (value != null)
            {
                flags.add("-D" + property + "=" + value);
            }
        }
        return List.copyOf(flags);
    }

    /** The JVM flags every JVM of the project runs with. */
    public static List<String> flags()
    {
        return FLAGS;
    }

    /** The java executable of this JVM. */
    public static String java()
    {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * {@code java <flags> <extraFlags> -cp <this class path> <mainClass> <args>}.
     */
    public static List<String> command(final List<String> extraFlags, final String mainClass, final List<String> args)
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.addAll(FLAGS);
        cmd.addAll(extraFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }
}
