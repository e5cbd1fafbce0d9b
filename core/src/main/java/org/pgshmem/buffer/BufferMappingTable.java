package org.pgshmem.buffer;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;

import org.agrona.BitUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.util.LinearProbing;

/**
 * The buffer mapping table (PostgreSQL's buf_table.c): page tag to buffer, in
 * {@link #PARTITIONS} partitions, each an open-addressing array probed linearly from the tag's
 * hash and guarded by its own LWLock of the "BufferMapping" tranche (shared to look up,
 * exclusive to insert or delete).
 * <pre>
 *  Entry (16 bytes):
 *  +---------------------------------------------------------------+
 *  |  Tag: Relation << 32 | Block                                  |  0
 *  +-------------------------------+-------------------------------+
 *  |  Buffer + 1 (0 = free entry)  |  Reserved                     |  8
 *  +-------------------------------+-------------------------------+
 * </pre>
 * Partition {@code p} is {@code capacity} entries at {@code p * capacity * 16}.
 */
final class BufferMappingTable
{
    /** NUM_BUFFER_PARTITIONS. */
    static final int PARTITIONS = 128;
    static final int ENTRY_LENGTH = 16;
    private static final int TAG_OFFSET = 0;
    private static final int BUFFER_OFFSET = 8;

    private final AtomicBuffer buffer;
    private final int capacity;
    private final int mask;

    BufferMappingTable(final AtomicBuffer buffer, final int capacity)
    {
        this.buffer = buffer;
        this.capacity = capacity;
        this.mask = capacity - 1;
    }

    /** Entries per partition for {@code buffers} buffers: at most half full even if every buffer maps to one partition's share twice over. */
    static int partitionCapacity(final int buffers)
    {
        return BitUtil.findNextPositivePowerOfTwo(Math.max(8, 4 * ((buffers + PARTITIONS - 1) / PARTITIONS)));
    }

    static long length(final int capacity)
    {
        return BitUtil.align((long)PARTITIONS * capacity * ENTRY_LENGTH, CACHE_LINE_LENGTH);
    }

    static long tag(final int relation, final int block)
    {
        return (long)relation << 32 | block & 0xFFFF_FFFFL;
    }

    static long hash(final long tag)
    {
        long h = tag * 0x9E37_79B9_7F4A_7C15L;
        h ^= h >>> 31;
        h *= 0xBF58_476D_1CE4_E5B9L;
        return h ^ h >>> 29;
    }

    /** BufTableHashPartition. */
    static int partition(final long tag)
    {
        return (int)(hash(tag) & (PARTITIONS - 1));
    }

    private int entry(final int partition, final int index)
    {
        return (partition * capacity + index) * ENTRY_LENGTH;
    }

    private int home(final long tag)
    {
        return (int)(hash(tag) >>> 7) & mask;
    }

    /** BufTableLookup: the buffer holding {@code tag}, or -1. Caller holds the partition lock. */
    int lookup(final int partition, final long tag)
    {
        for (int i = home(tag), probes = 0; probes < capacity; i = (i + 1) & mask, probes++)
        {
            final int e = entry(partition, i);
            final int buf = buffer.getIntVolatile(e + BUFFER_OFFSET);
            if (buf == 0)
            {
                return -1;
            }
            if (buffer.getLong(e + TAG_OFFSET) == tag)
            {
                return buf - 1;
            }
        }
        return -1;
    }

    /**
     * BufTableInsert: maps {@code tag} to {@code buf} unless it is mapped already; returns the
     * buffer it is mapped to then, or -1 when it inserted. Caller holds the partition lock exclusively.
     */
    int insert(final int partition, final long tag, final int buf)
    {
        for (int i = home(tag), probes = 0; probes < capacity; i = (i + 1) & mask, probes++)
        {
            final int e = entry(partition, i);
            final int existing = buffer.getInt(e + BUFFER_OFFSET);
            if (existing == 0)
            {
                buffer.putLong(e + TAG_OFFSET, tag);
                buffer.putIntRelease(e + BUFFER_OFFSET, buf + 1);
                return -1;
            }
            if (buffer.getLong(e + TAG_OFFSET) == tag)
            {
                return existing - 1;
            }
        }
        throw new IllegalStateException("buffer mapping partition " + partition + " is full");
    }

    /** BufTableDelete: removes {@code tag}, shifting later entries of its run back. Caller holds the partition lock exclusively. */
    boolean delete(final int partition, final long tag)
    {
        int hole = -1;
        for (int i = home(tag), probes = 0; probes < capacity; i = (i + 1) & mask, probes++)
        {
            final int e = entry(partition, i);
            if (buffer.getInt(e + BUFFER_OFFSET) == 0)
            {
                return false;
            }
            if (buffer.getLong(e + TAG_OFFSET) == tag)
            {
                hole = i;
                break;
            }
        }
        if (hole < 0)
        {
            return false;
        }
        int j = hole;
        while (true)
        {
            j = (j + 1) & mask;
            if (j == hole)
            {
                // a full partition has no free entry to end the run: every entry has been seen
                break;
            }
            final int je = entry(partition, j);
            final int buf = buffer.getInt(je + BUFFER_OFFSET);
            if (buf == 0)
            {
                break;
            }
            final long t = buffer.getLong(je + TAG_OFFSET);
            final int k = home(t);
            if (LinearProbing.movesIntoHole(hole, j, k))
            {
                final int he = entry(partition, hole);
                buffer.putLong(he + TAG_OFFSET, t);
                buffer.putIntRelease(he + BUFFER_OFFSET, buf);
                hole = j;
            }
        }
        buffer.putIntRelease(entry(partition, hole) + BUFFER_OFFSET, 0);
        buffer.putLong(entry(partition, hole) + TAG_OFFSET, 0);
        return true;
    }

    /** Calls {@code visitor} with every entry of {@code partition} (for the cleanup's consistency check). */
    void forEach(final int partition, final EntryVisitor visitor)
    {
        for (int i = 0; i < capacity; i++)
        {
            final int e = entry(partition, i);
            final int buf = buffer.getIntVolatile(e + BUFFER_OFFSET);
            if (buf != 0)
            {
                visitor.entry(buffer.getLong(e + TAG_OFFSET), buf - 1);
            }
        }
    }

    /** One mapping entry. */
    interface EntryVisitor
    {
        void entry(long tag, int buf);
    }
}
