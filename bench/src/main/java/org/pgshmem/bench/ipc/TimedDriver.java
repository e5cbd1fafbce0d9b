package org.pgshmem.bench.ipc;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * The conductor of {@link TimedRounds}: a driver ({@code bench/run-locks}, {@code bench/run-buffers})
 * whose child JVMs loop for a fixed time while this process opens and closes the window with the
 * phase word of a control file in the work directory. It keeps the children, runs the warm-up
 * and the rounds (in an order that rotates from round to round, so that a change in the
 * machine's load falls on every setup alike), times each window and says how many CPUs of the
 * machine were busy in it.
 */
abstract class TimedDriver extends Driver
{
    /** The control file in the work directory, which every child maps. */
    static final String CONTROL_FILE = "control";

    /** Written by the main thread, read by the shutdown hook. */
    final List<PeerProcess> peers = new CopyOnWriteArrayList<>();
    final double warmupSeconds;
    final double seconds;
    final int repeats;
    /** A round that takes longer fails the run (the child is killed). */
    final Duration phaseTimeout;
    private MappedByteBuffer mapped;
    private UnsafeBuffer control;
    private long round;

    TimedDriver(final String script, final TimedOptions options)
    {
        super(script, options.args);
        this.warmupSeconds = options.warmupSeconds;
        this.seconds = options.seconds;
        this.repeats = options.repeats;
        this.phaseTimeout = options.phaseTimeout;
    }

    /** Makes the work directory and its control file, mapped; returns the control file. */
    final Path createWork() throws IOException
    {
        work = MappedFiles.createWorkDirectory();
        final Path file = work.resolve(CONTROL_FILE);
        mapped = MappedFiles.map(file, TimedRounds.CONTROL_LENGTH);
        control = new UnsafeBuffer(mapped);
        return file;
    }

    /** What a setup's round does with the time it is given; {@code round} is -1 for the warm-up. */
    interface Measure<T>
    {
        void run(T setup, double seconds, int round) throws InterruptedException;
    }

    /**
     * The warm-up (each setup once, for the warm-up and the measured time, recorded nowhere), then
     * {@link #repeats} rounds of every setup, in an order that rotates from round to round.
     */
    final <T> void measure(final List<T> setups, final Function<T, String> label, final Measure<T> measure)
        throws InterruptedException
    {
        for (final T setup : setups)
        {
            progress("warm-up: " + label.apply(setup) + ", " + warmupSeconds + " + " + seconds + " s");
            measure.run(setup, warmupSeconds + seconds, -1);
        }
        for (int r = 0; r < repeats; r++)
        {
            for (int k = 0; k < setups.size(); k++)
            {
                final T setup = setups.get((k + r) % setups.size());
                progress("round " + (r + 1) + "/" + repeats + ": " + label.apply(setup));
                measure.run(setup, seconds, r);
            }
        }
    }

    /** The report's line on how the rounds ran. */
    final void printRounds(final PrintStream out, final String sides, final String setup)
    {
        out.println("- each round: " + warmupSeconds + " s with " + sides + " looping, then " + seconds
            + " s measured; one unrecorded round per " + setup + " first; " + repeats + " rounds, " + setup
            + "s in an order rotating each round; total " + elapsedSeconds() + " s");
    }

    /**
     * What one round measured: the window's length, each side's {@code done} words, and how many
     * CPUs of the machine were busy in the window, all processes counted ({@code NaN} without
     * /proc/stat).
     */
    record Window(long nanos, List<String[]> done, double busyCpus)
    {
        /** Where the counts start in a {@code done} line's words. */
        private static final int FIRST_COUNT = 5;

        /** Bytes the looping threads of every side allocated in the window. */
        long allocatedBytes()
        {
            return done.stream().mapToLong(words -> Long.parseLong(words[1])).sum();
        }

        /** Times side {@code side}'s looping threads were preempted in the window. */
        long preemptions(final int side)
        {
            return Long.parseLong(done.get(side)[2]);
        }

        /** CPU time the looping threads of every side used in the window, in nanoseconds. */
        long cpuNanos()
        {
            return done.stream().mapToLong(words -> Long.parseLong(words[3])).sum();
        }

        /** The sides' own figure (EXTRA), summed. */
        long extra()
        {
            return done.stream().mapToLong(words -> Long.parseLong(words[4])).sum();
        }

        /** Side {@code side}'s threads' counts. */
        long count(final int side)
        {
            long n = 0;
            final String[] words = done.get(side);
            for (int w = FIRST_COUNT; w < words.length; w++)
            {
                n += Long.parseLong(words[w]);
            }
            return n;
        }

        /** Every thread's count, side by side. */
        List<Long> counts()
        {
            final List<Long> counts = new ArrayList<>();
            for (final String[] words : done)
            {
                for (int w = FIRST_COUNT; w < words.length; w++)
                {
                    counts.add(Long.parseLong(words[w]));
                }
            }
            return counts;
        }
    }

    /**
     * Runs the next round: WARMUP; {@code hammer ROUND} and {@code args.get(i)} to
     * {@code sides.get(i)} (each answers {@code go}); {@link #warmupSeconds} with every side
     * looping; then {@code measured} seconds between MEASURE and STOP. Returns the window and
     * each side's {@code done} words.
     */
    final Window round(final String what, final List<PeerProcess> sides, final List<String> args,
        final double measured) throws InterruptedException
    {
        round++;
        control.putLongVolatile(TimedRounds.PHASE_OFFSET, TimedRounds.phase(round, TimedRounds.WARMUP));
        for (int i = 0; i < sides.size(); i++)
        {
            sides.get(i).startPhase(what + " round " + round, "hammer " + round + " " + args.get(i));
        }
        sleep(warmupSeconds);
        final long[] cpuBefore = cpuTimes();
        final long start = System.nanoTime();
        control.putLongVolatile(TimedRounds.PHASE_OFFSET, TimedRounds.phase(round, TimedRounds.MEASURE));
        sleep(measured);
        control.putLongVolatile(TimedRounds.PHASE_OFFSET, TimedRounds.phase(round, TimedRounds.STOP));
        final long window = System.nanoTime() - start;
        final long[] cpuAfter = cpuTimes();
        final List<String[]> done = new ArrayList<>();
        for (final PeerProcess side : sides)
        {
            done.add(side.endPhase());
        }
        final double busy = cpuAfter[1] <= cpuBefore[1] ? Double.NaN
            : Runtime.getRuntime().availableProcessors() * (double)(cpuAfter[0] - cpuBefore[0])
                / (cpuAfter[1] - cpuBefore[1]);
        return new Window(window, done, busy);
    }

    private static void sleep(final double seconds) throws InterruptedException
    {
        Thread.sleep(Math.round(seconds * 1000));
    }

    /**
     * The machine's CPU time so far, in clock ticks summed over its CPUs, from the first line of
     * /proc/stat: {busy (user, nice, system, irq, softirq), all (busy, idle, iowait, steal)};
     * zeros where there is no /proc.
     */
    private static long[] cpuTimes()
    {
        try
        {
            final String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            final long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                + Long.parseLong(f[7]);
            return new long[] {busy, busy + Long.parseLong(f[4]) + Long.parseLong(f[5]) + Long.parseLong(f[8])};
        }
        catch (final IOException | RuntimeException ex)
        {
            return new long[] {0, 0};
        }
    }

    /**
     * The options every timed driver takes: {@code --seconds}, {@code --warmup}, {@code --repeats},
     * {@code --phase-timeout}, {@code --quick}. A driver's options extend it with their own.
     */
    abstract static class TimedOptions
    {
        String[] args = new String[0];
        double seconds = 2;
        double warmupSeconds = 0.5;
        int repeats = 5;
        Duration phaseTimeout = Duration.ofSeconds(60);

        /**
         * Prints {@code --help}: {@code head} (the usage line, what the driver does, its own
         * options), then these options' lines (a round measures each {@code what}, in which
         * {@code sides} loop) and {@code -h}.
         */
        static void usage(final PrintStream out, final String head, final String what, final String sides)
        {
            out.println(head);
            out.println(String.join("\n",
                "  --seconds S          measured seconds per " + what + " and round (default 2)",
                "  --warmup S           seconds " + sides + " loop before each measurement (default 0.5)",
                "  --repeats N          recorded rounds (default 5)",
                "  --phase-timeout S    a round that takes longer fails the run (default 60)",
                "  --quick              --seconds 0.5 --warmup 0.25 --repeats 2 (a smoke test); options given",
                "                       as well still apply",
                "  -h, --help           this text"));
        }

        /**
         * Takes the driver's own option {@code args[i]}: returns the index of the last word it
         * used, or -1 when {@code args[i]} is not one of its options.
         */
        abstract int own(String[] args, int i);

        /** Reads the command line {@code args} into {@code o}; an {@link IllegalArgumentException} says what is wrong. */
        static <O extends TimedOptions> O read(final O o, final String[] args)
        {
            ((TimedOptions)o).take(args);
            return o;
        }

        private void take(final String[] args)
        {
            this.args = args.clone();
            if (Arrays.asList(args).contains("--quick"))
            {
                seconds = 0.5;
                warmupSeconds = 0.25;
                repeats = 2;
            }
            for (int i = 0; i < args.length; i++)
            {
                final String arg = args[i];
                switch (arg)
                {
                    case "--quick" ->
                    {
                        // applied above, before the options that may override it
                    }
                    case "--seconds" -> seconds = seconds(value(args, ++i, arg), arg);
                    case "--warmup" -> warmupSeconds = seconds(value(args, ++i, arg), arg);
                    case "--repeats" -> repeats = positive(value(args, ++i, arg), arg);
                    case "--phase-timeout" -> phaseTimeout = Duration.ofSeconds(positive(value(args, ++i, arg), arg));
                    default ->
                    {
                        final int last = own(args, i);
                        if (last < 0)
                        {
                            throw new IllegalArgumentException("unknown option \"" + arg + "\"");
                        }
                        i = last;
                    }
                }
            }
            if (warmupSeconds + seconds + 10 > phaseTimeout.toSeconds())
            {
                throw new IllegalArgumentException("--phase-timeout must exceed --warmup + --seconds by 10 s at least");
            }
        }
    }

    @Override
    final void killChildren()
    {
        for (final PeerProcess peer : peers)
        {
            peer.kill();
        }
    }

    /** Stops every child and unmaps the control file; the frame then stops the cluster and removes the files. */
    @Override
    final void stopChildren()
    {
        for (final PeerProcess peer : peers)
        {
            try
            {
                peer.close();
            }
            catch (final RuntimeException ex)
            {
                log.println(script + ": could not stop " + peer.name() + ": " + ex);
            }
        }
        MappedFiles.unmap(mapped);
    }
}
