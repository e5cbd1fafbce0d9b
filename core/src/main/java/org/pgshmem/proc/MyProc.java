package org.pgshmem.proc;

import static org.pgshmem.proc.ProcSlotDescriptor.*;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.util.PgException;
import org.pgshmem.util.Processes;

/**
 * This process's own proc-array slot, as the lock code sees it (PostgreSQL's MyProc): who we
 * are in an owner word, and where we record the locks we hold and wait for so that the
 * postmaster can release them if we die. One per process and segment, found with
 * {@code Shmem.processLocal(MyProc.class, ...)}; it knows its slot once the process has claimed one.
 *
 * <p>An owner token is {@code pid << 20 | (slot + 1)}: the pid for messages and liveness, the
 * slot for cleanup. A process without a slot (before it has claimed one, or a tool) has slot bits 0.
 */
public final class MyProc
{
    /** Bits of an owner token that hold the slot + 1. */
    public static final int SLOT_BITS = 20;
    private static final long SLOT_MASK = (1L << SLOT_BITS) - 1;

    private volatile AtomicBuffer procs;
    private volatile int slot = -1;
    private volatile int base;
    private volatile long ownerToken = ownerToken(Processes.selfPid(), -1);

    /** The token a process with {@code pid} in {@code slot} (-1 for none) writes into owner words. */
    public static long ownerToken(final long pid, final int slot)
    {
        return pid << SLOT_BITS | (slot + 1);
    }

    /** The slot named by an owner token, or -1. */
    public static int ownerSlot(final long token)
    {
        return (int)(token & SLOT_MASK) - 1;
    }

    /** The pid named by an owner token. */
    public static long ownerPid(final long token)
    {
        return token >>> SLOT_BITS;
    }

    void attach(final AtomicBuffer procArray, final int slot)
    {
        this.procs = procArray;
        this.base = slotOffset(slot);
        this.slot = slot;
        this.ownerToken = ownerToken(Processes.selfPid(), slot);
    }

    void detach()
    {
        this.slot = -1;
        this.ownerToken = ownerToken(Processes.selfPid(), -1);
    }

    /** This process's slot, or -1 before it has one. */
    public int slot()
    {
        return slot;
    }

    /** What this process writes into the owner word of a lock it takes. */
    public long ownerToken()
    {
        return ownerToken;
    }

    /** The proc array, once this process has a slot. */
    public AtomicBuffer procArray()
    {
        return procs;
    }

    /** Offset of this process's slot in the proc array. */
    public int slotBase()
    {
        return base;
    }

    /** Fails unless this process has a slot: LWLocks and heavyweight locks need one. */
    public void requireSlot(final String what)
    {
        if (slot < 0)
        {
            throw new PgException("cannot take " + what + " in a process without a proc-array slot",
                null, "Attach as a backend (Backend.attach) before taking locks.");
        }
    }

    /**
     * Records that this process is about to take the spinlock at {@code segmentOffset}, before
     * the compare-and-set, so that its death at any point leaves a record the cleanup can check
     * against the lock word. False when another thread of this process already has a spinlock
     * recorded: the second one is then held untracked.
     */
    public boolean trackSpinlock(final long segmentOffset)
    {
        return slot >= 0 && procs.compareAndSetLong(base + HELD_SPINLOCK_OFFSET, 0, segmentOffset + 1);
    }

    /** Clears the held-spinlock record after the lock word was released. */
    public void untrackSpinlock(final long segmentOffset)
    {
        procs.compareAndSetLong(base + HELD_SPINLOCK_OFFSET, segmentOffset + 1, 0);
    }

    /**
     * Records an LWLock this process is about to take ({@code entry} = offset | mode bit), before
     * its compare-and-set: returns the record's index, for {@link #forgetLWLock}.
     */
    public int rememberLWLock(final int entry)
    {
        final AtomicBuffer p = procs;
        final int first = base + HELD_LWLOCKS_OFFSET;
        for (int i = 0; i < MAX_HELD_LWLOCKS; i++)
        {
            final int at = first + i * Integer.BYTES;
            if (p.getInt(at) == 0 && p.compareAndSetInt(at, 0, entry))
            {
                return i;
            }
        }
        throw new PgException("too many LWLocks taken", "A process may hold " + MAX_HELD_LWLOCKS + " at once.",
            "Release LWLocks before taking more.");
    }

    /** Drops the record made by {@link #rememberLWLock}. */
    public void forgetLWLock(final int index)
    {
        procs.putIntRelease(base + HELD_LWLOCKS_OFFSET + index * Integer.BYTES, 0);
    }

    /** The index of one record of {@code entry}, or -1 when this process has none. */
    public int findLWLock(final int entry)
    {
        final int first = base + HELD_LWLOCKS_OFFSET;
        for (int i = 0; i < MAX_HELD_LWLOCKS; i++)
        {
            if (procs.getInt(first + i * Integer.BYTES) == entry)
            {
                return i;
            }
        }
        return -1;
    }

    /** Drops one record of {@code entry}, when the caller did not keep its index. */
    public void forgetLWLockEntry(final int entry)
    {
        final int first = base + HELD_LWLOCKS_OFFSET;
        for (int i = 0; i < MAX_HELD_LWLOCKS; i++)
        {
            final int at = first + i * Integer.BYTES;
            if (procs.getInt(at) == entry && procs.compareAndSetInt(at, entry, 0))
            {
                return;
            }
        }
        throw new IllegalStateException("LWLock at " + (entry & ~1) + " is not held by this process");
    }
}
