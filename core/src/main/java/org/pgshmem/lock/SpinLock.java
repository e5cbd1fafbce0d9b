package org.pgshmem.lock;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongPredicate;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.util.PgException;

/**
 * A spinlock: one 64-bit word in shared memory holding its owner's token (0 = free), taken by
 * compare-and-set (PostgreSQL's s_lock.c). It spins briefly, then yields, then sleeps in short
 * steps, as s_lock's spin_delay does. Because the word names its owner, a waiter that has waited
 * long can ask whether the owner still lives and take over the lock of a dead one; a live owner
 * that holds it past {@code stuckTimeoutNanos} is reported as a stuck spinlock, by name and owner.
 *
 * <p>Stateless: every method takes the buffer and the word's offset, so one lock costs eight bytes.
 */
public final class SpinLock
{
    private static final int SPINS = 1_000;
    private static final int YIELDS = 100;
    private static final long SLEEP_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    private static final long OWNER_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private SpinLock()
    {
    }

    /** Takes the lock once without waiting. */
    public static boolean tryAcquire(final AtomicBuffer buffer, final int offset, final long owner)
    {
        return buffer.getLongVolatile(offset) == 0 && buffer.compareAndSetLong(offset, 0, owner);
    }

    /**
     * Takes the lock for {@code owner}, waiting as long as it must.
     *
     * @param ownerAlive tells whether the owner holding the lock still lives; a dead owner's lock is taken over
     * @param stuckTimeoutNanos how long a live owner may hold the lock before this reports it stuck
     * @param name what the lock protects, for the error
     * @return true when the lock was taken over from a dead owner (the caller may need to repair)
     */
    public static boolean acquire(
        final AtomicBuffer buffer,
        final int offset,
        final long owner,
        final LongPredicate ownerAlive,
        final long stuckTimeoutNanos,
        final String name)
    {
        if (tryAcquire(buffer, offset, owner))
        {
            return false;
        }
        final long start = System.nanoTime();
        long nextOwnerCheck = start + OWNER_CHECK_NANOS;
        int spins = 0;
        while (true)
        {
            final long current = buffer.getLongVolatile(offset);
            if (current == 0)
            {
                if (buffer.compareAndSetLong(offset, 0, owner))
                {
                    return false;
                }
                continue;
            }
            if (spins < SPINS)
            {
                spins++;
                Thread.onSpinWait();
                continue;
            }
            if (spins < SPINS + YIELDS)
            {
                spins++;
                Thread.yield();
                continue;
            }
            LockSupport.parkNanos(SLEEP_NANOS);
            final long now = System.nanoTime();
            if (now - nextOwnerCheck >= 0)
            {
                nextOwnerCheck = now + OWNER_CHECK_NANOS;
                if (!ownerAlive.test(current) && buffer.compareAndSetLong(offset, current, owner))
                {
                    return true;
                }
                if (now - start > stuckTimeoutNanos)
                {
                    throw new PgException(
                        "stuck spinlock \"" + name + "\" held by process " + current,
                        "It has been held for " + TimeUnit.NANOSECONDS.toMillis(now - start) + " ms.",
                        "Find out what process " + current + " is doing; if it is hung, terminate it.");
                }
            }
        }
    }

    /** Releases a lock held by {@code owner}; releasing one held by another is a bug and throws. */
    public static void release(final AtomicBuffer buffer, final int offset, final long owner, final String name)
    {
        if (!buffer.compareAndSetLong(offset, owner, 0))
        {
            throw new IllegalStateException(
                "spinlock \"" + name + "\" is not held by " + owner + " (owner " + buffer.getLongVolatile(offset) + ")");
        }
    }
}
