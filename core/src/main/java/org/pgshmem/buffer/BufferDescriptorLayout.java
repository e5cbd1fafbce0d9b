package org.pgshmem.buffer;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;
import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of one buffer descriptor (PostgreSQL's BufferDesc, padded to a cache line): the buffer's
 * state in one 64-bit word changed only by compare-and-set, and the tag of the page it holds.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-----------------------------------+-------+-------------------+
 *  |  Refcount (18 bits)               | Usage |  Flags (10 bits)  |  0  State, low word
 *  +-----------------------------------+-------+-------------------+
 *  |  I/O Owner (slot + 1, 20 bits)            |  Reserved         |  4  State, high word
 *  +-------------------------------------------+-------------------+
 *  |  Tag: Relation                                                |  8
 *  |  Tag: Block                                                   | 12
 *  +---------------------------------------------------------------+
 *  |  Content Lock: an LWLock's State, Waiters, Ticket (24 bytes)  | 16
 *  |  Reserved up to 64                                           ... 40
 *  +---------------------------------------------------------------+
 * </pre>
 * The low word is PostgreSQL's BUF_STATE: refcount, usage count (0 to 5) and flags. The I/O owner
 * names the process doing the read or write that I/O In Progress announces, set in the same
 * compare-and-set, so that the cleanup of a dead process can end its I/O (AbortBufferIO). There is
 * no header spinlock: the tag changes only while its two mapping partitions are locked exclusively
 * and the buffer is pinned by the changer alone. The content lock lives in the same line, as in
 * PostgreSQL since 9.6: a read writes one line (pin, lock, unlock, unpin), not two.
 */
public final class BufferDescriptorLayout
{
    public static final int STATE_OFFSET = 0;
    public static final int TAG_RELATION_OFFSET = STATE_OFFSET + SIZE_OF_LONG;
    public static final int TAG_BLOCK_OFFSET = TAG_RELATION_OFFSET + SIZE_OF_INT;
    public static final int CONTENT_LOCK_OFFSET = TAG_BLOCK_OFFSET + SIZE_OF_INT;
    public static final int LENGTH = CACHE_LINE_LENGTH;

    public static final long REFCOUNT_ONE = 1;
    public static final long REFCOUNT_MASK = (1L << 18) - 1;
    public static final int USAGE_SHIFT = 18;
    public static final long USAGE_ONE = 1L << USAGE_SHIFT;
    public static final long USAGE_MASK = 0xFL << USAGE_SHIFT;
    /** BM_MAX_USAGE_COUNT. */
    public static final int MAX_USAGE_COUNT = 5;

    public static final long DIRTY = 1L << 23;
    public static final long VALID = 1L << 24;
    public static final long TAG_VALID = 1L << 25;
    public static final long IO_IN_PROGRESS = 1L << 26;
    public static final long IO_ERROR = 1L << 27;
    public static final long JUST_DIRTIED = 1L << 28;

    public static final int IO_OWNER_SHIFT = 32;
    public static final long IO_OWNER_MASK = ((1L << 20) - 1) << IO_OWNER_SHIFT;

    private BufferDescriptorLayout()
    {
    }

    /** The refcount in a state word. */
    public static int refcount(final long state)
    {
        return (int)(state & REFCOUNT_MASK);
    }

    /** The usage count in a state word. */
    public static int usageCount(final long state)
    {
        return (int)((state & USAGE_MASK) >>> USAGE_SHIFT);
    }

    /** The slot of the process doing the I/O, or -1. */
    public static int ioOwner(final long state)
    {
        return (int)((state & IO_OWNER_MASK) >>> IO_OWNER_SHIFT) - 1;
    }

    /** {@code state} with the I/O owner set to {@code slot}. */
    public static long withIoOwner(final long state, final int slot)
    {
        return state & ~IO_OWNER_MASK | (long)(slot + 1) << IO_OWNER_SHIFT;
    }
}
