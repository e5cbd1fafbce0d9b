package org.pgshmem.bench.ipc;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The upper bound of every busy-wait in a measured phase, so that a peer that died or hung
 * fails the run instead of leaving a process spinning on a core.
 *
 * <p>A loop counts its consecutive empty spins and calls {@link #check()} once every
 * {@link #SPINS_PER_CHECK} of them; a healthy run's waits are far shorter than that (it is
 * about a millisecond without progress), so the check costs nothing in the measured figures:
 * <pre>{@code
 * int idle = 0;
 * while (ring.read(handler) == 0)
 * {
 *     if (++idle == SpinWatch.SPINS_PER_CHECK)
 *     {
 *         idle = 0;
 *         watch.check();
 *     }
 * }
 * }</pre>
 */
final class SpinWatch
{
    /** Consecutive empty spins between two checks. */
    static final int SPINS_PER_CHECK = 1 << 16;

    private final String what;
    private final long timeoutNanos;
    private final long deadlineNanos;
    private final BooleanSupplier peerAlive;
    private final String peer;

    /** A watch over phase {@code what}, which must end within {@code timeoutNanos} while {@code peer} lives. */
    SpinWatch(final String what, final long timeoutNanos, final String peer, final BooleanSupplier peerAlive)
    {
        this.what = what;
        this.timeoutNanos = timeoutNanos;
        this.deadlineNanos = System.nanoTime() + timeoutNanos;
        this.peer = peer;
        this.peerAlive = peerAlive;
    }

    /** Throws when the peer is gone or the phase has run out of time. */
    void check()
    {
        if (!peerAlive.getAsBoolean())
        {
            throw new IllegalStateException(what + ": " + peer + " exited while this process waited for it");
        }
        if (System.nanoTime() - deadlineNanos > 0)
        {
            throw new IllegalStateException(what + ": no end after " + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos)
                + " s (the limit of a phase); " + peer + " stopped answering");
        }
    }
}
