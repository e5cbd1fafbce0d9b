package org.pgshmem.lock;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;
import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

import org.agrona.BitUtil;

/**
 * Layout of the heavyweight lock table (PostgreSQL's LOCK hash, partitioned as in lock.c):
 * {@link #PARTITIONS} partitions, each a header line then an open-addressing array of entries
 * probed linearly from the tag's hash; an entry is one locked object (PostgreSQL's LOCK) with
 * the modes every process holds on it (PROCLOCK's holdMask, one byte per proc-array slot).
 * Partition {@code p} is guarded by LWLock {@code p} of the "LockManager" tranche. Waiters are
 * not in the table: each records the tag it waits for in its own slot, so entries can move.
 * <pre>
 *  Partition header (64 bytes):
 *  +-------------------------------+-------------------------------+
 *  |  Entries Used                 |  Reserved                    ...  0
 *  +-------------------------------+-------------------------------+
 *  Entry (stride = 72 + slots, rounded up to 64):
 *  +---------------------------------------------------------------+
 *  |  Tag High (0 = free entry; see LockTag)                       |  0
 *  |  Tag Low                                                      |  8
 *  +-------------------------------+-------------------------------+
 *  |  Grant Mask                   |  Wait Mask                    | 16
 *  |  Granted (all modes)          |  Waiting                      | 24
 *  |  Granted[1] ... Granted[8]  (one int per mode)               ... 32
 *  +---------------------------------------------------------------+
 *  |  Next Wait Ticket                                             | 64
 *  +---------------------------------------------------------------+
 *  |  Hold Mask >> 1 of slot 0 (1 byte) | slot 1 | ...           ... 72
 *  +---------------------------------------------------------------+
 * </pre>
 * Counts and masks are derived from the hold bytes and the slots' wait records; the cleanup of a
 * dead process recomputes them, so a process killed while holding a partition lock cannot leave
 * them wrong.
 */
public final class LockTableDescriptor
{
    /** Partitions of the lock table (PostgreSQL's NUM_LOCK_PARTITIONS). */
    public static final int PARTITIONS = 16;
    public static final int PARTITION_HEADER_LENGTH = CACHE_LINE_LENGTH;
    public static final int ENTRIES_USED_OFFSET = 0;

    public static final int TAG_HIGH_OFFSET = 0;
    public static final int TAG_LOW_OFFSET = TAG_HIGH_OFFSET + SIZE_OF_LONG;
    public static final int GRANT_MASK_OFFSET = TAG_LOW_OFFSET + SIZE_OF_LONG;
    public static final int WAIT_MASK_OFFSET = GRANT_MASK_OFFSET + SIZE_OF_INT;
    public static final int N_GRANTED_OFFSET = WAIT_MASK_OFFSET + SIZE_OF_INT;
    public static final int N_WAITING_OFFSET = N_GRANTED_OFFSET + SIZE_OF_INT;
    public static final int GRANTED_OFFSET = N_WAITING_OFFSET + SIZE_OF_INT;
    public static final int NEXT_TICKET_OFFSET = GRANTED_OFFSET + 8 * SIZE_OF_INT;
    public static final int HOLD_MASKS_OFFSET = NEXT_TICKET_OFFSET + SIZE_OF_LONG;

    /** Tickets of waiters queued at the tail are this far apart, leaving room to queue ahead of one. */
    public static final long TICKET_STEP = 1L << 32;

    private LockTableDescriptor()
    {
    }

    /** Offset of mode {@code number}'s granted count in an entry. */
    public static int grantedOffset(final int modeNumber)
    {
        return GRANTED_OFFSET + (modeNumber - 1) * SIZE_OF_INT;
    }

    /** Bytes of one entry for {@code slots} proc-array slots. */
    public static int entryStride(final int slots)
    {
        return BitUtil.align(HOLD_MASKS_OFFSET + slots, CACHE_LINE_LENGTH);
    }

    /** Entries per partition for {@code lockEntries} lockable objects in all: a power of two, at most half full. */
    public static int partitionCapacity(final long lockEntries)
    {
        final long perPartition = (lockEntries + PARTITIONS - 1) / PARTITIONS;
        return BitUtil.findNextPositivePowerOfTwo((int)Math.max(16, 2 * perPartition));
    }

    /** Bytes of one partition. */
    public static long partitionLength(final int capacity, final int stride)
    {
        return PARTITION_HEADER_LENGTH + (long)capacity * stride;
    }
}
