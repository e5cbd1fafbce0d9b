package org.pgshmem.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Buffer statistics: cluster counters go to shared memory at once, per-relation counts in
 * batches; two processes' counts of a relation add up in one entry; relations beyond the 255
 * entries are counted together as "other".
 */
class BufferStatsTest
{
    private static final int REL = 16384;

    private UnsafeBuffer shared;
    private BufferStats stats;

    @BeforeEach
    void zeroedStructure()
    {
        shared = new UnsafeBuffer(ByteBuffer.allocateDirect(BufferStats.LENGTH));
        stats = new BufferStats(shared);
    }

    private List<long[]> relations()
    {
        return BufferStats.relations(shared);
    }

    private long[] row(final long relation)
    {
        for (final long[] r : relations())
        {
            if (r[0] == relation)
            {
                return r;
            }
        }
        return null;
    }

    @Test
    void theStructureIsAHeaderLineAnd256EntriesOf32Bytes()
    {
        assertEquals(64 + 256 * 32, BufferStats.LENGTH);
        assertEquals(0, BufferStats.ALLOC_OFFSET);
        assertEquals(8, BufferStats.CLEAN_OFFSET);
        assertEquals(16, BufferStats.MAXWRITTEN_OFFSET);
        assertEquals(24, BufferStats.BACKEND_OFFSET);
        assertEquals(32, BufferStats.CHECKPOINT_OFFSET);
    }

    @Test
    void hitsStayInTheProcessUntilTheFlush()
    {
        for (int i = 0; i < 1000; i++)
        {
            stats.hit(REL);
        }
        stats.read(REL);
        stats.written(REL);
        assertEquals(List.of(), relations(), "nothing sent yet");
        stats.flush();
        assertArrayEquals(new long[] {REL, 1000, 1, 1}, row(REL));
        stats.flush();
        assertArrayEquals(new long[] {REL, 1000, 1, 1}, row(REL), "a second flush sends nothing twice");
    }

    @Test
    void theThousandTwentyFourthHitSendsTheBatch()
    {
        for (int i = 0; i < 1023; i++)
        {
            stats.hit(REL);
        }
        assertEquals(List.of(), relations());
        stats.hit(REL);
        assertArrayEquals(new long[] {REL, 1024, 0, 0}, row(REL));
        for (int i = 0; i < 1023; i++)
        {
            stats.hit(REL + 1);
        }
        assertEquals(null, row(REL + 1), "the count started again from zero");
    }

    @Test
    void readsCountTowardsTheBatchOfTheNextHit()
    {
        for (int i = 0; i < 1000; i++)
        {
            stats.read(REL);
        }
        for (int i = 0; i < 23; i++)
        {
            stats.hit(REL + 1);
        }
        assertEquals(List.of(), relations());
        stats.hit(REL + 1);
        assertArrayEquals(new long[] {REL, 0, 1000, 0}, row(REL));
        assertArrayEquals(new long[] {REL + 1, 24, 0, 0}, row(REL + 1));
    }

    @Test
    void readsAloneAreSentEvery1024EventsToo()
    {
        // a process that only misses (a scan of a relation larger than the pool) must not keep
        // its counts to itself until it detaches
        for (int i = 0; i < 1024; i++)
        {
            stats.read(REL);
        }
        assertArrayEquals(new long[] {REL, 0, 1024, 0}, row(REL));
    }

    @Test
    void twoProcessesCountTheSameRelationInOneEntry()
    {
        final BufferStats other = new BufferStats(shared);
        stats.hit(REL);
        stats.read(REL);
        other.hit(REL);
        other.hit(REL);
        other.written(REL);
        stats.flush();
        other.flush();
        assertEquals(1, relations().size());
        assertArrayEquals(new long[] {REL, 3, 1, 1}, row(REL));
    }

    @Test
    void clusterCountersGoToSharedMemoryAtOnce()
    {
        stats.allocated();
        stats.allocated();
        stats.written(REL);
        assertArrayEquals(new long[] {2, 0, 0, 1, 0}, BufferStats.cluster(shared), "a backend's write is buffers_backend");

        final BufferStats checkpointer = new BufferStats(shared);
        checkpointer.writer(BufferStats.Writer.CHECKPOINTER);
        checkpointer.written(REL);
        assertArrayEquals(new long[] {2, 0, 0, 1, 1}, BufferStats.cluster(shared));

        final BufferStats bgwriter = new BufferStats(shared);
        bgwriter.writer(BufferStats.Writer.BGWRITER);
        bgwriter.written(REL);
        assertArrayEquals(new long[] {2, 0, 0, 1, 1}, BufferStats.cluster(shared), "counted per round instead");
        bgwriter.cleaned(5, false);
        bgwriter.cleaned(100, true);
        assertArrayEquals(new long[] {2, 105, 1, 1, 1}, BufferStats.cluster(shared));
        assertEquals(105, shared.getLong(8));
        assertEquals(1, shared.getLong(16));

        bgwriter.flush();
        checkpointer.flush();
        stats.flush();
        assertArrayEquals(new long[] {REL, 0, 0, 3}, row(REL), "every writer's writes count for the relation");
    }

    @Test
    void anEntryHoldsRelationPlusOneAndItsCountsAt8To24()
    {
        stats.hit(REL);
        stats.read(REL);
        stats.read(REL);
        stats.written(REL);
        stats.flush();
        int found = -1;
        for (int i = 0; i < BufferStats.RELATIONS; i++)
        {
            if (shared.getInt(64 + i * 32) != 0)
            {
                found = i;
            }
        }
        final int entry = 64 + found * 32;
        assertEquals(REL + 1, shared.getInt(entry));
        assertEquals(1, shared.getLong(entry + 8));
        assertEquals(2, shared.getLong(entry + 16));
        assertEquals(1, shared.getLong(entry + 24));
    }

    @Test
    void relationsBeyondTheFirst255AreCountedTogetherAsOther()
    {
        final int relations = 300;
        for (int r = 0; r < relations; r++)
        {
            for (int i = 0; i <= r % 3; i++)
            {
                stats.hit(r);
            }
            stats.read(r);
        }
        stats.flush();
        final List<long[]> rows = relations();
        assertEquals(256, rows.size(), "255 relations of their own and the shared last entry");
        long hits = 0;
        long reads = 0;
        int own = 0;
        for (final long[] r : rows)
        {
            hits += r[1];
            reads += r[2];
            if (r[0] != BufferStats.OTHER)
            {
                own++;
                assertEquals(r[0] % 3 + 1, r[1], "relation " + r[0]);
                assertEquals(1, r[2]);
            }
        }
        assertEquals(255, own);
        final long[] other = row(BufferStats.OTHER);
        assertEquals(relations - 255, other[2], "one read of each relation without an entry");
        assertEquals(600, hits, "nothing lost: 100 relations each of 1, 2 and 3 hits");
        assertEquals(300, reads);
        assertEquals(-1, shared.getInt(64 + 255 * 32), "the last entry is marked -1");

        stats.read(REL);
        stats.flush();
        assertEquals(relations - 255 + 1, row(BufferStats.OTHER)[2], "a new relation goes to other too");
    }
}
