package org.pgshmem.bench.ipc;

import static org.pgshmem.bench.ipc.Figures.*;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.pgshmem.bench.BenchCluster;

/**
 * Commits with fsync from 1, 2, 4 and 8 processes at once (issue 6), next to this disk's raw
 * fsync rate measured in the same run: how well group commit shares one fsync among the
 * processes that wait for it.
 *
 * <p>Each committer is a child JVM ({@link CommitPeer}) attached to one cluster
 * ({@code fsync=on}, the defaults); it commits in a tight loop for the window. A commit is
 * {@code Wal.insert} of a {@value CommitPeer#COMMIT_PAYLOAD}-byte record and {@code Wal.flush} of
 * its end. The raw fsync is a child writing 8 KiB and calling {@code force(false)} on a file of
 * its own in the data directory, in a loop, alone.
 *
 * <p><b>The fsync-bound ideal</b> for N committers is the raw fsync rate of the same run times N:
 * the WAL is one file written in order, so its fsyncs happen one at a time, and at best every
 * fsync makes the commits of all N processes durable at once (each process has at most one commit
 * waiting). The ratio to it says how much of that group commit achieves. Commits per WAL fsync
 * ({@code Wal.stats()}'s wal_sync over the window, counted by one side) shows the sharing itself:
 * 1 for one process, at most N.
 *
 * <p>This process only conducts: it starts the cluster and the children, and runs
 * {@link TimedRounds}' rounds in an order that rotates from round to round. Run it with
 * {@code bench/run-wal} ({@code --help} lists the options).
 */
public final class CommitScaling extends TimedDriver
{
    private static final String SCRIPT = "run-wal";
    static final List<Integer> DEFAULT_PROCESSES = List.of(1, 2, 4, 8);

    /** One thing measured: the raw fsync, or N committers. */
    private record Setup(String name, String label, String kind, int processes)
    {
    }

    private final List<Setup> setups = new ArrayList<>();
    private final List<PeerProcess> fsyncPeers = new ArrayList<>();
    private final List<PeerProcess> walPeers = new ArrayList<>();
    private final Measured[] measured;

    private CommitScaling(final Options options)
    {
        super(SCRIPT, options);
        setups.add(new Setup("fsync", "raw fsync: 8 KiB write + force(false), 1 process", CommitPeer.FSYNC, 1));
        for (final int n : options.processes)
        {
            setups.add(new Setup("wal-" + n, "commit (insert " + CommitPeer.COMMIT_PAYLOAD + " B + flush), " + n
                + (n == 1 ? " process" : " processes"), CommitPeer.WAL, n));
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
        new CommitScaling(parse(SCRIPT, args, a -> Options.read(new Options(), a), Options::usage)).runAndExit();
    }

    @Override
    void run(final PrintStream out) throws IOException, InterruptedException
    {
        final String loadBefore = Machine.loadAverage();
        final Path controlFile = createWork();
        progress("starting a cluster (fsync=on)");
        cluster = BenchCluster.start(List.of());
        final int most = setups.stream().mapToInt(Setup::processes).max().orElse(1);
        progress("starting the fsync side and " + most + " committers");
        final PeerProcess fsync = PeerProcess.start("fsync", CommitPeer.class, CommitPeer.FSYNC,
            List.of(controlFile.toString(), cluster.dataDir().toString(), "0"), phaseTimeout);
        peers.add(fsync);
        fsyncPeers.add(fsync);
        for (int i = 0; i < most; i++)
        {
            final PeerProcess p = PeerProcess.start("committer " + i, CommitPeer.class, CommitPeer.WAL,
                List.of(controlFile.toString(), cluster.dataDir().toString(), Integer.toString(i)), phaseTimeout);
            peers.add(p);
            walPeers.add(p);
        }
        measure(setups, Setup::label, this::hammer);
        report(out, loadBefore);
    }

    /** One round of one setup; its figures go to round {@code r} (none when negative: the JIT's warm-up). */
    private void hammer(final Setup setup, final double seconds, final int r) throws InterruptedException
    {
        final List<PeerProcess> sides = new ArrayList<>();
        final List<String> args = new ArrayList<>();
        final List<PeerProcess> pool = setup.kind().equals(CommitPeer.FSYNC) ? fsyncPeers : walPeers;
        for (int i = 0; i < setup.processes(); i++)
        {
            sides.add(pool.get(i));
            // the first side counts the WAL's fsyncs in the window
            args.add(i == 0 ? "1" : "0");
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
        printHead(out, "WAL: commits with fsync from 1 to " + walPeers.size() + " processes (issue 6)", loadBefore);
        out.println("- cores busy during a measurement: the setup's committers, which mostly wait for the disk;"
            + " \"CPUs busy\" counts every process of the machine in the windows (/proc/stat): above what the"
            + " committers use is load from elsewhere. With more committers than cores, a committer woken by the end"
            + " of an fsync may have to wait for a core.");
        printRounds(out, "the committers", "setup");
        out.println();
        final Measured raw = measured[0];
        out.println("Operations per second of all sides together, median of " + repeats + " rounds (lowest – highest);"
            + " µs per commit = the time one process takes per commit (processes / rate); ideal = the raw fsync rate"
            + " of the same round × the processes (every WAL fsync makes one commit of each process durable);"
            + " ratio = rate / ideal, by round; commits per WAL fsync = commits / wal_sync in the window; slowest"
            + " process / mean = the commits of the process that made fewest over the mean of all (1: all progressed"
            + " alike; 0: one starved); CPU µs = the committers' CPU time per commit.");
        out.println();
        out.println("| setup | ops/s, total | µs per op, each process | ideal ops/s | ratio to ideal | commits per WAL"
            + " fsync | WAL fsyncs/s | slowest process / mean | CPU µs per op | involuntary switches | CPUs busy |");
        out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (int s = 0; s < setups.size(); s++)
        {
            final Setup setup = setups.get(s);
            final Measured m = measured[s];
            final boolean wal = setup.kind().equals(CommitPeer.WAL);
            final double[] ideal = new double[repeats];
            final double[] ratio = new double[repeats];
            final double[] perSync = new double[repeats];
            final double[] syncRate = new double[repeats];
            for (int r = 0; r < repeats; r++)
            {
                ideal[r] = raw.rates[r] * setup.processes();
                ratio[r] = m.rates[r] / ideal[r];
                perSync[r] = m.syncs[r] == 0 ? Double.NaN : m.ops[r] / (double)m.syncs[r];
                syncRate[r] = m.syncs[r] * 1e9 / m.nanos[r];
            }
            out.println("| " + setup.label()
                + " | " + format("**%,.0f** (%,.0f – %,.0f)", median(m.rates), min(m.rates), max(m.rates))
                + " | " + format("%.0f", setup.processes() * 1e6 / median(m.rates))
                + " | " + (wal ? format("%,.0f", median(ideal)) : "–")
                + " | " + (wal ? format("**%.2f** (%.2f – %.2f)", median(ratio), min(ratio), max(ratio)) : "–")
                + " | " + (wal ? format("%.2f (%.2f – %.2f)", median(perSync), min(perSync), max(perSync)) : "–")
                + " | " + (wal ? format("%,.0f", median(syncRate)) : "–")
                + " | " + (setup.processes() < 2 ? "–"
                    : format("%.2f (%.2f – %.2f)", median(m.fairness), min(m.fairness), max(m.fairness)))
                + " | " + format("%.1f", median(m.cpuPerOp) / 1e3)
                + " | " + m.preempted
                + " | " + format("%.2f", median(m.busy)) + " |");
        }
        out.println();
        out.println("### Goal (issue 6): group commit ≥ 80% of the fsync-bound ideal");
        out.println();
        out.println("| processes | commits/s | ideal (raw fsync/s × N) | ratio | commits per WAL fsync | met |");
        out.println("| ---: | ---: | ---: | ---: | ---: | :---: |");
        for (int s = 1; s < setups.size(); s++)
        {
            final Setup setup = setups.get(s);
            final Measured m = measured[s];
            final double ideal = median(raw.rates) * setup.processes();
            final double ratio = median(m.rates) / ideal;
            long ops = 0;
            long syncs = 0;
            for (int r = 0; r < repeats; r++)
            {
                ops += m.ops[r];
                syncs += m.syncs[r];
            }
            out.println("| " + setup.processes() + " | " + format("%,.0f", median(m.rates)) + " | "
                + format("%,.0f", ideal) + " | " + format("**%.2f**", ratio) + " | "
                + (syncs == 0 ? "–" : format("%.2f", ops / (double)syncs)) + " | " + (ratio >= 0.8 ? "yes" : "no")
                + " |");
        }
        out.println();
    }

    /** One setup's recorded rounds. */
    private static final class Measured
    {
        final double[] rates;
        final long[] ops;
        final long[] syncs;
        final long[] nanos;
        final double[] busy;
        final double[] cpuPerOp;
        /** The fewest commits of one side over the mean of all sides, by round: 1 when all progressed alike. */
        final double[] fairness;
        long preempted;

        Measured(final int rounds)
        {
            rates = new double[rounds];
            ops = new long[rounds];
            syncs = new long[rounds];
            nanos = new long[rounds];
            busy = new double[rounds];
            cpuPerOp = new double[rounds];
            fairness = new double[rounds];
        }

        void record(final int r, final Window window)
        {
            final long total = window.counts().stream().mapToLong(Long::longValue).sum();
            rates[r] = total * 1e9 / window.nanos();
            ops[r] = total;
            syncs[r] = window.extra();
            nanos[r] = window.nanos();
            busy[r] = window.busyCpus();
            cpuPerOp[r] = total == 0 ? Double.NaN : (double)window.cpuNanos() / total;
            final long least = window.counts().stream().mapToLong(Long::longValue).min().orElse(0);
            fairness[r] = total == 0 ? Double.NaN : least * window.counts().size() / (double)total;
            for (int i = 0; i < window.done().size(); i++)
            {
                preempted += window.preemptions(i);
            }
        }
    }

    /** The command line. */
    static final class Options extends TimedOptions
    {
        List<Integer> processes = DEFAULT_PROCESSES;

        static void usage(final PrintStream out)
        {
            usage(out, """
                Usage: CommitScaling [options]      (bench/run-wal runs it)

                Commits (WAL insert of 100 B + flush with fsync) from 1, 2, 4 and 8 child JVMs at once, next to
                the raw fsync rate of this disk measured in the same run; prints commits per second, the ratio
                to the fsync-bound ideal and the commits each WAL fsync made durable.

                  --processes LIST     comma-separated numbers of committers (default 1,2,4,8)""", "setup",
                "the committers");
        }

        @Override
        int own(final String[] args, final int i)
        {
            if (!args[i].equals("--processes"))
            {
                return -1;
            }
            final List<Integer> list = new ArrayList<>();
            for (final String n : value(args, i + 1, args[i]).split(","))
            {
                final int p = positive(n, args[i]);
                if (p > 64)
                {
                    throw new IllegalArgumentException(args[i] + ": at most 64 processes, not " + p);
                }
                list.add(p);
            }
            processes = List.copyOf(list);
            return i + 1;
        }
    }
}
