package org.pgshmem.lock;

import static org.pgshmem.lock.LWLockDescriptor.*;
import static org.pgshmem.proc.ProcSlotDescriptor.*;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.module.ShmemModule;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemAllocation;
import org.pgshmem.util.Elog;

/**
 * The light locks of the cluster as a module: it owns no memory (spinlocks live in the structures
 * they protect, LWLocks in tranches), but its cleanup is what makes them safe when a process dies.
 * For a dead slot it releases the spinlock the slot records, takes the slot off any LWLock wait
 * queue, releases every LWLock the slot records as held, and wakes the waiters of each.
 *
 * <p>A shared hold is recorded in the holder's slot just before the compare-and-set that takes
 * it, so a dead slot's record may be one it never completed. It is released only if the lock's
 * shared count exceeds the holds that live slots record for it; a live process between its own
 * record and its compare-and-set at that instant makes the check keep the hold (a leak, never a
 * double release).
 */
public final class LWLocks implements ShmemModule
{
    private Shmem shmem;
    private AtomicBuffer segment;

    @Override
    public String name()
    {
        return "lwlock";
    }

    @Override
    public void shmemInit(final Shmem shmem)
    {
        this.shmem = shmem;
        this.segment = shmem.segment().buffer();
    }

    /**
     * At a clean detach (PostgreSQL's LWLockReleaseAll at exit): whatever light lock this process
     * still holds is released, as its cleanup would release it had it died.
     */
    public void releaseAllHeldBy(final int slot, final long pid)
    {
        release(slot, pid, "process " + pid + " at its detach");
    }

    @Override
    public void cleanupProcess(final int slot, final long pid)
    {
        release(slot, pid, "terminated process " + pid);
    }

    private void release(final int slot, final long pid, final String holder)
    {
        final AtomicBuffer procs = shmem.findStruct(ProcArray.LABEL).buffer();
        final long spinlock = SpinLock.releaseHeldBy(segment, procs, slot, pid);
        if (spinlock >= 0)
        {
            Elog.log("released spinlock at " + describe(spinlock) + " held by " + holder);
        }
        cancelWait(slot);
        final int base = slotOffset(slot);
        for (int i = 0; i < MAX_HELD_LWLOCKS; i++)
        {
            final int at = base + HELD_LWLOCKS_OFFSET + i * Integer.BYTES;
            final int entry = procs.getIntVolatile(at);
            if (entry == 0)
            {
                continue;
            }
            final int lock = entry & ~1;
            if (releaseHeld(procs, slot, lock, LWLockMode.ofBit(entry)))
            {
                Elog.log("released LWLock " + describe(lock) + " (" + LWLockMode.ofBit(entry).name().toLowerCase()
                    + ") held by " + holder);
                LWLock.wakeWaiters(segment, procs, lock);
            }
            procs.putIntVolatile(at, 0);
        }
    }

    /**
     * Takes a dead process off the LWLock wait queue it was in, waking the next waiter in its
     * place (a release may have chosen it to wake). The postmaster does this before any module's
     * cleanup: a cleanup that waits for an LWLock must not queue behind a dead waiter that the
     * next release would wake instead of it.
     */
    public void cancelWait(final int slot)
    {
        final AtomicBuffer procs = shmem.findStruct(ProcArray.LABEL).buffer();
        final int base = slotOffset(slot);
        final int waitingOn = procs.getIntVolatile(base + LWLOCK_WAIT_OFFSET);
        if (waitingOn != 0)
        {
            if (procs.getIntVolatile(base + LWLOCK_WAIT_COUNTED_OFFSET) != 0)
            {
                segment.getAndAddInt(waitingOn + WAITERS_OFFSET, -1);
            }
            procs.putIntVolatile(base + LWLOCK_WAIT_COUNTED_OFFSET, 0);
            procs.putIntVolatile(base + LWLOCK_WAIT_OFFSET, 0);
            LWLock.wakeWaiters(segment, procs, waitingOn);
        }
    }

    private boolean releaseHeld(final AtomicBuffer procs, final int slot, final int lock, final LWLockMode mode)
    {
        final int at = lock + LOCK_STATE_OFFSET;
        while (true)
        {
            final long state = segment.getLongVolatile(at);
            if (mode == LWLockMode.EXCLUSIVE)
            {
                // the record precedes the compare-and-set: the state tells whether it happened
                return exclusiveOwner(state) == slot && segment.compareAndSetLong(at, state, 0);
            }
            if ((state & EXCLUSIVE) != 0 || (state & SHARED_MASK) <= sharedHoldsOfOthers(procs, slot, lock))
            {
                return false;
            }
            if (segment.compareAndSetLong(at, state, state - 1))
            {
                return true;
            }
        }
    }

    private static int sharedHoldsOfOthers(final AtomicBuffer procs, final int deadSlot, final int lock)
    {
        final int slots = procs.getInt(SLOT_COUNT_OFFSET);
        int holds = 0;
        for (int slot = 0; slot < slots; slot++)
        {
            if (slot == deadSlot)
            {
                continue;
            }
            final int first = slotOffset(slot) + HELD_LWLOCKS_OFFSET;
            for (int i = 0; i < MAX_HELD_LWLOCKS; i++)
            {
                if (procs.getIntVolatile(first + i * Integer.BYTES) == lock)
                {
                    holds++;
                }
            }
        }
        return holds;
    }

    /** Names what lies at {@code offset}: the structure and the offset in it. */
    private String describe(final long offset)
    {
        for (final ShmemAllocation a : shmem.allocations())
        {
            if ("struct".equals(a.kind()) && offset >= a.offset() && offset < a.offset() + a.size())
            {
                final long within = offset - a.offset();
                return a.name().startsWith(LWLockTranche.LABEL_PREFIX)
                    ? "\"" + a.name().substring(LWLockTranche.LABEL_PREFIX.length()) + "\" " + within / LENGTH
                    : "\"" + a.name() + "\"+" + within;
            }
        }
        return "offset " + offset;
    }
}
