package org.pgshmem.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The buffer mapping table of 16 buffers: 128 partitions of 8 entries, so that a few tags fill a
 * partition, runs wrap around its end, and deletion has to shift entries back across the wrap.
 */
class BufferMappingTableTest
{
    private static final int BUFFERS = 16;
    private static final int CAPACITY = BufferMappingTable.partitionCapacity(BUFFERS);
    private static final int REL = 16384;

    private UnsafeBuffer memory;
    private BufferMappingTable table;

    @BeforeEach
    void emptyTable()
    {
        memory = new UnsafeBuffer(ByteBuffer.allocateDirect((int)BufferMappingTable.length(CAPACITY)));
        table = new BufferMappingTable(memory, CAPACITY);
    }

    /** The home entry as LAYOUTS.md gives it: the hash's bits above the 7 partition bits. */
    private static int home(final long tag)
    {
        return (int)(BufferMappingTable.hash(tag) >>> 7) & (CAPACITY - 1);
    }

    /** The first {@code n} tags of relation REL, by block, whose partition is {@code partition} and home {@code home} (any home if -1). */
    private static List<Long> tags(final int partition, final int home, final int n)
    {
        final List<Long> tags = new ArrayList<>();
        for (int block = 0; tags.size() < n; block++)
        {
            final long tag = BufferMappingTable.tag(REL, block);
            if (BufferMappingTable.partition(tag) == partition && (home < 0 || home(tag) == home))
            {
                tags.add(tag);
            }
        }
        return tags;
    }

    /** The entries of a partition in entry order: tags, with -1 where an entry is free. */
    private List<Long> entries(final int partition)
    {
        final List<Long> list = new ArrayList<>();
        for (int i = 0; i < CAPACITY; i++)
        {
            final int e = (partition * CAPACITY + i) * BufferMappingTable.ENTRY_LENGTH;
            list.add(memory.getInt(e + 8) == 0 ? -1L : memory.getLong(e));
        }
        return list;
    }

    @Test
    void partitionsAreSizedFromTheBufferCount()
    {
        assertEquals(8, BufferMappingTable.partitionCapacity(16), "at least 8");
        assertEquals(8, BufferMappingTable.partitionCapacity(256));
        assertEquals(16, BufferMappingTable.partitionCapacity(257));
        assertEquals(512, BufferMappingTable.partitionCapacity(16384), "four times a partition's share, 128");
        assertEquals(1024, BufferMappingTable.partitionCapacity(16385));
        assertEquals(8192, BufferMappingTable.partitionCapacity(245760));
        assertEquals(128 * 8 * 16, BufferMappingTable.length(8));
        assertEquals(128 * 512 * 16, BufferMappingTable.length(512));
    }

    @Test
    void aTagIsTheRelationAboveTheBlockAndItsPartitionTheLowSevenBitsOfItsHash()
    {
        assertEquals(0x0000_4000_0000_0007L, BufferMappingTable.tag(REL, 7));
        assertEquals(0x0000_0001_FFFF_FFFFL, BufferMappingTable.tag(1, -1), "the block does not spill into the relation");
        assertEquals(0x0000_0000_0000_0000L, BufferMappingTable.tag(0, 0));
        final long tag = BufferMappingTable.tag(REL, 0);
        assertEquals(BufferMappingTable.hash(tag) & 127, BufferMappingTable.partition(tag));
        final boolean[] seen = new boolean[BufferMappingTable.PARTITIONS];
        for (int block = 0; block < 4096; block++)
        {
            seen[BufferMappingTable.partition(BufferMappingTable.tag(REL, block))] = true;
        }
        for (int p = 0; p < seen.length; p++)
        {
            assertTrue(seen[p], "the blocks of one relation spread over every partition: " + p);
        }
    }

    @Test
    void insertLookupAndDeleteOfOneTag()
    {
        final long tag = BufferMappingTable.tag(REL, 3);
        final int p = BufferMappingTable.partition(tag);
        assertEquals(-1, table.lookup(p, tag));
        assertEquals(-1, table.insert(p, tag, 5), "-1: inserted");
        assertEquals(5, table.lookup(p, tag));
        assertEquals(tag, entries(p).get(home(tag)), "in its home entry");
        assertEquals(-1, table.lookup(p, BufferMappingTable.tag(REL, 4)));
        assertTrue(table.delete(p, tag));
        assertEquals(-1, table.lookup(p, tag));
        assertFalse(table.delete(p, tag), "already gone");
        for (int i = 0; i < memory.capacity(); i += 8)
        {
            assertEquals(0, memory.getLong(i), "a deleted entry is all zeros: byte " + i);
        }
    }

    @Test
    void buffer0AndTag0AreOrdinaryEntries()
    {
        final long tag = BufferMappingTable.tag(0, 0);
        final int p = BufferMappingTable.partition(tag);
        assertEquals(-1, table.insert(p, tag, 0));
        assertEquals(0, table.lookup(p, tag));
        assertEquals(1, memory.getInt((p * CAPACITY + home(tag)) * 16 + 8), "the entry stores buffer + 1");
    }

    @Test
    void insertOfATagAlreadyMappedReturnsItsBufferAndChangesNothing()
    {
        final long tag = BufferMappingTable.tag(REL, 9);
        final int p = BufferMappingTable.partition(tag);
        assertEquals(-1, table.insert(p, tag, 11));
        final List<Long> before = entries(p);
        assertEquals(11, table.insert(p, tag, 4));
        assertEquals(11, table.lookup(p, tag));
        assertEquals(before, entries(p));
    }

    @Test
    void aRunThatReachesTheEndOfAPartitionWrapsToItsStart()
    {
        final int p = 5;
        final List<Long> t = tags(p, CAPACITY - 1, 3);
        for (int i = 0; i < 3; i++)
        {
            assertEquals(-1, table.insert(p, t.get(i), i));
        }
        final List<Long> e = entries(p);
        assertEquals(t.get(0), e.get(CAPACITY - 1));
        assertEquals(t.get(1), e.get(0));
        assertEquals(t.get(2), e.get(1));
        for (int i = 0; i < 3; i++)
        {
            assertEquals(i, table.lookup(p, t.get(i)));
        }
        assertEquals(-1, table.lookup(p + 1, t.get(0)), "partitions do not share entries");
    }

    @Test
    void deletionShiftsTheRestOfTheRunBackAcrossTheWrap()
    {
        final int p = 9;
        final long a = tags(p, CAPACITY - 2, 1).get(0);
        final List<Long> last = tags(p, CAPACITY - 1, 2);
        final long b = last.get(0);
        final long c = last.get(1);
        final long d = tags(p, 0, 1).get(0);
        table.insert(p, a, 1);
        table.insert(p, b, 2);
        table.insert(p, c, 3);
        table.insert(p, d, 4);
        assertEquals(List.of(c, d, -1L, -1L, -1L, -1L, a, b), entries(p));

        // a at its home 6: b and c are at or past their home 7, d past its home 0: nothing moves
        assertTrue(table.delete(p, a));
        assertEquals(List.of(c, d, -1L, -1L, -1L, -1L, -1L, b), entries(p));

        // b at 7: c (home 7) moves back across the wrap into 7, then d (home 0) into 0
        assertTrue(table.delete(p, b));
        assertEquals(List.of(d, -1L, -1L, -1L, -1L, -1L, -1L, c), entries(p));
        assertEquals(3, table.lookup(p, c));
        assertEquals(4, table.lookup(p, d));
        assertEquals(-1, table.lookup(p, a));
        assertEquals(-1, table.lookup(p, b));
    }

    @Test
    void deletionLeavesAnEntryThatIsAtItsHomeWhereItIs()
    {
        final int p = 17;
        final long x = tags(p, 2, 1).get(0);
        final long y = tags(p, 3, 1).get(0);
        final long z = tags(p, 2, 2).get(1);
        table.insert(p, x, 1);
        table.insert(p, y, 2);
        table.insert(p, z, 3);
        assertEquals(List.of(-1L, -1L, x, y, z, -1L, -1L, -1L), entries(p));
        assertTrue(table.delete(p, x));
        assertEquals(List.of(-1L, -1L, z, y, -1L, -1L, -1L, -1L), entries(p),
            "z (home 2) fills the hole; y stays at its home 3");
        assertEquals(3, table.lookup(p, z));
        assertEquals(2, table.lookup(p, y));
    }

    @Test
    void aFullPartitionRefusesANewTagButStillAnswersLookupsAndDeletes()
    {
        final int p = 33;
        final List<Long> t = tags(p, -1, CAPACITY + 1);
        for (int i = 0; i < CAPACITY; i++)
        {
            assertEquals(-1, table.insert(p, t.get(i), i));
        }
        final long extra = t.get(CAPACITY);
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> table.insert(p, extra, 99));
        assertEquals("buffer mapping partition 33 is full", ex.getMessage());
        assertEquals(-1, table.lookup(p, extra), "a lookup of an absent tag ends after one lap");
        assertFalse(table.delete(p, extra));
        assertEquals(3, table.insert(p, t.get(3), 99), "an existing tag is still found");
        // the shift after a delete in a full partition must stop when it comes round to the hole
        assertTrue(assertTimeoutPreemptively(Duration.ofSeconds(5), () -> table.delete(p, t.get(5))));
        assertEquals(-1, table.insert(p, extra, 99));
        for (int i = 0; i < CAPACITY; i++)
        {
            assertEquals(i == 5 ? -1 : i, table.lookup(p, t.get(i)));
        }
        assertEquals(99, table.lookup(p, extra));
    }

    @Test
    void randomInsertsLookupsAndDeletesAgreeWithAHashMap()
    {
        // partitions run full, where a delete that did not stop would spin for ever
        assertTimeoutPreemptively(Duration.ofSeconds(30), this::randomInsertsLookupsAndDeletes);
    }

    private void randomInsertsLookupsAndDeletes()
    {
        // three partitions, each with twice as many candidate tags as entries, so they run full
        final int[] partitions = {0, 64, 127};
        final List<Long> candidates = new ArrayList<>();
        for (final int p : partitions)
        {
            candidates.addAll(tags(p, -1, 2 * CAPACITY));
        }
        final Map<Long, Integer> model = new HashMap<>();
        final int[] used = new int[BufferMappingTable.PARTITIONS];
        final Random random = new Random(20260505);
        for (int step = 0; step < 20_000; step++)
        {
            final long tag = candidates.get(random.nextInt(candidates.size()));
            final int p = BufferMappingTable.partition(tag);
            final Integer mapped = model.get(tag);
            switch (random.nextInt(3))
            {
                case 0 ->
                {
                    if (mapped != null || used[p] < CAPACITY)
                    {
                        final int buf = random.nextInt(BUFFERS);
                        assertEquals(mapped == null ? -1 : mapped, table.insert(p, tag, buf), "step " + step);
                        if (mapped == null)
                        {
                            model.put(tag, buf);
                            used[p]++;
                        }
                    }
                }
                case 1 ->
                {
                    assertEquals(mapped != null, table.delete(p, tag), "step " + step);
                    if (mapped != null)
                    {
                        model.remove(tag);
                        used[p]--;
                    }
                }
                default -> assertEquals(mapped == null ? -1 : mapped, table.lookup(p, tag), "step " + step);
            }
            if (step % 97 == 0)
            {
                for (final long t : candidates)
                {
                    final Integer m = model.get(t);
                    assertEquals(m == null ? -1 : m, table.lookup(BufferMappingTable.partition(t), t), "step " + step);
                }
                final Map<Long, Integer> visited = new HashMap<>();
                for (final int q : partitions)
                {
                    table.forEach(q, (t, buf) -> assertEquals(null, visited.put(t, buf)));
                }
                assertEquals(model, visited, "step " + step + ": forEach sees exactly the mapped tags");
            }
        }
        for (int q = 0; q < BufferMappingTable.PARTITIONS; q++)
        {
            final int partition = q;
            if (partition != 0 && partition != 64 && partition != 127)
            {
                table.forEach(partition, (t, buf) -> assertTrue(false, "partition " + partition + " untouched"));
            }
        }
    }
}
