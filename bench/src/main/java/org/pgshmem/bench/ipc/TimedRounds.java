package org.pgshmem.bench.ipc;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Timed rounds between processes ({@code bench/run-locks}, {@code bench/run-buffers}): child JVMs
 * whose threads repeat one operation in a tight loop, counting what they did inside a window
 * that the conducting process ({@link TimedDriver}) opens and closes with a phase word in a
 * mapped control file. This class is the children's side.
 *
 * <p>A round, as the conductor ({@link TimedDriver#round}) and a child ({@link #serve}) see it:
 * <pre>
 *   conductor: phase word := WARMUP of round R
 *   conductor: hammer R ARGS... TIMEOUT_MS          (to each side, through {@link PeerProcess#startPhase})
 *   child:     go                                   (every thread is in its loop)
 *   conductor: phase word := MEASURE; sleeps; phase word := STOP
 *   child:     done ALLOCATED_BYTES PREEMPTIONS CPU_NANOS EXTRA COUNT...   (one count per thread)
 * </pre>
 * Each thread counts the operations it made between seeing MEASURE and seeing STOP, so the
 * counts of all sides cover the same window, which the conductor times. Allocation, preemptions
 * (Linux's {@code nonvoluntary_ctxt_switches}) and CPU time are those of the same stretch, summed
 * over the threads: the CPU time per operation is the operation's cost without the time the
 * thread spent preempted; EXTRA is a figure of the child's own, summed over its threads (the lock
 * handoffs of a marked round; 0 where there is none). The loops read the phase word once per
 * operation: a line only the conductor writes, three times a round, so it stays in every core's
 * cache.
 */
final class TimedRounds
{
    /** The phase word's offset in the control file; the file is one page, the word alone on its line. */
    static final int PHASE_OFFSET = 0;
    static final int CONTROL_LENGTH = 4096;
    static final int WARMUP = 1;
    static final int MEASURE = 2;
    static final int STOP = 3;

    private TimedRounds()
    {
    }

    /** The phase word's value for {@code state} of {@code round}: a new round can never see an old round's STOP. */
    static long phase(final long round, final int state)
    {
        return round << 2 | state;
    }

    // ---------------------------------------------------------------------------------------------- child

    /**
     * One thread's loop in a child: {@link #spin} repeats the operation until it sees STOP,
     * calling {@link #opened} when it first sees MEASURE and {@link #closed} at the end.
     */
    abstract static class Loop implements Runnable
    {
        final UnsafeBuffer control;
        final long measure;
        final long stop;
        private CountDownLatch looping;
        long counted;
        long allocated;
        long preemptions;
        long cpuNanos;
        Throwable failure;

        Loop(final UnsafeBuffer control, final long round)
        {
            this.control = control;
            this.measure = phase(round, MEASURE);
            this.stop = phase(round, STOP);
        }

        @Override
        public final void run()
        {
            try
            {
                looping.countDown();
                spin();
            }
            catch (final Throwable ex)
            {
                failure = ex;
            }
        }

        /** The loop: until the phase word says {@link #stop}. */
        abstract void spin() throws Exception;

        /** The child's own figure for the done line (0 where it has none). */
        long extra()
        {
            return 0;
        }

        /** The window opened: the figures start here. */
        final void opened()
        {
            preemptions = ThreadStats.involuntarySwitches();
            allocated = ThreadStats.allocatedBytes();
            cpuNanos = ThreadStats.cpuNanos();
        }

        /**
         * The loop ended after {@code n} operations, the window having opened after {@code first}
         * of them ({@code -1}: this thread never saw it open, as when it waited the whole window).
         */
        final void closed(final long first, final long n)
        {
            if (first < 0)
            {
                preemptions = 0;
                allocated = 0;
                cpuNanos = 0;
                return;
            }
            cpuNanos = ThreadStats.cpuNanos() - cpuNanos;
            allocated = ThreadStats.allocatedBytes() - allocated;
            preemptions = ThreadStats.involuntarySwitches() - preemptions;
            counted = n - first;
        }
    }

    /**
     * Starts a thread on each of {@code loops}, says {@code go} once all of them are in their loop,
     * waits for them to see STOP; returns the {@code done} line.
     */
    static String hammer(final Loop[] loops, final String threadName, final PrintStream out)
        throws InterruptedException
    {
        final CountDownLatch looping = new CountDownLatch(loops.length);
        final Thread[] running = new Thread[loops.length];
        for (int i = 0; i < loops.length; i++)
        {
            loops[i].looping = looping;
            running[i] = new Thread(loops[i], threadName + "-" + i);
            running[i].start();
        }
        if (!looping.await(60, TimeUnit.SECONDS))
        {
            throw new IllegalStateException("the loop threads did not start within 60 s");
        }
        say(out, "go");
        final StringBuilder counts = new StringBuilder();
        long allocated = 0;
        long preemptions = 0;
        long cpuNanos = 0;
        long extra = 0;
        for (int i = 0; i < loops.length; i++)
        {
            running[i].join();
            if (loops[i].failure != null)
            {
                throw new IllegalStateException("loop thread " + i + " failed", loops[i].failure);
            }
            counts.append(' ').append(loops[i].counted);
            allocated += loops[i].allocated;
            preemptions += loops[i].preemptions;
            cpuNanos += loops[i].cpuNanos;
            extra += loops[i].extra();
        }
        return "done " + allocated + " " + preemptions + " " + cpuNanos + " " + extra + counts;
    }

    /** A child's life: set up, say {@code ready}, {@link #serve} rounds, clean up. */
    interface Child
    {
        void run(PrintStream out) throws Exception;
    }

    /**
     * Runs a child's {@code main}: its {@code body}, then {@code bye}; or, if anything fails,
     * {@code error ...} and exit code 1. The watchdog halts the JVM when the conductor is gone.
     */
    static void runChild(final long parentPid, final String who, final Child body)
    {
        final PrintStream out = System.out;
        try
        {
            watchParent(parentPid, who);
            body.run(out);
            say(out, "bye");
        }
        catch (final Throwable ex)
        {
            say(out, "error " + String.valueOf(ex).replace('\n', ' '));
            ex.printStackTrace();
            System.exit(1);
        }
    }

    /** What a child does with one {@code hammer} line's words: run the round, return the {@code done} line. */
    interface Round
    {
        String hammer(String[] words) throws Exception;
    }

    /** Reads the conductor's lines until {@code quit} (or the end of its input); runs each {@code hammer}. */
    static void serve(final PrintStream out, final Round round) throws Exception
    {
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.equals("quit"))
        {
            final String[] words = line.split(" ");
            if (!words[0].equals("hammer"))
            {
                throw new IllegalArgumentException("unknown command \"" + line + "\"");
            }
            say(out, round.hammer(words));
        }
    }

    /** Halts this JVM when the conducting process is gone: nothing else would stop a spinning loop. */
    private static void watchParent(final long parentPid, final String who)
    {
        final ProcessHandle parent = ProcessHandle.of(parentPid)
            .orElseThrow(() -> new IllegalStateException("the benchmark process " + parentPid + " is gone"));
        final Thread watchdog = new Thread(() ->
        {
            parent.onExit().join();
            System.err.println(who + ": the benchmark process " + parentPid + " is gone; exiting");
            Runtime.getRuntime().halt(3);
        }, "pgshmem-bench-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /** Writes {@code line} to the conductor at once. */
    static void say(final PrintStream out, final String line)
    {
        out.println(line);
        out.flush();
    }
}
