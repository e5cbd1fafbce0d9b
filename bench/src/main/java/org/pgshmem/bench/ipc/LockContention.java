package org.pgshmem.bench.ipc;

import static org.pgshmem.bench.ipc.Figures.*;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.pgshmem.bench.BenchCluster;

/**
 * Locks contended across two processes (issue 4): each of two child JVMs takes and releases the
 * same lock, exclusively, in a tight loop, for a fixed time; the figure is how many acquisitions
 * both made together per second, and the time per acquire + release that gives. Measured in one
 * run, round by round, for pgshmem's LWLock and heavyweight lock, for {@code FileChannel.lock}
 * (the JDK's lock between processes), for a compare-and-set word in a mapped file (the floor of
 * any lock between processes) and, as the in-process lower bound, for
 * {@code ReentrantReadWriteLock} with two threads of one JVM.
 *
 * <p>This process only conducts: it starts the {@link LockPeer}s (two per lock, one for the
 * in-process lock), and for each round moves a phase word in a mapped file from WARMUP to
 * MEASURE to STOP. The peers say {@code go} once their loops run; the warm-up that follows makes
 * sure both are contending before the window opens. Each peer counts its acquisitions between
 * seeing MEASURE and seeing STOP, so the counts of both sides cover the same window, which this
 * process times. A round runs every lock in turn, in an order that rotates from round to round,
 * so that a change in the machine's load falls on all of them.
 *
 * <p>Run it with {@code bench/run-locks} ({@code --help} lists the options).
 */
public final class LockContention extends TimedDriver
{
    /** The files in the work directory that the peers open by name (and {@link TimedDriver#CONTROL_FILE}). */
    static final String FILE_LOCK_FILE = "file-lock";
    static final String CAS_WORD_FILE = "cas-word";

    static final List<String> ALL_LOCKS = List.of(LockPeer.LWLOCK, LockPeer.HEAVYWEIGHT, LockPeer.FILE_LOCK,
        LockPeer.CAS_WORD, LockPeer.RW_LOCK);

    private static final String SCRIPT = "run-locks";

    private final Options options;
    private final List<Contended> locks = new ArrayList<>();

    private LockContention(final Options options)
    {
        super(SCRIPT, options);
        this.options = options;
    }

    /**
     * Runs the benchmark and prints its tables to stdout, progress to stderr. Exit code 0 when it
     * ran, 1 when it failed, 2 for a bad option (0 after {@code --help}).
     *
     * @param args options; {@code --help} lists them
     */
    public static void main(final String[] args)
    {
        new LockContention(parse(SCRIPT, args, a -> Options.read(new Options(), a), Options::usage)).runAndExit();
    }

    @Override
    void run(final PrintStream out) throws IOException, InterruptedException
    {
        final String loadBefore = Machine.loadAverage();
        createWork();
        Files.createFile(work.resolve(FILE_LOCK_FILE));
        if (options.locks.contains(LockPeer.LWLOCK) || options.locks.contains(LockPeer.HEAVYWEIGHT))
        {
            progress("starting a cluster");
            cluster = BenchCluster.start();
        }
        for (final String lock : options.locks)
        {
            progress("starting the " + lock + " peers");
            final boolean inProcess = lock.equals(LockPeer.RW_LOCK);
            final List<String> args = List.of(work.toString(),
                cluster != null && (lock.equals(LockPeer.LWLOCK) || lock.equals(LockPeer.HEAVYWEIGHT))
                    ? cluster.dataDir().toString() : "-",
                inProcess ? "2" : "1");
            final List<PeerProcess> sides = new ArrayList<>();
            for (final String side : inProcess ? List.of("A+B") : List.of("A", "B"))
            {
                final PeerProcess peer = PeerProcess.start(lock + " " + side, LockPeer.class, lock, args,
                    options.phaseTimeout);
                peers.add(peer);
                sides.add(peer);
            }
            locks.add(new Contended(lock, sides, options.repeats));
        }
        measure(locks, lock -> lock.name, this::hammer);
        report(out, loadBefore);
    }

    /**
     * One round of one lock: every side starts its loop, both contend for the warm-up, then for
     * {@code seconds} of measurement; the figures go to round {@code r} (none for the JIT warm-up, -1).
     */
    private void hammer(final Contended lock, final double seconds, final int r) throws InterruptedException
    {
        final Window window = round(lock.name, lock.sides,
            Collections.nCopies(lock.sides.size(), options.handoffs ? "mark" : "plain"), seconds);
        if (r >= 0)
        {
            final long[] preempted = new long[lock.sides.size()];
            for (int i = 0; i < preempted.length; i++)
            {
                preempted[i] = window.preemptions(i);
            }
            lock.record(r, window.nanos(), window.counts(), window.allocatedBytes(), preempted, window.extra());
        }
    }

    // ---------------------------------------------------------------------------------------------- report

    private void report(final PrintStream out, final String loadBefore)
    {
        printHead(out, "Locks contended across two processes (issue 4)", loadBefore);
        out.println("- cores busy during a measurement: " + Runtime.getRuntime().availableProcessors()
            + " CPUs, two looping sides (processes A and B; for ReentrantReadWriteLock two threads of one process)."
            + " A side that waits spins or sleeps as its lock makes it; the CAS word always spins");
        out.println("- also running: " + (cluster != null ? "the cluster (postmaster, bgwriter, checkpointer; idle),"
            + " the heartbeat threads of the attached peers, " : "")
            + "the other locks' peers (idle, blocked reading their stdin)");
        printRounds(out, "both sides", "lock");
        out.println();
        out.println("### Exclusive acquire + release of one lock, two sides at once");
        out.println();
        out.println("Acquisitions per second of both sides together, median of " + options.repeats
            + " rounds (lowest – highest); ns per acquire + release = the window / all acquisitions (the lock"
            + " serializes them); share = side A's part of the acquisitions; involuntary switches = Linux's"
            + " nonvoluntary_ctxt_switches of the looping threads in the windows: preemptions, and every Thread.yield"
            + " that let another thread run.");
        out.println();
        if (options.handoffs)
        {
            out.println("**A marked run (`--handoffs`)**: every holder wrote its name into an owner word and counted"
                + " the acquisitions that found the other side's name there. That write costs one cache-line transfer"
                + " per handoff: these rates are not the plain ones.");
            out.println();
        }
        out.println("| lock | sides | M acquisitions/s, total | ns per acquire + release | side A's share |"
            + " involuntary switches (A / B) | bytes allocated per acquisition |"
            + (options.handoffs ? " handoffs per 1,000 acquisitions |" : ""));
        out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: |" + (options.handoffs ? " ---: |" : ""));
        for (final Contended lock : locks)
        {
            final double[] rates = lock.rates();
            final double[] shares = lock.shares();
            out.println("| " + label(lock.name)
                + " | " + (lock.sides.size() == 1 ? "2 threads, 1 process" : "2 processes")
                + " | " + format("**%.2f** (%.2f – %.2f)", median(rates) / 1e6, min(rates) / 1e6, max(rates) / 1e6)
                + " | " + format("**%s**", nanos(1e9 / median(rates)))
                + " | " + format("%.0f%% (%.0f – %.0f)", 100 * median(shares), 100 * min(shares), 100 * max(shares))
                + " | " + lock.preempted() + " | " + format("%.1f", lock.allocatedPerAcquisition()) + " |"
                + (options.handoffs ? format(" %.1f |", lock.handoffsPerThousand()) : ""));
        }
        out.println();
        printRatios(out);
    }

    private void printRatios(final PrintStream out)
    {
        final List<String[]> pairs = List.of(
            new String[] {LockPeer.LWLOCK, LockPeer.FILE_LOCK},
            new String[] {LockPeer.HEAVYWEIGHT, LockPeer.FILE_LOCK},
            new String[] {LockPeer.LWLOCK, LockPeer.CAS_WORD},
            new String[] {LockPeer.LWLOCK, LockPeer.RW_LOCK},
            new String[] {LockPeer.HEAVYWEIGHT, LockPeer.RW_LOCK});
        final List<String> rows = new ArrayList<>();
        for (final String[] pair : pairs)
        {
            final Contended a = find(pair[0]);
            final Contended b = find(pair[1]);
            if (a == null || b == null)
            {
                continue;
            }
            // a cost ratio: time per acquisition of a over b, which is b's rate over a's
            final double ratio = median(b.rates()) / median(a.rates());
            final double[] byRound = new double[options.repeats];
            for (int r = 0; r < options.repeats; r++)
            {
                byRound[r] = b.rates()[r] / a.rates()[r];
            }
            rows.add("| " + label(a.name) + " | " + label(b.name) + " | " + format("**%s** (%s – %s)", ratio(ratio),
                ratio(min(byRound)), ratio(max(byRound))) + " | "
                + (ratio < 1 ? format("%.1f× faster", 1 / ratio) : format("%.1f× slower", ratio)) + " |");
        }
        if (rows.isEmpty())
        {
            return;
        }
        out.println("### Ratios (time per acquire + release, pgshmem / peer; by round: lowest – highest)");
        out.println();
        out.println("| pgshmem | peer | ratio | |");
        out.println("| --- | --- | ---: | --- |");
        rows.forEach(out::println);
        out.println();
    }

    private static String ratio(final double ratio)
    {
        return Math.abs(ratio) < 0.1 ? format("%.2g", ratio) : format("%.2f", ratio);
    }

    private static String label(final String lock)
    {
        return switch (lock)
        {
            case LockPeer.LWLOCK -> "pgshmem LWLock, exclusive";
            case LockPeer.HEAVYWEIGHT -> "pgshmem heavyweight lock, advisory ExclusiveLock";
            case LockPeer.FILE_LOCK -> "FileChannel.lock + release";
            case LockPeer.CAS_WORD -> "floor: CAS spinlock word in a mapped file";
            case LockPeer.RW_LOCK -> "ReentrantReadWriteLock write lock (in-process)";
            default -> lock;
        };
    }

    private Contended find(final String name)
    {
        for (final Contended lock : locks)
        {
            if (lock.name.equals(name))
            {
                return lock;
            }
        }
        return null;
    }

    /** One lock's sides and what the recorded rounds measured. */
    private static final class Contended
    {
        final String name;
        final List<PeerProcess> sides;
        /** Acquisitions per second of both sides together, by round. */
        private final double[] rates;
        /** Side A's share (thread A's, for the in-process lock), by round. */
        private final double[] shares;
        private long acquisitions;
        private long allocated;
        private long handoffs;
        private final long[] preempted = new long[2];

        Contended(final String name, final List<PeerProcess> sides, final int rounds)
        {
            this.name = name;
            this.sides = sides;
            this.rates = new double[rounds];
            this.shares = new double[rounds];
        }

        void record(final int round, final long windowNanos, final List<Long> counts, final long allocatedBytes,
            final long[] preemptions, final long handedOff)
        {
            if (counts.size() != 2)
            {
                throw new IllegalStateException(name + ": expected the counts of two sides, got " + counts);
            }
            final long total = counts.get(0) + counts.get(1);
            rates[round] = total * 1e9 / windowNanos;
            shares[round] = total == 0 ? Double.NaN : (double)counts.get(0) / total;
            acquisitions += total;
            allocated += allocatedBytes;
            handoffs += handedOff;
            for (int i = 0; i < preemptions.length; i++)
            {
                preempted[i] += preemptions[i];
            }
        }

        double[] rates()
        {
            return rates;
        }

        double[] shares()
        {
            return shares;
        }

        String preempted()
        {
            return sides.size() == 1 ? preempted[0] + " (both threads)" : preempted[0] + " / " + preempted[1];
        }

        double allocatedPerAcquisition()
        {
            return acquisitions == 0 ? 0 : (double)allocated / acquisitions;
        }

        /** Of every 1,000 acquisitions, how many found the lock last held by the other side. */
        double handoffsPerThousand()
        {
            return acquisitions == 0 ? 0 : 1000.0 * handoffs / acquisitions;
        }
    }

    /** The command line. */
    static final class Options extends TimedOptions
    {
        List<String> locks = ALL_LOCKS;
        boolean handoffs;

        static void usage(final PrintStream out)
        {
            usage(out, """
                Usage: bench/run-locks [options]

                Locks contended across two processes: two child JVMs take and release the same lock,
                exclusively, in a tight loop; prints acquisitions per second of both together, the time per
                acquire + release, each side's share, and pgshmem's ratios to its peers. Defaults take about
                1.5 minutes on 2 cores.

                  --locks LIST         comma-separated, in this order by default:
                                       lwlock,heavyweight,filelock,cas-word,rwlock
                                       (rwlock: two threads of one process, the in-process lower bound)
                  --handoffs           a diagnostic: each holder writes its name into an owner word, so that
                                       the table can say how often the lock passed to the other side; the
                                       write costs a cache-line transfer per handoff, so the rates are not
                                       the plain ones""", "lock", "both sides");
        }

        @Override
        int own(final String[] args, final int i)
        {
            switch (args[i])
            {
                case "--locks" ->
                {
                    locks = names(value(args, i + 1, args[i]), ALL_LOCKS, args[i], "lock");
                    return i + 1;
                }
                case "--handoffs" ->
                {
                    handoffs = true;
                    return i;
                }
                default ->
                {
                    return -1;
                }
            }
        }
    }
}
