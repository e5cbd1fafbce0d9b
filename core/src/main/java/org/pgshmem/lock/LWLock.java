package org.pgshmem.lock;

import static org.pgshmem.lock.LWLockDescriptor.*;
import static org.pgshmem.proc.ProcSlotDescriptor.*;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.pgshmem.proc.MyProc;

/**
 * A lightweight lock in shared memory (PostgreSQL's lwlock.c): shared and exclusive modes taken
 * by compare-and-set on one state word. The uncontended path is that compare-and-set plus a
 * record in the holder's own slot. A process that must wait spins briefly, then registers in its
 * slot as a waiter (with a ticket, for first-come-first-served wakeups) and sleeps on its own
 * slot's wakeup word; the releaser finds the waiters by scanning the slots and sets the word of
 * the first one (or of every shared waiter, when the first wants shared). Because holds and waits
 * are recorded in slots, the postmaster's cleanup for a dead process releases what it held
 * ({@link LWLocks#cleanupProcess}).
 *
 * <p>A flyweight: one instance per lock and process, thread-safe, allocation-free on every path
 * but a contended wait. Not re-entrant, as in PostgreSQL. No deadlock detection: take LWLocks in
 * a fixed order.
 */
public final class LWLock
{
    private static final int SPINS = 200;
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final AtomicBuffer segment;
    private final int offset;
    private final MyProc me;
    private final String name;

    /**
     * An LWLock whose {@link LWLockDescriptor} fields lie at {@code segmentOffset} in the segment,
     * inside a structure of the caller's (a buffer descriptor embeds its content lock, as
     * PostgreSQL's BufferDesc does): 8-byte aligned, {@link LWLockDescriptor#TICKET_OFFSET} + 8
     * bytes long, zero when first used.
     */
    public static LWLock embedded(final org.pgshmem.shmem.Shmem shmem, final int segmentOffset, final String name)
    {
        if ((segmentOffset & 7) != 0)
        {
            throw new IllegalArgumentException("an LWLock must be 8-byte aligned: " + segmentOffset);
        }
        return new LWLock(shmem.segment().buffer(), segmentOffset, shmem.processLocal(MyProc.class, MyProc::new), name);
    }

    LWLock(final AtomicBuffer segment, final int offset, final MyProc me, final String name)
    {
        this.segment = segment;
        this.offset = offset;
        this.me = me;
        this.name = name;
    }

    /** The lock's name: its tranche and number, as in pg_stat_activity's wait_event. */
    public String name()
    {
        return name;
    }

    /** The lock's offset in the segment. */
    public int offset()
    {
        return offset;
    }

    /** Takes the lock in {@code mode}, waiting as long as it must (LWLockAcquire). */
    public void acquire(final LWLockMode mode)
    {
        if (me.slot() < 0)
        {
            me.requireSlot("LWLock \"" + name + "\"");
        }
        final int entry = offset | mode.bit();
        final int record = me.rememberLWLock(entry);
        if (attempt(mode))
        {
            return;
        }
        me.forgetLWLock(record);
        acquireSlow(mode, entry);
    }

    /** Takes the lock in {@code mode} only if that needs no wait (LWLockConditionalAcquire). */
    public boolean tryAcquire(final LWLockMode mode)
    {
        me.requireSlot("LWLock \"" + name + "\"");
        final int record = me.rememberLWLock(offset | mode.bit());
        if (attempt(mode))
        {
            return true;
        }
        me.forgetLWLock(record);
        return false;
    }

    /** Releases the lock held in {@code mode} by this process (LWLockRelease). */
    public void release(final LWLockMode mode)
    {
        final int entry = offset | mode.bit();
        if (mode == LWLockMode.EXCLUSIVE)
        {
            if (!segment.compareAndSetLong(offset + LOCK_STATE_OFFSET, exclusiveState(me.slot()), 0))
            {
                throw new IllegalStateException("LWLock \"" + name + "\" is not held exclusively by this process");
            }
            me.forgetLWLockEntry(entry);
        }
        else
        {
            // the record says whether we hold a share; it goes only after the share, so that a
            // death in between leaves a record the cleanup checks rather than a share no one owns
            final int record = me.findLWLock(entry);
            if (record < 0)
            {
                throw new IllegalStateException("LWLock \"" + name + "\" is not held shared by this process");
            }
            final int at = offset + LOCK_STATE_OFFSET;
            long state;
            do
            {
                state = segment.getLongVolatile(at);
            }
            while (!segment.compareAndSetLong(at, state, state - 1));
            me.forgetLWLock(record);
        }
        // the state change above is a full fence, so a waiter that registered before it is seen here
        if (segment.getIntVolatile(offset + WAITERS_OFFSET) > 0)
        {
            wakeWaiters(segment, me.procArray(), offset);
        }
    }

    /**
     * For a module's cleanup in the postmaster: takes over the lock if the dead process in {@code deadSlot}
     * holds it exclusively, so that the cleanup repairs what it protects before anyone else sees
     * it. False if that process does not hold it.
     */
    public boolean adoptExclusive(final int deadSlot)
    {
        me.requireSlot("LWLock \"" + name + "\"");
        final int record = me.rememberLWLock(offset | LWLockMode.EXCLUSIVE.bit());
        if (segment.compareAndSetLong(offset + LOCK_STATE_OFFSET, exclusiveState(deadSlot), exclusiveState(me.slot())))
        {
            return true;
        }
        me.forgetLWLock(record);
        return false;
    }

    /** Whether some process holds the lock in any mode. */
    public boolean isHeld()
    {
        return segment.getLongVolatile(offset + LOCK_STATE_OFFSET) != 0;
    }

    private boolean attempt(final LWLockMode mode)
    {
        final int at = offset + LOCK_STATE_OFFSET;
        if (mode == LWLockMode.EXCLUSIVE)
        {
            return segment.getLongVolatile(at) == 0 && segment.compareAndSetLong(at, 0, exclusiveState(me.slot()));
        }
        while (true)
        {
            final long state = segment.getLongVolatile(at);
            if ((state & EXCLUSIVE) != 0)
            {
                return false;
            }
            if (segment.compareAndSetLong(at, state, state + 1))
            {
                return true;
            }
        }
    }

    private boolean attemptRecorded(final LWLockMode mode, final int entry)
    {
        final int record = me.rememberLWLock(entry);
        if (attempt(mode))
        {
            return true;
        }
        me.forgetLWLock(record);
        return false;
    }

    private void acquireSlow(final LWLockMode mode, final int entry)
    {
        for (int i = 0; i < SPINS; i++)
        {
            Thread.onSpinWait();
            if (attemptRecorded(mode, entry))
            {
                return;
            }
        }
        final AtomicBuffer procs = me.procArray();
        final int base = me.slotBase();
        // one wait record per slot: a second thread of this process that must wait polls instead
        final boolean registered = procs.compareAndSetInt(base + LWLOCK_WAIT_OFFSET, 0, offset);
        if (registered)
        {
            procs.putInt(base + LWLOCK_WAIT_MODE_OFFSET, mode.bit() + 1);
            procs.putLong(base + LWLOCK_WAIT_TICKET_OFFSET, segment.getAndAddLong(offset + TICKET_OFFSET, 1));
            // counted after the increment: a death in between leaves the count one high, which costs
            // releasers a needless scan; one low would lose a wakeup
            segment.getAndAddInt(offset + WAITERS_OFFSET, 1);
            procs.putIntVolatile(base + LWLOCK_WAIT_COUNTED_OFFSET, 1);
        }
        final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 1_000, MAX_PARK_NANOS);
        try
        {
            while (true)
            {
                if (registered)
                {
                    procs.putIntVolatile(base + LWLOCK_WAKEUP_OFFSET, 0);
                }
                if (attemptRecorded(mode, entry))
                {
                    return;
                }
                idle.reset();
                do
                {
                    idle.idle();
                }
                while (registered && procs.getIntVolatile(base + LWLOCK_WAKEUP_OFFSET) == 0);
            }
        }
        finally
        {
            if (registered)
            {
                procs.putIntVolatile(base + LWLOCK_WAIT_COUNTED_OFFSET, 0);
                segment.getAndAddInt(offset + WAITERS_OFFSET, -1);
                procs.putIntVolatile(base + LWLOCK_WAIT_OFFSET, 0);
            }
        }
    }

    /**
     * Wakes the waiters that may now get the lock at {@code lockOffset}: the one with the lowest
     * ticket, and if it wants shared mode every other shared waiter too. Woken waiters retry; one
     * that loses to a newcomer sleeps again and is woken by the next release.
     */
    static void wakeWaiters(final AtomicBuffer segment, final AtomicBuffer procs, final int lockOffset)
    {
        final int slots = procs.getInt(SLOT_COUNT_OFFSET);
        int first = -1;
        long firstTicket = Long.MAX_VALUE;
        for (int slot = 0; slot < slots; slot++)
        {
            final int base = slotOffset(slot);
            if (procs.getIntVolatile(base + LWLOCK_WAIT_OFFSET) == lockOffset)
            {
                final long ticket = procs.getLongVolatile(base + LWLOCK_WAIT_TICKET_OFFSET);
                if (ticket < firstTicket)
                {
                    firstTicket = ticket;
                    first = slot;
                }
            }
        }
        if (first < 0)
        {
            return;
        }
        final boolean firstShared = procs.getIntVolatile(slotOffset(first) + LWLOCK_WAIT_MODE_OFFSET) == 1;
        for (int slot = 0; slot < slots; slot++)
        {
            final int base = slotOffset(slot);
            if (slot == first || firstShared && procs.getIntVolatile(base + LWLOCK_WAIT_OFFSET) == lockOffset
                && procs.getIntVolatile(base + LWLOCK_WAIT_MODE_OFFSET) == 1)
            {
                procs.putIntVolatile(base + LWLOCK_WAKEUP_OFFSET, 1);
            }
        }
    }
}
