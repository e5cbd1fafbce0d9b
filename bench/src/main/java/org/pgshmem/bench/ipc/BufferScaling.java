package org.pgshmem.bench.ipc;

import static org.pgshmem.bench.ipc.Figures.*;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.pgshmem.backend.Backend;
import org.pgshmem.bench.BenchCluster;
import org.pgshmem.bench.BenchRelation;

/**
 * The shared buffers' hit path in two processes at once (issue 5): how many cached pages per
 * second two backends read together, against one backend alone. Each read is the hit path of
 * {@code BufferBenchmark.hit}: pin, share-lock, read a long, unlock, unpin. The goal: two
 * processes read at least 1.7 times as many pages per second as one.
 *
 * <p>Measured in one run, round by round, in an order that rotates from round to round so that
 * a change in the machine's load falls on all of them:
 * <ul>
 *   <li>one backend reading the {@value #BLOCKS} pages of relation A, over and over;</li>
 *   <li>two backends (two JVMs) reading the same {@value #BLOCKS} pages: the case, where
 *       both write the same buffer headers and content-lock words;</li>
 *   <li>two backends, each reading the {@value #BLOCKS} pages of a relation of its own (A and B):
 *       what scaling looks like when no line is written by both;</li>
 *   <li>the peer, a {@code ConcurrentHashMap<Tag, byte[]>} of the same pages ({@code PageCache}),
 *       read by one and by two threads of one JVM: the in-process lower bound, reads that write
 *       nothing.</li>
 * </ul>
 *
 * <p>This process only conducts: it starts a cluster ({@code shared_buffers} =
 * {@value #SHARED_BUFFERS}), creates the relations, starts the {@link BufferPeer}s and runs
 * {@link TimedRounds}' rounds: each side counts the reads it made in a window this process opens
 * and closes, so the counts of both sides cover the same window.
 *
 * <p>Run it with {@code bench/run-buffers} ({@code --help} lists the options).
 */
public final class BufferScaling extends TimedDriver
{
    static final int RELATION_A = 16384;
    static final int RELATION_B = 16385;
    static final int BLOCKS = 64;
    static final int SHARED_BUFFERS = 256;

    private static final String SCRIPT = "run-buffers";
    private static final String SIDE_A = "A";
    private static final String SIDE_B = "B";
    /** The map's process: one JVM, one or two threads. */
    private static final String SIDE_C = "C";

    /** One side of a setup: a child, the relation it reads and with how many threads. */
    private record Side(String child, int relation, int threads)
    {
    }

    /** One thing measured: a name for the options, a label for the tables, its sides. */
    private record Setup(String name, String label, List<Side> sides)
    {
        int threads()
        {
            return sides.stream().mapToInt(Side::threads).sum();
        }
    }

    private static final List<Setup> SETUPS = List.of(
        new Setup("pgshmem-1", "pgshmem, 1 process", List.of(new Side(SIDE_A, RELATION_A, 1))),
        new Setup("pgshmem-2-same", "pgshmem, 2 processes, the same " + BLOCKS + " pages",
            List.of(new Side(SIDE_A, RELATION_A, 1), new Side(SIDE_B, RELATION_A, 1))),
        new Setup("pgshmem-2-own", "pgshmem, 2 processes, " + BLOCKS + " pages each",
            List.of(new Side(SIDE_A, RELATION_A, 1), new Side(SIDE_B, RELATION_B, 1))),
        new Setup("chm-1", "ConcurrentHashMap, 1 thread", List.of(new Side(SIDE_C, RELATION_A, 1))),
        new Setup("chm-2", "ConcurrentHashMap, 2 threads of 1 process", List.of(new Side(SIDE_C, RELATION_A, 2))));

    static final List<String> ALL_SETUPS = SETUPS.stream().map(Setup::name).toList();

    private final List<Setup> setups = new ArrayList<>();
    /** The children's names, in the order of {@link #peers}. */
    private final List<String> childNames = new ArrayList<>();
    private final Measured[] measured;

    private BufferScaling(final Options options)
    {
        super(SCRIPT, options);
        for (final String name : options.setups)
        {
            setups.add(SETUPS.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow());
        }
        measured = new Measured[setups.size()];
        for (int s = 0; s < measured.length; s++)
        {
            measured[s] = new Measured(options.repeats);
        }
    }

    /**
     * Runs the benchmark and prints its tables to stdout, progress to stderr. Exit code 0 when it
     * ran, 1 when it failed, 2 for a bad option (0 after {@code --help}).
     *
     * @param args options; {@code --help} lists them
     */
    public static void main(final String[] args)
    {
        new BufferScaling(parse(SCRIPT, args, a -> Options.read(new Options(), a), Options::usage)).runAndExit();
    }

    @Override
    void run(final PrintStream out) throws IOException, InterruptedException
    {
        final String loadBefore = Machine.loadAverage();
        final Path controlFile = createWork();
        progress("starting a cluster (shared_buffers=" + SHARED_BUFFERS + ") and creating two relations of " + BLOCKS
            + " blocks");
        cluster = BenchCluster.start(List.of("shared_buffers=" + SHARED_BUFFERS));
        try (Backend backend = Backend.attach(cluster.dataDir()))
        {
            BenchRelation.create(backend, RELATION_A, BLOCKS);
            BenchRelation.create(backend, RELATION_B, BLOCKS);
        }
        for (final String child : List.of(SIDE_A, SIDE_B, SIDE_C))
        {
            if (setups.stream().anyMatch(s -> s.sides().stream().anyMatch(side -> side.child().equals(child))))
            {
                progress("starting side " + child);
                peers.add(PeerProcess.start("side " + child, BufferPeer.class,
                    child.equals(SIDE_C) ? BufferPeer.CHM : BufferPeer.PGSHMEM,
                    List.of(controlFile.toString(), cluster.dataDir().toString(), Integer.toString(BLOCKS),
                        Integer.toString(RELATION_A), Integer.toString(RELATION_B)),
                    phaseTimeout));
                childNames.add(child);
            }
        }
        measure(setups, Setup::label, this::hammer);
        report(out, loadBefore);
    }

    /** One round of one setup; its figures go to round {@code r} (none when negative: the JIT's warm-up). */
    private void hammer(final Setup setup, final double seconds, final int r) throws InterruptedException
    {
        final List<PeerProcess> sides = new ArrayList<>();
        final List<String> args = new ArrayList<>();
        for (final Side side : setup.sides())
        {
            sides.add(peers.get(childNames.indexOf(side.child())));
            args.add(side.relation() + " " + side.threads());
        }
        final Window window = round(setup.name(), sides, args, seconds);
        if (r >= 0)
        {
            measured[setups.indexOf(setup)].record(r, window);
        }
    }

    // ---------------------------------------------------------------------------------------------- report

    private void report(final PrintStream out, final String loadBefore)
    {
        printHead(out, "Shared buffers: the hit path in two processes at once (issue 5)", loadBefore);
        out.println("- cores busy during a measurement: the setup's looping threads (one or two), beside the cluster"
            + " (postmaster, bgwriter, checkpointer; idle), the heartbeat threads of the attached sides and the idle"
            + " sides (blocked reading their stdin); \"CPUs busy\" counts every process of the machine in the windows"
            + " (/proc/stat): above the setup's threads is load from elsewhere");
        printRounds(out, "the sides", "setup");
        out.println();
        out.println("Reads per second of all sides together, median of " + repeats + " rounds (lowest –"
            + " highest); ns per read = the time one thread takes per read (threads / rate); CPU ns per read = the"
            + " looping threads' CPU time / their reads (what a read costs, without the time a thread was preempted);"
            + " side A's share of the reads; involuntary switches of the looping threads in the windows (Linux's"
            + " nonvoluntary_ctxt_switches: preemptions); CPUs busy in the windows, median.");
        out.println();
        out.println("| setup | M reads/s, total | ns per read, each thread | CPU ns per read | side A's share |"
            + " involuntary switches | CPUs busy | bytes allocated per read |");
        out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (int s = 0; s < setups.size(); s++)
        {
            final Setup setup = setups.get(s);
            final Measured m = measured[s];
            out.println("| " + setup.label()
                + " | " + format("**%.2f** (%.2f – %.2f)", median(m.rates) / 1e6, min(m.rates) / 1e6, max(m.rates) / 1e6)
                + " | " + format("**%.1f**", setup.threads() * 1e9 / median(m.rates))
                + " | " + format("%.1f (%.1f – %.1f)", median(m.cpuPerRead), min(m.cpuPerRead), max(m.cpuPerRead))
                + " | " + (setup.sides().size() < 2 ? "–"
                    : format("%.0f%% (%.0f – %.0f)", 100 * median(m.shares), 100 * min(m.shares), 100 * max(m.shares)))
                + " | " + (setup.sides().size() < 2 ? Long.toString(m.preempted[0])
                    : m.preempted[0] + " / " + m.preempted[1])
                + " | " + format("%.2f", median(m.busy))
                + " | " + format("%.2f", m.reads == 0 ? 0 : (double)m.allocated / m.reads) + " |");
        }
        out.println();
        final List<String> rows = new ArrayList<>();
        ratio(rows, "pgshmem-2-same", "pgshmem-1", true, "**≥ 1.7**");
        ratio(rows, "pgshmem-2-own", "pgshmem-1", true, "–");
        ratio(rows, "chm-2", "chm-1", true, "–");
        ratio(rows, "pgshmem-1", "chm-1", false, "**≤ 3**");
        if (!rows.isEmpty())
        {
            out.println("### Ratios (medians of the rounds' rates; by round: lowest – highest)");
            out.println();
            out.println("| what | measured | goal |");
            out.println("| --- | ---: | --- |");
            rows.forEach(out::println);
            out.println();
        }
    }

    /**
     * A row: {@code a}'s rate over {@code b}'s (a scaling), or, when {@code scaling} is false,
     * {@code a}'s time per read over {@code b}'s (a cost ratio).
     */
    private void ratio(final List<String> rows, final String a, final String b, final boolean scaling,
        final String goal)
    {
        final int i = index(a);
        final int j = index(b);
        if (i < 0 || j < 0)
        {
            return;
        }
        final double[] x = scaling ? measured[i].rates : measured[j].rates;
        final double[] y = scaling ? measured[j].rates : measured[i].rates;
        final double[] byRound = new double[repeats];
        for (int r = 0; r < byRound.length; r++)
        {
            byRound[r] = x[r] / y[r];
        }
        rows.add("| " + (scaling ? "scaling: " + setups.get(i).label() + " / " + setups.get(j).label()
            : "time per read: " + setups.get(i).label() + " / " + setups.get(j).label())
            + " | " + format("**%.2f%s** (%.2f – %.2f)", median(x) / median(y), scaling ? "×" : "", min(byRound),
                max(byRound))
            + " | " + goal + " |");
    }

    private int index(final String name)
    {
        for (int s = 0; s < setups.size(); s++)
        {
            if (setups.get(s).name().equals(name))
            {
                return s;
            }
        }
        return -1;
    }

    /** One setup's recorded rounds. */
    private static final class Measured
    {
        /** Reads per second of all sides together, by round. */
        final double[] rates;
        /** Side A's share of the reads (NaN with one side), by round. */
        final double[] shares;
        /** CPUs busy in the window, all processes of the machine, by round. */
        final double[] busy;
        /** CPU time of the looping threads per read, in nanoseconds, by round. */
        final double[] cpuPerRead;
        final long[] preempted = new long[2];
        long reads;
        long allocated;

        Measured(final int rounds)
        {
            rates = new double[rounds];
            shares = new double[rounds];
            busy = new double[rounds];
            cpuPerRead = new double[rounds];
        }

        void record(final int r, final Window window)
        {
            final List<Long> counts = window.counts();
            final long total = counts.stream().mapToLong(Long::longValue).sum();
            rates[r] = total * 1e9 / window.nanos();
            shares[r] = window.done().size() < 2 || total == 0 ? Double.NaN : (double)window.count(0) / total;
            busy[r] = window.busyCpus();
            cpuPerRead[r] = total == 0 ? Double.NaN : (double)window.cpuNanos() / total;
            reads += total;
            allocated += window.allocatedBytes();
            for (int i = 0; i < window.done().size(); i++)
            {
                preempted[i] += window.preemptions(i);
            }
        }
    }

    /** The command line. */
    static final class Options extends TimedOptions
    {
        List<String> setups = ALL_SETUPS;

        static void usage(final PrintStream out)
        {
            usage(out, """
                Usage: bench/run-buffers [options]

                The shared buffers' hit path (pin, share-lock, read a long, unlock, unpin) in one backend and
                in two backends (two JVMs) at once, next to a ConcurrentHashMap page cache read by one and by
                two threads; prints reads per second, the scaling from one to two, and the ratio to the map.
                Defaults take about a minute on 2 cores.

                  --setups LIST        comma-separated, in this order by default:
                                       pgshmem-1,pgshmem-2-same,pgshmem-2-own,chm-1,chm-2
                                       (-same: both backends read the same 64 pages; -own: 64 pages each;
                                       chm: ConcurrentHashMap, 1 or 2 threads of one process)""", "setup", "the sides");
        }

        @Override
        int own(final String[] args, final int i)
        {
            if (!args[i].equals("--setups"))
            {
                return -1;
            }
            setups = names(value(args, i + 1, args[i]), ALL_SETUPS, args[i], "setup");
            return i + 1;
        }
    }
}
