package org.pgshmem.lock;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongPredicate;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.proc.MyProc;
import org.pgshmem.proc.ProcSlotDescriptor;
import org.pgshmem.util.PgException;
import org.pgshmem.util.Processes;

/**
 * A spinlock: one 64-bit word in shared memory holding its owner's token (0 = free), taken by
 * compare-and-set (PostgreSQL's s_lock.c). A process with a proc-array slot writes
 * {@link MyProc#ownerToken()} (pid and slot) and records the lock in its slot first, so the
 * postmaster's cleanup for a dead slot releases it; a process without a slot writes its pid. It spins briefly, then yields, then sleeps in short
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

    private static long ownerPidOf(final long owner)
    {
        return MyProc.ownerPid(owner);
    }

    /**
     * Takes the lock for this process by pid alone, untracked: for processes that have no slot
     * yet (the shmem index lock is taken while modules attach). A waiter takes over the lock of
     * a dead owner of this kind itself.
     */
    public static void acquireUntracked(final AtomicBuffer buffer, final int offset, final long stuckTimeoutNanos,
        final String name)
    {
        acquire(buffer, offset, MyProc.ownerToken(Processes.selfPid(), -1), SpinLock::pidOnlyOwnerAlive,
            stuckTimeoutNanos, name);
    }

    /** Releases a lock taken with {@link #acquireUntracked}. */
    public static void releaseUntracked(final AtomicBuffer buffer, final int offset, final String name)
    {
        release(buffer, offset, MyProc.ownerToken(Processes.selfPid(), -1), name);
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
                    final long pid = ownerPidOf(current);
                    throw new PgException(
                        "stuck spinlock \"" + name + "\" held by process " + pid,
                        "It has been held for at least " + TimeUnit.NANOSECONDS.toMillis(now - start) + " ms"
                            + (Processes.isAlive(pid, 0) ? "." : "; the process has died and its cleanup has not run."),
                        "Find out what process " + pid + " is doing; if it is hung, terminate it.");
                }
            }
        }
    }

    /**
     * Takes the spinlock whose word is at {@code segmentOffset} in the segment for this process,
     * recording it in the process's slot first, so that if the process dies holding it the
     * postmaster's cleanup for the slot releases it ({@link #releaseHeldBy}). A waiter never
     * takes over a slot owner's lock itself: the cleanup does, within a heartbeat interval.
     *
     * @param segment the whole segment ({@code ShmemSegment.buffer()})
     * @param stuckTimeoutNanos how long the lock may stay held before this reports it stuck
     * @param name what the lock protects, for the error
     */
    public static void acquire(
        final AtomicBuffer segment,
        final int segmentOffset,
        final MyProc me,
        final long stuckTimeoutNanos,
        final String name)
    {
        final boolean tracked = me.trackSpinlock(segmentOffset);
        try
        {
            acquire(segment, segmentOffset, me.ownerToken(), SpinLock::pidOnlyOwnerAlive, stuckTimeoutNanos, name);
            if (!tracked)
            {
                // another thread of this process held a recorded spinlock when we began; record ours
                // now if we can, leaving only the instant between the two compare-and-sets untracked
                me.trackSpinlock(segmentOffset);
            }
        }
        catch (final RuntimeException ex)
        {
            if (tracked)
            {
                me.untrackSpinlock(segmentOffset);
            }
            throw ex;
        }
    }

    /**
     * Releases a spinlock taken with {@link #acquire(AtomicBuffer, int, MyProc, long, String)}.
     * A process records one spinlock at a time: threads of one process that may hold spinlocks at
     * once should be serialized by the caller, or the later ones are held untracked.
     */
    public static void release(final AtomicBuffer segment, final int segmentOffset, final MyProc me, final String name)
    {
        release(segment, segmentOffset, me.ownerToken(), name);
        me.untrackSpinlock(segmentOffset);
    }

    /**
     * Owners with a slot are released by the postmaster's cleanup, so for a waiter they count as
     * alive; an owner without one (a process that had not claimed a slot yet) is checked by pid.
     */
    private static boolean pidOnlyOwnerAlive(final long token)
    {
        return MyProc.ownerSlot(token) >= 0 || Processes.isAlive(MyProc.ownerPid(token), 0);
    }

    /**
     * The postmaster's cleanup for a dead process: releases the spinlock its slot records, if the
     * lock word still names that process. Returns the released lock's segment offset, or -1.
     */
    public static long releaseHeldBy(final AtomicBuffer segment, final AtomicBuffer procArray, final int slot,
        final long pid)
    {
        final int field = ProcSlotDescriptor.slotOffset(slot) + ProcSlotDescriptor.HELD_SPINLOCK_OFFSET;
        final long recorded = procArray.getLongVolatile(field);
        if (recorded == 0)
        {
            return -1;
        }
        final int offset = (int)(recorded - 1);
        final boolean released = segment.compareAndSetLong(offset, MyProc.ownerToken(pid, slot), 0);
        procArray.putLongVolatile(field, 0);
        return released ? offset : -1;
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
