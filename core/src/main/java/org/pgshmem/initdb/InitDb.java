package org.pgshmem.initdb;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import org.pgshmem.control.ControlFile;
import org.pgshmem.control.DbState;
import org.pgshmem.crypto.WalEncryption;
import org.pgshmem.module.BootstrapContext;
import org.pgshmem.module.Modules;
import org.pgshmem.module.ShmemModule;
import org.pgshmem.postmaster.DataDirectory;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.util.DurableFiles;
import org.pgshmem.util.PgException;

/**
 * initdb: makes a new data directory: the directory (0700), its subdirectories,
 * {@code pgshmem.conf}, the control file, then every enabled module's bootstrap. A directory
 * that exists and is not empty is refused untouched; a failure part-way removes what was made.
 */
public final class InitDb
{
    /** Subdirectories of a new data directory. */
    static final List<String> SUBDIRECTORIES = List.of("global", "base", "wal", "clog", "shm", "log");

    private InitDb()
    {
    }

    /**
     * Creates the cluster in {@code dir} with {@code settings} ({@code name=value}) written to its
     * pgshmem.conf; returns its system identifier.
     */
    public static long run(final Path dir, final List<String> settingOverrides, final PrintStream out)
    {
        return run(dir, settingOverrides, null, out);
    }

    /**
     * As {@link #run(Path, List, PrintStream)}, with WAL encryption when {@code encryptionKeyFile}
     * is not null: its absolute path is recorded as {@code encryption_key_file}, and the file is
     * checked before anything is made.
     */
    public static long run(final Path dir, final List<String> settingOverrides, final Path encryptionKeyFile,
        final PrintStream out)
    {
        final Path path = dir.toAbsolutePath().normalize();
        Settings settings = Settings.defaults().withOverrides(settingOverrides);
        if (encryptionKeyFile != null)
        {
            settings = settings.with(WalEncryption.SETTING, encryptionKeyFile.toAbsolutePath().normalize().toString());
        }
        WalEncryption.checkKeyFile(path, settings);
        final Modules modules = Modules.load(settings);
        // every module checks its settings as it sizes itself: refuse bad ones before making anything
        final long segmentSize = modules.calculateShmemSize(settings);
        if (segmentSize > ShmemSegment.MAX_SIZE)
        {
            throw new PgException("these settings need a shared memory segment of " + segmentSize + " bytes",
                "The largest segment is " + ShmemSegment.MAX_SIZE + " bytes.",
                "Lower shared_buffers, max_connections, max_locks_per_transaction or inbox_size.");
        }

        final boolean existed = Files.exists(path);
        if (existed)
        {
            if (!Files.isDirectory(path))
            {
                throw new PgException("\"" + path + "\" exists but is not a directory");
            }
            try (Stream<Path> entries = Files.list(path))
            {
                if (entries.findAny().isPresent())
                {
                    throw new PgException("directory \"" + path + "\" exists but is not empty", null,
                        "If you want to create a new database system, either remove or empty the directory \""
                            + path + "\" or run initdb with an argument other than \"" + path + "\".");
                }
            }
            catch (final IOException ex)
            {
                throw new PgException("could not access directory \"" + path + "\": " + ex.getMessage());
            }
        }

        out.println("The files belonging to this database system will be owned by user \""
            + System.getProperty("user.name") + "\".");
        out.println("This user must also own the server process.");
        out.println();
        boolean done = false;
        try
        {
            if (existed)
            {
                out.print("fixing permissions on existing directory " + path + " ... ");
                Files.setPosixFilePermissions(path, DurableFiles.DIR_MODE);
            }
            else
            {
                out.print("creating directory " + path + " ... ");
                DurableFiles.createDirectory(path);
            }
            out.println("ok");
            out.print("creating subdirectories ... ");
            for (final String sub : SUBDIRECTORIES)
            {
                Files.createDirectory(path.resolve(sub), PosixFilePermissions.asFileAttribute(DurableFiles.DIR_MODE));
            }
            out.println("ok");
            out.print("writing configuration file ... ");
            DurableFiles.write(path.resolve(Settings.CONFIG_FILE),
                Settings.sampleFile(settings).getBytes(StandardCharsets.UTF_8));
            out.println("ok");
            out.print("writing control file ... ");
            final long sysid = ControlFile.newSystemIdentifier();
            new ControlFile(sysid, DbState.SHUT_DOWN).write(path);
            out.println("ok (system identifier " + Long.toUnsignedString(sysid) + ")");
            out.print("running bootstrap of modules");
            final BootstrapContext context = new BootstrapContext(path, settings, sysid);
            for (final ShmemModule module : modules.list())
            {
                out.print(" " + module.name());
            }
            out.print(" ... ");
            modules.bootstrap(context);
            out.println("ok");
            DurableFiles.fsyncDirectory(path);
            out.println();
            out.println("Success. You can now start the database server using:");
            out.println();
            out.println("    bin/pgshmem start -D " + path);
            out.println();
            done = true;
            return sysid;
        }
        catch (final IOException ex)
        {
            out.println();
            throw new PgException("could not create the data directory \"" + path + "\": " + ex, null, null, ex);
        }
        finally
        {
            if (!done)
            {
                removeWhatWasMade(path, existed, out);
            }
        }
    }

    private static void removeWhatWasMade(final Path path, final boolean existed, final PrintStream out)
    {
        try
        {
            if (existed)
            {
                out.println("initdb: removing contents of data directory \"" + path + "\"");
                try (Stream<Path> entries = Files.list(path))
                {
                    for (final Path p : entries.toList())
                    {
                        DurableFiles.deleteTree(p);
                    }
                }
            }
            else
            {
                out.println("initdb: removing data directory \"" + path + "\"");
                DurableFiles.deleteTree(path);
            }
        }
        catch (final IOException ex)
        {
            out.println("initdb: failed to remove " + path + ": " + ex.getMessage());
        }
    }

    /** Whether {@code dir} looks like a data directory initdb made. */
    public static boolean isDataDirectory(final Path dir)
    {
        return Files.exists(dir.resolve(ControlFile.PATH)) && Files.exists(dir.resolve(Settings.CONFIG_FILE))
            && Files.isDirectory(DataDirectory.of(dir).path());
    }
}
