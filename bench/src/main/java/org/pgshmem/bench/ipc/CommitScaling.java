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
 * Commits with fsync from 1, 2, 4 and 8 processes at once (issue 6), next to this disk's raw
 * fsync rate measured in the same run: how well group commit shares one fsync among the
 * processes that wait for it.
 *
 * <p>Each committer is a child JVM ({@link CommitPeer}) attached to one cluster ({@code fsync=on}
 * and {@code synchronous_commit=on}, the defaults; {@code checkpoint_timeout} at its largest so
 * that no checkpoint falls into a window); it commits in a tight loop for the window. A commit is
 * a transaction ({@code xact}: begin, one write of {@value CommitPeer#COMMIT_PAYLOAD} bytes to a
 * block of its own, commit) or the WAL's part of one alone ({@code wal}: {@code Wal.insert} of a
 * {@value CommitPeer#COMMIT_PAYLOAD}-byte record and {@code Wal.flush} of its end). The raw fsync
 * is a child writing 8 KiB and calling {@code force(false)} on a file of its own in the data
 * directory, in a loop, alone.
 *
 * <p><b>The fsync-bound ideal</b> for N committers is the raw fsync rate, measured by a window of
 * its own right before each commit window, times N:
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
    /** The longest raw fsync window before a commit window: thousands of fsyncs, enough for a rate. */
    static final double PAIRED_SECONDS = 0.5;

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
        for (final String mode : options.modes)
        {
            for (final int n : options.processes)
            {
                setups.add(new Setup(mode + "-" + n, modeLabel(mode) + ", " + n + (n == 1 ? " process" : " processes"),
                    mode, n));
            }
        }
        measured = new Measured[setups.size()];
        for (int s = 0; s < measured.length; s++)
        {
            measured[s] = new Measured(options.repeats);
        }
    }

    private static String modeLabel(final String mode)
    {
        return switch (mode)
        {
            case CommitPeer.XACT -> "transaction (begin, write " + CommitPeer.COMMIT_PAYLOAD + " B, commit)";
            case CommitPeer.WAL -> "WAL alone (insert " + CommitPeer.COMMIT_PAYLOAD + " B + flush)";
            default -> "experiment: WAL alone, flush or wait as PostgreSQL";
        };
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
        cluster = BenchCluster.start(List.of("checkpoint_timeout=86400"));
        final int most = setups.stream().mapToInt(Setup::processes).max().orElse(1);
        try (Backend backend = Backend.attach(cluster.dataDir()))
        {
            // a block for each committer's transactions
            BenchRelation.create(backend, CommitPeer.RELATION, most);
        }
        progress("starting the fsync side and " + most + " committers");
        final PeerProcess fsync = PeerProcess.start("fsync", CommitPeer.class, CommitPeer.FSYNC,
            List.of(controlFile.toString(), cluster.dataDir().toString(), "0"), phaseTimeout);
        peers.add(fsync);
        fsyncPeers.add(fsync);
        for (int i = 0; i < most; i++)
        {
            final PeerProcess p = PeerProcess.start("committer " + i, CommitPeer.class, CommitPeer.BACKEND,
                List.of(controlFile.toString(), cluster.dataDir().toString(), Integer.toString(i)), phaseTimeout);
            peers.add(p);
            walPeers.add(p);
        }
        measure(setups, Setup::label, this::hammer);
        report(out, loadBefore);
    }

    /**
     * One round of one setup; its figures go to round {@code r} (none when negative: the JIT's
     * warm-up). A commit setup's round is preceded by a raw fsync window (half its length, at most
     * {@value #PAIRED_SECONDS} s), so that its ideal comes from the disk as it was moments before,
     * not minutes.
     */
    private void hammer(final Setup setup, final double seconds, final int r) throws InterruptedException
    {
        final boolean commits = !setup.kind().equals(CommitPeer.FSYNC);
        Window paired = null;
        if (commits)
        {
            paired = round("fsync before " + setup.name(), fsyncPeers, List.of(CommitPeer.FSYNC + " 0"),
                Math.min(seconds / 2, PAIRED_SECONDS));
        }
        final List<PeerProcess> sides = new ArrayList<>();
        final List<String> args = new ArrayList<>();
        final List<PeerProcess> pool = commits ? walPeers : fsyncPeers;
        for (int i = 0; i < setup.processes(); i++)
        {
            sides.add(pool.get(i));
            // the first side counts the WAL's fsyncs in the window
            args.add(setup.kind() + (i == 0 ? " 1" : " 0"));
        }
        final Window window = round(setup.name(), sides, args, seconds);
        if (r >= 0)
        {
            final Measured m = measured[setups.indexOf(setup)];
            m.record(r, window);
            if (paired != null)
            {
                m.pairedFsync[r] = paired.counts().get(0) * 1e9 / paired.nanos();
            }
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
        out.println("- each commit setup's window is preceded by a raw fsync window (half its length, at most "
            + PAIRED_SECONDS + " s; the same child as the raw fsync row): that round's ideal is this paired fsync rate"
            + " × the processes");
        out.println();
        out.println("Operations per second of all sides together, median of " + repeats + " rounds (lowest – highest);"
            + " µs per op = the time one process takes per operation (processes / rate); paired fsync/s = the raw"
            + " fsync rate measured just before the window; ideal = paired fsync/s × processes (every WAL fsync makes"
            + " one commit of each process durable); ratio = rate / ideal, by round; commits per WAL fsync = commits"
            + " / wal_sync in the window; slowest process / mean = the commits of the process that made fewest over"
            + " the mean of all (1: all progressed alike; 0: one starved); CPU µs = the sides' CPU time per"
            + " operation.");
        out.println();
        out.println("| setup | ops/s, total | µs per op, each process | paired fsync/s | ratio to ideal | commits per"
            + " WAL fsync | WAL fsyncs/s | slowest process / mean | CPU µs per op | involuntary switches | CPUs busy |");
        out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (int s = 0; s < setups.size(); s++)
        {
            final Setup setup = setups.get(s);
            final Measured m = measured[s];
            final boolean commits = !setup.kind().equals(CommitPeer.FSYNC);
            out.println("| " + setup.label()
                + " | " + format("**%,.0f** (%,.0f – %,.0f)", median(m.rates), min(m.rates), max(m.rates))
                + " | " + format("%.0f", setup.processes() * 1e6 / median(m.rates))
                + " | " + (commits ? format("%,.0f (%,.0f – %,.0f)", median(m.pairedFsync), min(m.pairedFsync),
                    max(m.pairedFsync)) : "–")
                + " | " + (commits ? rangeOf("**%.2f** (%.2f – %.2f)", m.ratios(setup.processes())) : "–")
                + " | " + (commits ? rangeOf("%.2f (%.2f – %.2f)", m.perSync()) : "–")
                + " | " + (commits ? format("%,.0f", median(m.syncRates())) : "–")
                + " | " + (setup.processes() < 2 ? "–" : rangeOf("%.2f (%.2f – %.2f)", m.fairness))
                + " | " + format("%.1f", median(m.cpuPerOp) / 1e3)
                + " | " + m.preempted
                + " | " + format("%.2f", median(m.busy)) + " |");
        }
        out.println();
        out.println("### Goal (issue 6): group commit ≥ 80% of the fsync-bound ideal");
        out.println();
        out.println("Ratio = commits/s over (the paired raw fsync rate × N), median of the rounds' ratios; commits per"
            + " WAL fsync over all rounds.");
        out.println();
        out.println("| commit | processes | commits/s | ideal (raw fsync/s × N) | ratio | commits per WAL fsync | met |");
        out.println("| --- | ---: | ---: | ---: | ---: | ---: | :---: |");
        for (int s = 1; s < setups.size(); s++)
        {
            final Setup setup = setups.get(s);
            final Measured m = measured[s];
            final double ratio = median(m.ratios(setup.processes()));
            long ops = 0;
            long syncs = 0;
            for (int r = 0; r < repeats; r++)
            {
                ops += m.ops[r];
                syncs += m.syncs[r];
            }
            out.println("| " + (setup.kind().equals(CommitPeer.XACT) ? "transaction"
                : setup.kind().equals(CommitPeer.WAL) ? "WAL alone" : "experiment: flush or wait") + " | "
                + setup.processes() + " | " + format("%,.0f", median(m.rates)) + " | "
                + format("%,.0f", median(m.pairedFsync) * setup.processes()) + " | " + format("**%.2f**", ratio) + " | "
                + (syncs == 0 ? "–" : format("%.2f", ops / (double)syncs)) + " | " + (ratio >= 0.8 ? "yes" : "no")
                + " |");
        }
        out.println();
    }

    private static String rangeOf(final String pattern, final double[] values)
    {
        return format(pattern, median(values), min(values), max(values));
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
        /** The raw fsync rate of the window just before this one, by round (commit setups only). */
        final double[] pairedFsync;
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
            pairedFsync = new double[rounds];
        }

        /** Rate over the paired fsync rate × {@code processes}, by round. */
        double[] ratios(final int processes)
        {
            final double[] ratios = new double[rates.length];
            for (int r = 0; r < ratios.length; r++)
            {
                ratios[r] = rates[r] / (pairedFsync[r] * processes);
            }
            return ratios;
        }

        /** Commits per WAL fsync, by round. */
        double[] perSync()
        {
            final double[] perSync = new double[rates.length];
            for (int r = 0; r < perSync.length; r++)
            {
                perSync[r] = syncs[r] == 0 ? Double.NaN : ops[r] / (double)syncs[r];
            }
            return perSync;
        }

        /** WAL fsyncs per second, by round. */
        double[] syncRates()
        {
            final double[] syncRates = new double[rates.length];
            for (int r = 0; r < syncRates.length; r++)
            {
                syncRates[r] = syncs[r] * 1e9 / nanos[r];
            }
            return syncRates;
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
        /** The experiment is left out by default: the WAL has flushed this way itself since 4ea2a98. */
        List<String> modes = List.of(CommitPeer.XACT, CommitPeer.WAL);

        static void usage(final PrintStream out)
        {
            usage(out, """
                Usage: CommitScaling [options]      (bench/run-wal runs it)

                Commits with fsync (a transaction writing 100 B; the WAL alone: insert of 100 B + flush) from 1,
                2, 4 and 8 child JVMs at once, next to the raw fsync rate of this disk measured in the same run;
                prints commits per second, the ratio to the fsync-bound ideal and the commits each WAL fsync
                made durable.

                  --processes LIST     comma-separated numbers of committers (default 1,2,4,8)
                  --modes LIST         xact (a transaction: begin, write, commit), wal (the WAL alone: insert
                                       + flush), wal-wait (an experiment: the WAL alone, flushing as PostgreSQL's
                                       XLogFlush, from outside the WAL, waiting for a flush in progress
                                       instead of queueing for WALWriteLock); default xact,wal""", "setup",
                "the committers");
        }

        @Override
        int own(final String[] args, final int i)
        {
            if (args[i].equals("--modes"))
            {
                modes = names(value(args, i + 1, args[i]), List.of(CommitPeer.XACT, CommitPeer.WAL,
                    CommitPeer.WAL_WAIT), args[i], "mode");
                return i + 1;
            }
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
