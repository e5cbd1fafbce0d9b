package org.pgshmem.bench.ipc;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.pgshmem.cli.LineProcess;
import org.pgshmem.postmaster.ChildJvm;

/**
 * The other side of a contender: one child JVM running {@link Peer}, driven by lines.
 *
 * <p>Conversation, each line answered within a timeout (never a sleep):
 * <pre>
 *   child:  ready                                   (set up: attached, mapped or connected)
 *   parent: echo|receive COUNT SIZE TIMEOUT_MS
 *   child:  go                                      (it now spins, or blocks, waiting for messages)
 *           ... the parent sends ...
 *   child:  done ALLOCATED_BYTES PREEMPTIONS        (of its measuring thread, during the phase)
 *   parent: quit
 *   child:  bye
 * </pre>
 * A child that fails prints {@code error ...} and exits. Between {@code go} and {@code done} a
 * timer kills the child when the phase outlives its limit: the parent's spin loops then see it
 * dead, and its blocking socket reads see the connection close, so no wait is unbounded.
 * {@link #close()} kills the child if it does not leave when asked. {@link LockPeer} speaks the
 * same lines with a verb of its own, through {@link #startPhase} and {@link #endPhase}.
 */
final class PeerProcess implements AutoCloseable
{
    private static final Duration LINE_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(10);
    private static final ScheduledExecutorService KILLER = Executors.newSingleThreadScheduledExecutor(task ->
    {
        final Thread thread = new Thread(task, "pgshmem-bench-peer-killer");
        thread.setDaemon(true);
        return thread;
    });

    private final String name;
    private final LineProcess process;
    private final long phaseTimeoutNanos;
    private String phase;
    private ScheduledFuture<?> kill;
    private long allocatedBytes;
    private long preemptions;
    private long ownAllocatedBytes;
    private long ownPreemptions;

    private PeerProcess(final String name, final LineProcess process, final long phaseTimeoutNanos)
    {
        this.name = name;
        this.process = process;
        this.phaseTimeoutNanos = phaseTimeoutNanos;
    }

    /**
     * Starts {@code Peer <contender> <this pid> <args>} in a child JVM with the project's JVM flags
     * and this JVM's GC, heap and JIT options, and waits for its {@code ready}.
     */
    static PeerProcess start(final String name, final String contender, final List<String> args,
        final Duration phaseTimeout) throws IOException, InterruptedException
    {
        return start(name, Peer.class, contender, args, phaseTimeout);
    }

    /**
     * Starts {@code <main> <contender> <this pid> <args>} as {@link #start(String, String, List, Duration)}
     * does, for a child other than {@link Peer} that speaks the same lines.
     */
    static PeerProcess start(final String name, final Class<?> main, final String contender, final List<String> args,
        final Duration phaseTimeout) throws IOException, InterruptedException
    {
        final List<String> peerArgs = new ArrayList<>();
        peerArgs.add(contender);
        peerArgs.add(Long.toString(ProcessHandle.current().pid()));
        peerArgs.addAll(args);
        final LineProcess process = LineProcess.start(name, ChildJvm.command(Machine.vmOptions(), main.getName(),
            peerArgs));
        final PeerProcess peer = new PeerProcess(name, process, phaseTimeout.toNanos());
        try
        {
            peer.expect("ready");
        }
        catch (final RuntimeException | InterruptedException ex)
        {
            peer.close();
            throw ex;
        }
        return peer;
    }

    /** The child's pid. */
    long pid()
    {
        return process.pid();
    }

    /** The child's name in messages. */
    String name()
    {
        return name;
    }

    /**
     * Starts a phase: tells the child to {@code verb} ({@code echo} or {@code receive})
     * {@code count} messages of {@code size} bytes, waits for its {@code go}, arms the kill
     * timer, and returns the watch the parent's own spin loops must use.
     */
    SpinWatch begin(final String verb, final int count, final int size)
    {
        startPhase(verb + " " + count + " × " + size + " B", verb + " " + count + " " + size);
        final SpinWatch watch = new SpinWatch(name + " " + phase, phaseTimeoutNanos, name + " (PID " + pid() + ")",
            process.process()::isAlive);
        // last, so that the phase's own figures leave out the line handling around them
        ownPreemptions = ThreadStats.involuntarySwitches();
        ownAllocatedBytes = ThreadStats.allocatedBytes();
        return watch;
    }

    /**
     * Ends a phase: waits for the child's {@code done}, keeps its figures and this thread's,
     * disarms the timer.
     */
    void end()
    {
        ownAllocatedBytes = ThreadStats.allocatedBytes() - ownAllocatedBytes;
        ownPreemptions = ThreadStats.involuntarySwitches() - ownPreemptions;
        final String[] done = endPhase();
        allocatedBytes = Long.parseLong(done[1]);
        preemptions = Long.parseLong(done[2]);
    }

    /**
     * Starts phase {@code what}: sends {@code command} followed by the phase's limit in
     * milliseconds, waits for the child's {@code go} and arms the timer that kills the child
     * if the phase outlives its limit.
     */
    void startPhase(final String what, final String command)
    {
        if (phase != null)
        {
            throw new IllegalStateException(name + ": phase " + phase + " has not ended");
        }
        phase = what;
        try
        {
            process.send(command + " " + TimeUnit.NANOSECONDS.toMillis(phaseTimeoutNanos));
            expect("go");
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(name + ": could not start " + phase + ": " + ex, ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(name + ": interrupted", ex);
        }
        final Process child = process.process();
        kill = KILLER.schedule(() -> child.destroyForcibly(), phaseTimeoutNanos + TimeUnit.SECONDS.toNanos(5),
            TimeUnit.NANOSECONDS);
    }

    /**
     * Ends the phase: waits for the child's {@code done} line, disarms the timer and returns the
     * line's words ({@code done}, then the child's figures).
     */
    String[] endPhase()
    {
        try
        {
            return expect("done").split(" ");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(name + ": interrupted", ex);
        }
        finally
        {
            kill.cancel(false);
            kill = null;
            phase = null;
        }
    }

    /** Bytes the child's measuring thread allocated in the last phase. */
    long allocatedBytes()
    {
        return allocatedBytes;
    }

    /** Times the child's measuring thread was preempted in the last phase. */
    long preemptions()
    {
        return preemptions;
    }

    /** Bytes this process's measuring thread allocated between {@link #begin} and {@link #end}. */
    long ownAllocatedBytes()
    {
        return ownAllocatedBytes;
    }

    /** Times this process's measuring thread was preempted between {@link #begin} and {@link #end}. */
    long ownPreemptions()
    {
        return ownPreemptions;
    }

    /** Reads the next line; it must start with {@code word}. Returns the line. */
    private String expect(final String word) throws InterruptedException
    {
        final String line = process.readLine(LINE_TIMEOUT);
        if (!line.equals(word) && !line.startsWith(word + " "))
        {
            throw new IllegalStateException(name + " (PID " + pid() + ") answered \"" + line + "\" where \"" + word
                + "\" was expected; its stderr ends with:\n" + process.stderrTail());
        }
        return line;
    }

    /** Kills the child now, without asking (the shutdown hook's way). */
    void kill()
    {
        process.close();
    }

    /** Asks the child to leave, and kills it if it does not. */
    @Override
    public void close()
    {
        if (kill != null)
        {
            kill.cancel(false);
        }
        try
        {
            if (process.process().isAlive())
            {
                process.send("quit");
                process.waitFor(EXIT_TIMEOUT);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // it is killed below
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            process.close();
        }
    }
}
