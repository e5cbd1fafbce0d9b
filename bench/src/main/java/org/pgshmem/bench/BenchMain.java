package org.pgshmem.bench;

import java.util.Collection;
import java.util.List;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * What {@code bench/run} runs: JMH's command line, then the {@linkplain Ratios ratio table} of
 * every pgshmem benchmark against its peer, computed from the results of the same run.
 *
 * <p>Every JMH option passes through and wins. Where the command line is silent, this adds:
 * the benchmarks of {@link #DEFAULT_BENCHMARKS} (when no benchmark pattern is given), the GC
 * profiler (when no profiler is given; it adds allocated bytes per operation), and a JSON
 * result file (property {@code pgshmem.bench.result}, else {@code jmh-result.json}).
 * Iterations, times and forks come from each class's annotations: short, for a 2-core machine.
 *
 * <p>Forked JVMs get this JVM's flags (JMH's default when no {@code -jvmArgs} is given), which
 * is how the project's one list of flags, read by {@code bench/run}, reaches them.
 */
public final class BenchMain
{
    /** The benchmarks a run without a pattern runs. */
    static final List<Class<?>> DEFAULT_BENCHMARKS = List.of(
        AttachBenchmark.class, InitStructLookupBenchmark.class, HashBenchmark.class, LockBenchmark.class,
        BufferBenchmark.class, WalBenchmark.class);

    private BenchMain()
    {
    }

    /**
     * Runs JMH with {@code args} (see {@code -h}) and prints the ratio table.
     *
     * @param args JMH's command-line options
     */
    public static void main(final String[] args)
    {
        final CommandLineOptions cmd;
        try
        {
            cmd = new CommandLineOptions(args);
        }
        catch (final CommandLineOptionException ex)
        {
            System.err.println("Error parsing command line:");
            System.err.println(" " + ex.getMessage());
            System.exit(1);
            return;
        }
        try
        {
            if (cmd.shouldHelp())
            {
                cmd.showHelp();
                return;
            }
            if (cmd.shouldListProfilers())
            {
                cmd.listProfilers();
                return;
            }
            if (cmd.shouldListResultFormats())
            {
                cmd.listResultFormats();
                return;
            }
            final Runner runner = new Runner(withDefaults(cmd).build());
            if (cmd.shouldList())
            {
                runner.list();
                return;
            }
            if (cmd.shouldListWithParams())
            {
                runner.listWithParams(cmd);
                return;
            }
            final Collection<RunResult> results = runner.run();
            Ratios.print(results, System.out);
        }
        catch (final RunnerException ex)
        {
            System.err.print("ERROR: ");
            ex.printStackTrace(System.err);
            System.exit(1);
        }
        catch (final java.io.IOException ex)
        {
            System.err.println("ERROR: " + ex);
            System.exit(1);
        }
    }

    /**
     * The command line with this module's defaults added where it says nothing. Only there: an
     * OptionsBuilder's own values win over its parent's, and the parent here is the command line.
     */
    static ChainedOptionsBuilder withDefaults(final CommandLineOptions cmd)
    {
        final ChainedOptionsBuilder builder = new OptionsBuilder().parent(cmd);
        if (cmd.getIncludes().isEmpty())
        {
            for (final Class<?> type : DEFAULT_BENCHMARKS)
            {
                builder.include("^" + type.getName().replace(".", "\\.") + "\\.");
            }
        }
        if (cmd.getProfilers().isEmpty())
        {
            builder.addProfiler(GCProfiler.class);
        }
        if (!cmd.getResult().hasValue())
        {
            builder.result(System.getProperty("pgshmem.bench.result", "jmh-result.json"));
        }
        if (!cmd.getResultFormat().hasValue())
        {
            builder.resultFormat(ResultFormatType.JSON);
        }
        return builder;
    }
}
