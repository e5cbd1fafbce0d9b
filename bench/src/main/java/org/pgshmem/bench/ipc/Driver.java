package org.pgshmem.bench.ipc;

import static org.pgshmem.bench.ipc.Figures.format;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

import org.pgshmem.bench.BenchCluster;
import org.pgshmem.util.DurableFiles;

/**
 * The frame of a driver between processes ({@code bench/run-messaging}, {@code bench/run-locks}):
 * options that fail with exit code 2, a run whose failure is exit code 1, progress on stderr, a
 * report head that says where and when it ran, and a clean-up that leaves nothing behind. The
 * clean-up stops the children, then the cluster (if the driver started one), then removes the
 * work directory, each step whatever the others did; a shutdown hook kills the children and
 * removes the directory if the JVM exits first (an interrupt, a kill).
 */
abstract class Driver
{
    final PrintStream log = System.err;
    final long began = System.nanoTime();
    /** The script's name under bench/, for messages. */
    final String script;
    private final String[] args;
    /** The run's files, once made. */
    Path work;
    /** The throwaway cluster, once started. */
    BenchCluster cluster;
    private boolean cleanedUp;

    /** A driver run by {@code bench/<script>} with {@code args}. */
    Driver(final String script, final String[] args)
    {
        this.script = script;
        this.args = args.clone();
    }

    /**
     * The options {@code parse} makes of the command line {@code args}. With {@code -h} or
     * {@code --help} among them, prints {@code usage} and ends the JVM with exit code 0; a bad
     * option ends it with exit code 2 and the parser's message.
     */
    static <O> O parse(final String script, final String[] args, final Function<String[], O> parse,
        final Consumer<PrintStream> usage)
    {
        if (List.of(args).contains("-h") || List.of(args).contains("--help"))
        {
            usage.accept(System.out);
            System.exit(0);
        }
        try
        {
            return parse.apply(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println(script + ": " + ex.getMessage());
            System.err.println("Try \"bench/" + script + " --help\".");
            System.exit(2);
            throw ex;
        }
    }

    /** Measures and prints the report to {@code out}. */
    abstract void run(PrintStream out) throws Exception;

    /**
     * The shutdown hook's part: kill the children now, without asking; unmap nothing (the main
     * thread may still read the mappings).
     */
    abstract void killChildren();

    /** The clean-up's first step: stop the children and release what this process holds (attachments, mappings). */
    abstract void stopChildren();

    /**
     * Runs the driver and ends the JVM: exit code 0 when it ran (whatever its figures say), 1
     * when it failed.
     */
    final void runAndExit()
    {
        int rc = 0;
        final Thread hook = new Thread(this::onExit, "pgshmem-bench-" + script + "-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try
        {
            run(System.out);
        }
        catch (final Exception ex)
        {
            System.err.println(script + ": the benchmark failed: " + ex);
            ex.printStackTrace();
            rc = 1;
        }
        finally
        {
            cleanUp();
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException ex)
            {
                // the JVM is already exiting (a signal): the hook has run or is running
            }
        }
        System.exit(rc);
    }

    /** The head of the report: its title, the command, the machine and the load before and now. */
    final void printHead(final PrintStream out, final String title, final String loadBefore)
    {
        out.println();
        out.println("## " + title);
        out.println();
        out.println("- command: `bench/" + script + (args.length == 0 ? "" : " " + String.join(" ", args)) + "`");
        out.println("- machine: " + Machine.describe());
        out.println("- load average (1, 5, 15 min) before: " + loadBefore + "; after: " + Machine.loadAverage());
    }

    /** Seconds since the driver began. */
    final long elapsedSeconds()
    {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began);
    }

    /** A line of progress on stderr. */
    final void progress(final String what)
    {
        log.println(format("[%4d s] %s", elapsedSeconds(), what));
    }

    private void onExit()
    {
        synchronized (this)
        {
            if (cleanedUp)
            {
                return;
            }
        }
        killChildren();
        deleteWork();
    }

    private synchronized void cleanUp()
    {
        if (cleanedUp)
        {
            return;
        }
        cleanedUp = true;
        try
        {
            stopChildren();
        }
        catch (final RuntimeException ex)
        {
            log.println(script + ": could not stop the child processes: " + ex);
        }
        if (cluster != null)
        {
            cluster.stop();
        }
        deleteWork();
    }

    private void deleteWork()
    {
        if (work != null && Files.exists(work))
        {
            try
            {
                DurableFiles.deleteTree(work);
            }
            catch (final IOException | RuntimeException ex)
            {
                log.println(script + ": could not remove \"" + work + "\": " + ex);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- options

    /** The value after option {@code args[i - 1]}. */
    static String value(final String[] args, final int i, final String option)
    {
        if (i >= args.length)
        {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /**
     * The comma-separated {@code what}s in {@code value}, the value of {@code option}: each one of
     * {@code known}, none twice.
     */
    static List<String> names(final String value, final List<String> known, final String option, final String what)
    {
        final List<String> names = List.of(value.split(","));
        for (final String name : names)
        {
            if (!known.contains(name))
            {
                throw new IllegalArgumentException("unknown " + what + " \"" + name + "\" (known: "
                    + String.join(", ", known) + ")");
            }
        }
        if (names.size() != Set.copyOf(names).size())
        {
            throw new IllegalArgumentException("a " + what + " is named twice in " + option);
        }
        return names;
    }

    /** A number of seconds above 0 and at most an hour, the value of {@code option}. */
    static double seconds(final String text, final String option)
    {
        final double value;
        try
        {
            value = Double.parseDouble(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(option + ": \"" + text + "\" is not a number");
        }
        if (!(value > 0) || value > 3600)
        {
            throw new IllegalArgumentException(option + ": " + text + " is out of range (above 0, at most 3600)");
        }
        return value;
    }

    /** A whole number from 1 to {@link Integer#MAX_VALUE}; it may contain underscores (20_000_000). */
    static int positive(final String text, final String option)
    {
        final long n;
        try
        {
            n = Long.parseLong(text.replace("_", ""));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(option + ": \"" + text + "\" is not a number");
        }
        if (n < 1 || n > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException(option + ": " + text + " is out of range (1 to "
                + Integer.MAX_VALUE + ")");
        }
        return (int)n;
    }
}
