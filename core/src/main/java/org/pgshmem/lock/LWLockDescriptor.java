package org.pgshmem.lock;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;
import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of one LWLock (PostgreSQL's LWLock, padded to a cache line as LWLockPadded is). A
 * tranche is an array of them in a structure of its own ({@link LWLockTranche}).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-----------------------------------------------+-+-------------+
 *  |  Shared Holders (count, 24 bits)              |X|  Reserved   |  0  State, low word
 *  +-----------------------------------------------+-+-------------+
 *  |  Exclusive Owner (slot + 1; 0 when not held exclusively)      |  4  State, high word
 *  +---------------------------------------------------------------+
 *  |  Waiters (processes registered as waiting)                    |  8
 *  +---------------------------------------------------------------+
 *  |  Reserved                                                     | 12
 *  |  Next Wait Ticket (64 bits)                                   | 16
 *  |  Reserved up to 64                                           ...
 *  +---------------------------------------------------------------+
 * </pre>
 * X is the exclusive bit. The state changes only by atomic instructions (compare-and-set, and
 * the release of a share, which cannot borrow from the exclusive bit). Who holds a shared lock is
 * not in the lock: each holder records it in its proc-array slot (Held LWLocks), and a waiter
 * records the lock it waits for there too, so that the releaser can find and wake it.
 */
public final class LWLockDescriptor
{
    public static final int LOCK_STATE_OFFSET = 0;
    public static final int WAITERS_OFFSET = LOCK_STATE_OFFSET + SIZE_OF_LONG;
    public static final int TICKET_OFFSET = WAITERS_OFFSET + 2 * SIZE_OF_INT;
    public static final int LENGTH = CACHE_LINE_LENGTH;

    public static final long SHARED_MASK = (1L << 24) - 1;
    public static final long EXCLUSIVE = 1L << 24;
    public static final int OWNER_SHIFT = 32;

    private LWLockDescriptor()
    {
    }

    /** The state word of a lock held exclusively by the process in {@code slot}. */
    public static long exclusiveState(final int slot)
    {
        return EXCLUSIVE | (long)(slot + 1) << OWNER_SHIFT;
    }

    /** The slot holding a lock in exclusive state {@code state}, or -1. */
    public static int exclusiveOwner(final long state)
    {
        return (state & EXCLUSIVE) == 0 ? -1 : (int)(state >>> OWNER_SHIFT) - 1;
    }
}
