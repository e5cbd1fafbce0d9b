package org.pgshmem.buffer;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;
import static org.agrona.BitUtil.SIZE_OF_LONG;

import java.util.ArrayList;
import java.util.List;

import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.AtomicBuffer;

/**
 * Buffer statistics in shared memory (PostgreSQL's pg_stat_bgwriter and the per-relation
 * heap_blks_hit / heap_blks_read): cluster-wide counters, and hits, reads and writes per
 * relation. Hits and reads are counted in the process first and sent in batches, as PostgreSQL's
 * backends send their statistics, so that the hit path touches no shared counter.
 * <pre>
 *  Structure "Buffer Statistics":
 *  +---------------------------------------------------------------+
 *  |  buffers_alloc                                                |   0
 *  |  buffers_clean (written by the background writer)            |   8
 *  |  maxwritten_clean (rounds stopped at bgwriter_lru_maxpages)   |  16
 *  |  buffers_backend (written by backends)                        |  24
 *  |  buffers_checkpoint (written by the checkpointer)             |  32
 *  |  Reserved up to 64                                           ...
 *  +---------------------------------------------------------------+
 *  |  Relation entry 0 .. 255 (32 bytes each):                     |  64
 *  |    Relation + 1 (int; 0 free, claimed by compare-and-set)     |
 *  |    Hits | Reads | Writes (longs at 8, 16, 24)                 |
 *  +---------------------------------------------------------------+
 * </pre>
 * When every entry is taken, further relations are counted in the last one, shown as "other".
 */
final class BufferStats
{
    static final String LABEL = "Buffer Statistics";
    static final int ALLOC_OFFSET = 0;
    static final int CLEAN_OFFSET = ALLOC_OFFSET + SIZE_OF_LONG;
    static final int MAXWRITTEN_OFFSET = CLEAN_OFFSET + SIZE_OF_LONG;
    static final int BACKEND_OFFSET = MAXWRITTEN_OFFSET + SIZE_OF_LONG;
    static final int CHECKPOINT_OFFSET = BACKEND_OFFSET + SIZE_OF_LONG;
    static final int RELATIONS_OFFSET = CACHE_LINE_LENGTH;
    static final int RELATION_ENTRY_LENGTH = 32;
    static final int RELATIONS = 256;
    static final int LENGTH = RELATIONS_OFFSET + RELATIONS * RELATION_ENTRY_LENGTH;
    /** The Relation + 1 of the shared entry of relations that found no entry of their own. */
    static final int OTHER = -1;

    /** Who a process's writes are counted for. */
    enum Writer
    {
        BACKEND, BGWRITER, CHECKPOINTER
    }

    private static final int FLUSH_EVERY = 1024;

    private final AtomicBuffer buffer;
    private final Int2ObjectHashMap<long[]> pending = new Int2ObjectHashMap<>();
    private int lastRelation = Integer.MIN_VALUE;
    private long[] last;
    private int events;
    private Writer writer = Writer.BACKEND;

    BufferStats(final AtomicBuffer buffer)
    {
        this.buffer = buffer;
    }

    void writer(final Writer writer)
    {
        this.writer = writer;
    }

    private long[] local(final int relation)
    {
        if (relation != lastRelation)
        {
            long[] counts = pending.get(relation);
            if (counts == null)
            {
                counts = new long[3];
                pending.put(relation, counts);
            }
            last = counts;
            lastRelation = relation;
        }
        return last;
    }

    void hit(final int relation)
    {
        local(relation)[0]++;
        counted();
    }

    void read(final int relation)
    {
        local(relation)[1]++;
        counted();
    }

    void written(final int relation)
    {
        local(relation)[2]++;
        counted();
        switch (writer)
        {
            case BACKEND -> buffer.getAndAddLong(BACKEND_OFFSET, 1);
            case CHECKPOINTER -> buffer.getAndAddLong(CHECKPOINT_OFFSET, 1);
            case BGWRITER -> { } // the background writer counts its writes per round, as buffers_clean
        }
    }

    /** Every FLUSH_EVERY events of any kind the batch goes out, so that a process that only misses sends too. */
    private void counted()
    {
        if (++events >= FLUSH_EVERY)
        {
            flush();
        }
    }

    void allocated()
    {
        buffer.getAndAddLong(ALLOC_OFFSET, 1);
    }

    void cleaned(final int written, final boolean stoppedAtMax)
    {
        buffer.getAndAddLong(CLEAN_OFFSET, written);
        if (stoppedAtMax)
        {
            buffer.getAndAddLong(MAXWRITTEN_OFFSET, 1);
        }
    }

    /** Sends this process's counts to shared memory. */
    void flush()
    {
        events = 0;
        pending.forEachInt((relation, counts) ->
        {
            if (counts[0] == 0 && counts[1] == 0 && counts[2] == 0)
            {
                return;
            }
            final int entry = entryOf(relation);
            for (int i = 0; i < 3; i++)
            {
                if (counts[i] != 0)
                {
                    buffer.getAndAddLong(entry + SIZE_OF_LONG * (i + 1), counts[i]);
                    counts[i] = 0;
                }
            }
        });
    }

    private int entryOf(final int relation)
    {
        final int home = Integer.remainderUnsigned(relation * 0x9E37_79B9, RELATIONS - 1);
        for (int probe = 0; probe < RELATIONS - 1; probe++)
        {
            final int entry = RELATIONS_OFFSET + ((home + probe) % (RELATIONS - 1)) * RELATION_ENTRY_LENGTH;
            final int claimed = buffer.getIntVolatile(entry);
            if (claimed == relation + 1 && relation != OTHER)
            {
                return entry;
            }
            if (claimed == 0 && buffer.compareAndSetInt(entry, 0, relation + 1))
            {
                return entry;
            }
            if (buffer.getIntVolatile(entry) == relation + 1)
            {
                return entry;
            }
        }
        final int other = RELATIONS_OFFSET + (RELATIONS - 1) * RELATION_ENTRY_LENGTH;
        buffer.putIntVolatile(other, OTHER);
        return other;
    }

    /** pg_stat_bgwriter's counters: buffers_alloc, buffers_clean, maxwritten_clean, buffers_backend, buffers_checkpoint. */
    static long[] cluster(final AtomicBuffer buffer)
    {
        return new long[] {buffer.getLongVolatile(ALLOC_OFFSET), buffer.getLongVolatile(CLEAN_OFFSET),
            buffer.getLongVolatile(MAXWRITTEN_OFFSET), buffer.getLongVolatile(BACKEND_OFFSET),
            buffer.getLongVolatile(CHECKPOINT_OFFSET)};
    }

    /** Per relation: {relation (or OTHER), hits, reads, writes}, in entry order. */
    static List<long[]> relations(final AtomicBuffer buffer)
    {
        final List<long[]> rows = new ArrayList<>();
        for (int i = 0; i < RELATIONS; i++)
        {
            final int entry = RELATIONS_OFFSET + i * RELATION_ENTRY_LENGTH;
            final int claimed = buffer.getIntVolatile(entry);
            if (claimed != 0)
            {
                rows.add(new long[] {claimed == OTHER ? OTHER : Integer.toUnsignedLong(claimed - 1),
                    buffer.getLongVolatile(entry + 8), buffer.getLongVolatile(entry + 16),
                    buffer.getLongVolatile(entry + 24)});
            }
        }
        return rows;
    }
}
