package org.pgshmem.lock;

import static org.pgshmem.lock.LockTableDescriptor.*;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.util.LinearProbing;

/**
 * Flyweight over the lock table ({@link LockTableDescriptor}): find, create and remove entries
 * in a partition, and read or change one entry. Every change happens under the partition's
 * LWLock, held exclusively; readers without it (pg_locks) may see an entry mid-change.
 */
final class LockTable
{
    private final AtomicBuffer buffer;
    private final int slots;
    private final int capacity;
    private final int mask;
    private final int stride;
    private final long partitionLength;
    private final int maxUsed;

    LockTable(final AtomicBuffer buffer, final int slots, final int capacity)
    {
        this.buffer = buffer;
        this.slots = slots;
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.stride = entryStride(slots);
        this.partitionLength = LockTableDescriptor.partitionLength(capacity, stride);
        this.maxUsed = capacity - capacity / 4;
    }

    static long hash(final long high, final long low)
    {
        long h = high * 0x9E37_79B9_7F4A_7C15L ^ low * 0xC2B2_AE3D_27D4_EB4FL;
        h ^= h >>> 29;
        h *= 0xBF58_476D_1CE4_E5B9L;
        return h ^ h >>> 32;
    }

    /** The partition of a tag. */
    static int partition(final long high, final long low)
    {
        return (int)(hash(high, low) & (PARTITIONS - 1));
    }

    int slots()
    {
        return slots;
    }

    int capacity()
    {
        return capacity;
    }

    private int partitionBase(final int partition)
    {
        return (int)(partition * partitionLength);
    }

    /** Offset of entry {@code index} of {@code partition} in the table. */
    int entry(final int partition, final int index)
    {
        return partitionBase(partition) + PARTITION_HEADER_LENGTH + index * stride;
    }

    private int home(final long high, final long low)
    {
        return (int)(hash(high, low) >>> 4) & mask;
    }

    /** The entry of the tag in its partition, or -1. */
    int find(final int partition, final long high, final long low)
    {
        int index = home(high, low);
        for (int probes = 0; probes < capacity; probes++)
        {
            final int e = entry(partition, index);
            final long h = buffer.getLong(e + TAG_HIGH_OFFSET);
            if (h == 0)
            {
                return -1;
            }
            if (h == high && buffer.getLong(e + TAG_LOW_OFFSET) == low)
            {
                return e;
            }
            index = (index + 1) & mask;
        }
        return -1;
    }

    /** The entry of the tag, created empty if missing; -1 when the partition is full. */
    int findOrCreate(final int partition, final long high, final long low)
    {
        int index = home(high, low);
        for (int probes = 0; probes < capacity; probes++)
        {
            final int e = entry(partition, index);
            final long h = buffer.getLong(e + TAG_HIGH_OFFSET);
            if (h == 0)
            {
                final int used = partitionBase(partition) + ENTRIES_USED_OFFSET;
                if (buffer.getInt(used) >= maxUsed)
                {
                    return -1;
                }
                buffer.putInt(used, buffer.getInt(used) + 1);
                buffer.putLong(e + TAG_LOW_OFFSET, low);
                // the high word last: it is what marks the entry used
                buffer.putLongRelease(e + TAG_HIGH_OFFSET, high);
                return e;
            }
            if (h == high && buffer.getLong(e + TAG_LOW_OFFSET) == low)
            {
                return e;
            }
            index = (index + 1) & mask;
        }
        return -1;
    }

    /** Removes entry {@code e} of {@code partition}, shifting later entries of its probe run back (no tombstones). */
    void remove(final int partition, final int e)
    {
        final int first = entry(partition, 0);
        int hole = (e - first) / stride;
        int j = hole;
        while (true)
        {
            j = (j + 1) & mask;
            final int je = entry(partition, j);
            final long h = buffer.getLong(je + TAG_HIGH_OFFSET);
            if (h == 0)
            {
                break;
            }
            final int k = home(h, buffer.getLong(je + TAG_LOW_OFFSET));
            if (LinearProbing.movesIntoHole(hole, j, k))
            {
                buffer.putBytes(entry(partition, hole), buffer, je, stride);
                hole = j;
            }
        }
        buffer.setMemory(entry(partition, hole), stride, (byte)0);
        final int used = partitionBase(partition) + ENTRIES_USED_OFFSET;
        buffer.putInt(used, buffer.getInt(used) - 1);
    }

    long tagHigh(final int e)
    {
        return buffer.getLongVolatile(e + TAG_HIGH_OFFSET);
    }

    long tagLow(final int e)
    {
        return buffer.getLongVolatile(e + TAG_LOW_OFFSET);
    }

    /** The modes {@code slot} holds on entry {@code e}, as a mask of mode bits; the byte stores it shifted by one (bit 0 is unused). */
    int holdMask(final int e, final int slot)
    {
        return (buffer.getByte(e + HOLD_MASKS_OFFSET + slot) & 0xFF) << 1;
    }

    private void holdMask(final int e, final int slot, final int mask)
    {
        buffer.putByte(e + HOLD_MASKS_OFFSET + slot, (byte)(mask >>> 1));
    }

    int grantMask(final int e)
    {
        return buffer.getInt(e + GRANT_MASK_OFFSET);
    }

    int waitMask(final int e)
    {
        return buffer.getInt(e + WAIT_MASK_OFFSET);
    }

    int waiting(final int e)
    {
        return buffer.getInt(e + N_WAITING_OFFSET);
    }

    long nextTailTicket(final int e)
    {
        final long ticket = buffer.getLong(e + NEXT_TICKET_OFFSET) + TICKET_STEP;
        buffer.putLong(e + NEXT_TICKET_OFFSET, ticket);
        return ticket;
    }

    /** Whether no one holds the entry and no one waits for it: it may go. */
    boolean isUnused(final int e)
    {
        return buffer.getInt(e + N_GRANTED_OFFSET) == 0 && buffer.getInt(e + N_WAITING_OFFSET) == 0;
    }

    /**
     * Whether a request for {@code mode} by a process holding {@code myHeld} on entry {@code e}
     * conflicts with what others hold (LockCheckConflicts): its own holds do not count.
     */
    boolean conflictsWithHolders(final int e, final LockMode mode, final int myHeld)
    {
        final int conflictMask = mode.conflictMask();
        if ((conflictMask & grantMask(e)) == 0)
        {
            return false;
        }
        for (int m = 1; m <= 8; m++)
        {
            final int bit = 1 << m;
            if ((conflictMask & bit) != 0)
            {
                final int others = buffer.getInt(e + grantedOffset(m)) - ((myHeld & bit) != 0 ? 1 : 0);
                if (others > 0)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /** Grants {@code mode} to {@code slot} (GrantLock). */
    void grant(final int e, final LockMode mode, final int slot)
    {
        holdMask(e, slot, holdMask(e, slot) | mode.bit());
        buffer.putInt(e + grantedOffset(mode.number()), buffer.getInt(e + grantedOffset(mode.number())) + 1);
        buffer.putInt(e + N_GRANTED_OFFSET, buffer.getInt(e + N_GRANTED_OFFSET) + 1);
        buffer.putInt(e + GRANT_MASK_OFFSET, buffer.getInt(e + GRANT_MASK_OFFSET) | mode.bit());
    }

    /** Takes {@code mode} back from {@code slot} (UnGrantLock). */
    void ungrant(final int e, final LockMode mode, final int slot)
    {
        holdMask(e, slot, holdMask(e, slot) & ~mode.bit());
        final int granted = buffer.getInt(e + grantedOffset(mode.number())) - 1;
        buffer.putInt(e + grantedOffset(mode.number()), granted);
        buffer.putInt(e + N_GRANTED_OFFSET, buffer.getInt(e + N_GRANTED_OFFSET) - 1);
        if (granted == 0)
        {
            buffer.putInt(e + GRANT_MASK_OFFSET, buffer.getInt(e + GRANT_MASK_OFFSET) & ~mode.bit());
        }
    }

    /** Clears every mode {@code slot} holds on entry {@code e}; returns what it held. */
    int clearHolds(final int e, final int slot)
    {
        final int held = holdMask(e, slot);
        holdMask(e, slot, 0);
        return held;
    }

    /** Sets the wait mask and count, derived from the waiters' own records by the caller. */
    void waiters(final int e, final int waitMask, final int waiting)
    {
        buffer.putInt(e + WAIT_MASK_OFFSET, waitMask);
        buffer.putInt(e + N_WAITING_OFFSET, waiting);
    }

    /** Recomputes the granted counts and grant mask from the hold bytes. */
    void recomputeGranted(final int e)
    {
        int total = 0;
        int grantMask = 0;
        for (int m = 1; m <= 8; m++)
        {
            int count = 0;
            for (int slot = 0; slot < slots; slot++)
            {
                if ((holdMask(e, slot) & 1 << m) != 0)
                {
                    count++;
                }
            }
            buffer.putInt(e + grantedOffset(m), count);
            total += count;
            grantMask |= count > 0 ? 1 << m : 0;
        }
        buffer.putInt(e + N_GRANTED_OFFSET, total);
        buffer.putInt(e + GRANT_MASK_OFFSET, grantMask);
    }
}
