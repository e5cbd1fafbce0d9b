package org.pgshmem.lock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgshmem.lock.LockTableDescriptor.ENTRIES_USED_OFFSET;
import static org.pgshmem.lock.LockTableDescriptor.N_GRANTED_OFFSET;
import static org.pgshmem.lock.LockTableDescriptor.PARTITIONS;
import static org.pgshmem.lock.LockTableDescriptor.PARTITION_HEADER_LENGTH;
import static org.pgshmem.lock.LockTableDescriptor.TICKET_STEP;
import static org.pgshmem.lock.LockTableDescriptor.entryStride;
import static org.pgshmem.lock.LockTableDescriptor.grantedOffset;
import static org.pgshmem.lock.LockTableDescriptor.partitionLength;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LockTableTest
{
    private static final int SLOTS = 8;
    /** Small, so that probe runs collide and wrap around. */
    private static final int CAPACITY = 16;
    /** What a partition holds before it is full: three quarters. */
    private static final int MAX_USED = 12;
    private static final int ALL_MODES = 0b1_1111_1110;

    /** An always empty table, to find where a tag lands alone. */
    private static final LockTable SCRATCH = new LockTable(newBuffer(), SLOTS, CAPACITY);

    private UnsafeBuffer buffer;
    private LockTable table;

    @BeforeEach
    void newTable()
    {
        buffer = newBuffer();
        table = new LockTable(buffer, SLOTS, CAPACITY);
    }

    private static UnsafeBuffer newBuffer()
    {
        final long size = PARTITIONS * partitionLength(CAPACITY, entryStride(SLOTS));
        return new UnsafeBuffer(ByteBuffer.allocateDirect((int)size));
    }

    private static int partitionOf(final LockTag tag)
    {
        return LockTable.partition(tag.high(), tag.low());
    }

    private int create(final LockTag tag)
    {
        return table.findOrCreate(partitionOf(tag), tag.high(), tag.low());
    }

    private int find(final LockTag tag)
    {
        return table.find(partitionOf(tag), tag.high(), tag.low());
    }

    private int indexOf(final int partition, final int entry)
    {
        return (entry - table.entry(partition, 0)) / entryStride(SLOTS);
    }

    private int entriesUsed(final int partition)
    {
        return buffer.getInt(table.entry(partition, 0) - PARTITION_HEADER_LENGTH + ENTRIES_USED_OFFSET);
    }

    private int granted(final int entry, final LockMode mode)
    {
        return buffer.getInt(entry + grantedOffset(mode.number()));
    }

    private int[] holdMasks(final int entry)
    {
        final int[] masks = new int[SLOTS];
        for (int slot = 0; slot < SLOTS; slot++)
        {
            masks[slot] = table.holdMask(entry, slot);
        }
        return masks;
    }

    /** Relation tags in {@code partition}, in order of relation number. */
    private static List<LockTag> tagsInPartition(final int partition, final int count)
    {
        final List<LockTag> tags = new ArrayList<>();
        for (int relation = 1; tags.size() < count; relation++)
        {
            final LockTag tag = LockTag.relation(relation);
            if (partitionOf(tag) == partition)
            {
                tags.add(tag);
            }
        }
        return tags;
    }

    /** The index a tag takes alone in an empty partition: its home. */
    private static int homeOf(final LockTag tag)
    {
        final int partition = partitionOf(tag);
        final int e = SCRATCH.findOrCreate(partition, tag.high(), tag.low());
        SCRATCH.remove(partition, e);
        return (e - SCRATCH.entry(partition, 0)) / entryStride(SLOTS);
    }

    /** Distinct relation tags of {@code partition}, the i-th of which has home {@code homes[i]}. */
    private static List<LockTag> tagsWithHomes(final int partition, final int... homes)
    {
        final List<LockTag> tags = new ArrayList<>();
        for (final int home : homes)
        {
            LockTag tag = LockTag.relation(1);
            while (partitionOf(tag) != partition || tags.contains(tag) || homeOf(tag) != home)
            {
                assertTrue(tag.low() < 1_000_000, "no relation tag has home " + home + " in partition " + partition);
                tag = LockTag.relation((int)tag.low() + 1);
            }
            tags.add(tag);
        }
        return tags;
    }

    /** Creates the entries of {@code tags} in order, the i-th held by slot i in mode i + 1. */
    private int[] createHeld(final List<LockTag> tags)
    {
        final int[] entries = new int[tags.size()];
        for (int i = 0; i < tags.size(); i++)
        {
            entries[i] = create(tags.get(i));
            table.grant(entries[i], LockMode.ofNumber(i + 1), i);
        }
        return entries;
    }

    @Test
    void findOrCreateFindAndRemoveBehaveLikeAMapAndEntriesKeepTheirHolds()
    {
        final Random random = new Random(7);
        final List<LockTag> pool = new ArrayList<>();
        for (int relation = 1; relation <= 400; relation++)
        {
            pool.add(LockTag.relation(relation));
        }
        final Map<LockTag, int[]> model = new HashMap<>();
        final int[] used = new int[PARTITIONS];
        int fullRefusals = 0;
        for (int op = 0; op < 20_000; op++)
        {
            final LockTag tag = pool.get(random.nextInt(pool.size()));
            final int p = partitionOf(tag);
            final int found = find(tag);
            assertEquals(model.containsKey(tag), found >= 0, tag.toString());
            if (found < 0)
            {
                final int e = create(tag);
                if (used[p] == MAX_USED)
                {
                    assertEquals(-1, e, "partition " + p + " is full");
                    fullRefusals++;
                    continue;
                }
                assertEquals(tag.high(), table.tagHigh(e));
                assertEquals(tag.low(), table.tagLow(e));
                assertArrayEquals(new int[SLOTS], holdMasks(e), "a new entry holds nothing");
                assertTrue(table.isUnused(e));
                // give it data of its own, which must follow it when it moves
                final int[] holds = new int[SLOTS];
                for (int i = 0; i < 3; i++)
                {
                    final int slot = random.nextInt(SLOTS);
                    final LockMode mode = LockMode.ofNumber(1 + random.nextInt(8));
                    if ((holds[slot] & mode.bit()) == 0)
                    {
                        table.grant(e, mode, slot);
                        holds[slot] |= mode.bit();
                    }
                }
                model.put(tag, holds);
                used[p]++;
            }
            else if (random.nextBoolean())
            {
                assertEquals(found, create(tag), "findOrCreate finds an existing entry");
            }
            else
            {
                table.remove(p, found);
                model.remove(tag);
                used[p]--;
            }
            if (op % 50 == 0)
            {
                assertTableHolds(model, used);
            }
        }
        assertTableHolds(model, used);
        assertTrue(fullRefusals > 0, "some partition filled up");
    }

    private void assertTableHolds(final Map<LockTag, int[]> model, final int[] used)
    {
        for (int p = 0; p < PARTITIONS; p++)
        {
            assertEquals(used[p], entriesUsed(p), "entries used of partition " + p);
        }
        for (final Map.Entry<LockTag, int[]> m : model.entrySet())
        {
            final int e = find(m.getKey());
            assertTrue(e >= 0, m.getKey() + " is missing");
            assertArrayEquals(m.getValue(), holdMasks(e), m.getKey() + "'s holds");
            int grantMask = 0;
            for (final int mask : m.getValue())
            {
                grantMask |= mask;
            }
            assertEquals(grantMask, table.grantMask(e), m.getKey() + "'s grant mask");
        }
    }

    @Test
    void removeShiftsACollidingRunBackAcrossTheWrapWithItsData()
    {
        final int p = 3;
        final List<LockTag> chosen = tagsWithHomes(p, CAPACITY - 1, CAPACITY - 1, 0, 1);
        final int[] entries = createHeld(chosen);
        for (int i = 0; i < chosen.size(); i++)
        {
            table.grant(entries[i], LockMode.ACCESS_EXCLUSIVE, SLOTS - 1);
            table.waiters(entries[i], LockMode.SHARE.bit(), i + 1);
            for (int t = 0; t <= i; t++)
            {
                table.nextTailTicket(entries[i]);
            }
        }
        assertEquals(CAPACITY - 1, indexOf(p, entries[0]));
        assertEquals(0, indexOf(p, entries[1]), "wrapped to the start");
        assertEquals(1, indexOf(p, entries[2]), "pushed past its home");
        assertEquals(2, indexOf(p, entries[3]), "pushed past its home");

        table.remove(p, entries[0]);

        assertEquals(-1, find(chosen.get(0)));
        final int[] homes = {CAPACITY - 1, 0, 1};
        for (int i = 1; i < chosen.size(); i++)
        {
            final int e = find(chosen.get(i));
            assertEquals(homes[i - 1], indexOf(p, e), chosen.get(i) + " moved back to its home");
            final int[] holds = new int[SLOTS];
            holds[i] = LockMode.ofNumber(i + 1).bit();
            holds[SLOTS - 1] = LockMode.ACCESS_EXCLUSIVE.bit();
            assertArrayEquals(holds, holdMasks(e), "holds moved with " + chosen.get(i));
            assertEquals(1, granted(e, LockMode.ofNumber(i + 1)));
            assertEquals(2, buffer.getInt(e + N_GRANTED_OFFSET));
            assertEquals(LockMode.SHARE.bit(), table.waitMask(e));
            assertEquals(i + 1, table.waiting(e));
            assertEquals((i + 2) * TICKET_STEP, table.nextTailTicket(e), "the ticket counter moved too");
        }
        final int vacated = table.entry(p, 2);
        assertEquals(0, table.tagHigh(vacated));
        assertArrayEquals(new int[SLOTS], holdMasks(vacated), "the vacated entry is cleared");
        assertEquals(0, table.waiting(vacated));
        assertEquals(3, entriesUsed(p));
    }

    @Test
    void entriesAtTheirHomePastTheWrapStayWhileOnesBeforeTheirHomeMoveBack()
    {
        final int p = 5;
        final List<LockTag> chosen = tagsWithHomes(p, CAPACITY - 2, CAPACITY - 1, 0, CAPACITY - 2);
        createHeld(chosen);
        assertEquals(1, indexOf(p, find(chosen.get(3))), "probed 14, 15, 0 and settled at 1");

        table.remove(p, find(chosen.get(0)));

        assertEquals(CAPACITY - 2, indexOf(p, find(chosen.get(3))), "moved back over the wrap");
        assertEquals(LockMode.ofNumber(4).bit(), table.holdMask(find(chosen.get(3)), 3));
        assertEquals(CAPACITY - 1, indexOf(p, find(chosen.get(1))), "at its home: stays");
        assertEquals(0, indexOf(p, find(chosen.get(2))), "at its home past the wrap: stays");
        assertEquals(LockMode.ofNumber(3).bit(), table.holdMask(find(chosen.get(2)), 2));
        assertEquals(0, table.tagHigh(table.entry(p, 1)), "the vacated entry is free");
    }

    @Test
    void aPartitionIsFullAtThreeQuartersOfItsCapacity()
    {
        final int p = 0;
        final List<LockTag> tags = tagsInPartition(p, MAX_USED + 1);
        for (int i = 0; i < MAX_USED; i++)
        {
            assertTrue(create(tags.get(i)) >= 0, "entry " + i);
        }
        final LockTag extra = tags.get(MAX_USED);
        assertEquals(-1, create(extra), "the thirteenth of sixteen is refused");
        assertEquals(-1, find(extra));
        assertEquals(MAX_USED, entriesUsed(p));
        assertEquals(find(tags.get(0)), create(tags.get(0)), "an existing tag is still found in a full partition");

        final LockTag elsewhere = tagsInPartition(p + 1, 1).get(0);
        assertTrue(create(elsewhere) >= 0, "other partitions are not affected");

        table.remove(p, find(tags.get(4)));
        assertTrue(create(extra) >= 0, "room again after a removal");
        assertEquals(MAX_USED, entriesUsed(p));
    }

    @Test
    void ownHoldsDoNotConflictWithOwnRequestOthersDo()
    {
        final int e = create(LockTag.relation(16384));
        table.grant(e, LockMode.ROW_EXCLUSIVE, 1);

        assertTrue(table.conflictsWithHolders(e, LockMode.SHARE, table.holdMask(e, 2)), "slot 1's RowExclusive blocks slot 2");
        assertFalse(table.conflictsWithHolders(e, LockMode.SHARE, table.holdMask(e, 1)), "slot 1's own hold");
        assertFalse(table.conflictsWithHolders(e, LockMode.ROW_EXCLUSIVE, table.holdMask(e, 2)), "RowExclusive is shared");
        assertFalse(table.conflictsWithHolders(e, LockMode.ACCESS_SHARE, 0));

        table.grant(e, LockMode.ROW_EXCLUSIVE, 2);
        assertEquals(2, granted(e, LockMode.ROW_EXCLUSIVE));
        assertTrue(table.conflictsWithHolders(e, LockMode.SHARE, table.holdMask(e, 1)), "now slot 2 holds it too");

        table.ungrant(e, LockMode.ROW_EXCLUSIVE, 2);
        assertFalse(table.conflictsWithHolders(e, LockMode.SHARE, table.holdMask(e, 1)));
        assertEquals(LockMode.ROW_EXCLUSIVE.bit(), table.grantMask(e), "one holder left: the mode stays in the mask");

        table.ungrant(e, LockMode.ROW_EXCLUSIVE, 1);
        assertEquals(0, table.grantMask(e));
        assertEquals(0, table.holdMask(e, 1));
        assertTrue(table.isUnused(e));
        assertFalse(table.conflictsWithHolders(e, LockMode.ACCESS_EXCLUSIVE, 0));
    }

    @Test
    void accessExclusiveHoldSurvivesTheByteEncodingAndBlocksEveryone()
    {
        final int e = create(LockTag.relation(16384));
        table.grant(e, LockMode.ACCESS_EXCLUSIVE, SLOTS - 1);
        assertEquals(1 << 8, table.holdMask(e, SLOTS - 1));
        assertEquals(0, table.holdMask(e, SLOTS - 2), "the neighbouring slot's byte is untouched");
        for (final LockMode mode : LockMode.values())
        {
            assertTrue(table.conflictsWithHolders(e, mode, 0), mode.pgName());
            assertFalse(table.conflictsWithHolders(e, mode, table.holdMask(e, SLOTS - 1)), "own " + mode.pgName());
        }
    }

    @Test
    void holdMaskKeepsAllEightModeBits()
    {
        final int e = create(LockTag.relation(1));
        for (final LockMode mode : LockMode.values())
        {
            table.grant(e, mode, 3);
        }
        assertEquals(ALL_MODES, table.holdMask(e, 3));
        assertEquals(ALL_MODES, table.grantMask(e));
        assertEquals(8, buffer.getInt(e + N_GRANTED_OFFSET));
        for (final LockMode mode : LockMode.values())
        {
            table.ungrant(e, mode, 3);
            assertEquals(0, table.holdMask(e, 3) & mode.bit(), mode.pgName());
        }
        assertEquals(0, table.holdMask(e, 3));
        assertTrue(table.isUnused(e));
    }

    @Test
    void recomputeGrantedRestoresCountsAfterHoldsAreClearedDirectly()
    {
        final int e = create(LockTag.relation(42));
        table.grant(e, LockMode.ROW_EXCLUSIVE, 0);
        table.grant(e, LockMode.ROW_EXCLUSIVE, 4);
        table.grant(e, LockMode.ACCESS_SHARE, 4);
        table.grant(e, LockMode.ACCESS_EXCLUSIVE, 5);

        assertEquals(LockMode.ROW_EXCLUSIVE.bit() | LockMode.ACCESS_SHARE.bit(), table.clearHolds(e, 4));
        assertEquals(0, table.holdMask(e, 4));
        assertEquals(2, granted(e, LockMode.ROW_EXCLUSIVE), "counts are stale until recomputed");

        table.recomputeGranted(e);
        assertEquals(1, granted(e, LockMode.ROW_EXCLUSIVE));
        assertEquals(0, granted(e, LockMode.ACCESS_SHARE));
        assertEquals(1, granted(e, LockMode.ACCESS_EXCLUSIVE));
        assertEquals(2, buffer.getInt(e + N_GRANTED_OFFSET));
        assertEquals(LockMode.ROW_EXCLUSIVE.bit() | LockMode.ACCESS_EXCLUSIVE.bit(), table.grantMask(e));

        assertEquals(LockMode.ACCESS_EXCLUSIVE.bit(), table.clearHolds(e, 5));
        table.recomputeGranted(e);
        assertEquals(0, granted(e, LockMode.ACCESS_EXCLUSIVE));
        assertEquals(LockMode.ROW_EXCLUSIVE.bit(), table.grantMask(e));
        assertFalse(table.conflictsWithHolders(e, LockMode.SHARE, table.holdMask(e, 0)));
        assertTrue(table.conflictsWithHolders(e, LockMode.SHARE, 0));

        table.clearHolds(e, 0);
        table.recomputeGranted(e);
        assertEquals(0, table.grantMask(e));
        assertTrue(table.isUnused(e));
    }

    @Test
    void anEntryWithWaitersIsNotUnused()
    {
        final int e = create(LockTag.transaction(731));
        assertTrue(table.isUnused(e));
        table.waiters(e, LockMode.SHARE.bit(), 1);
        assertFalse(table.isUnused(e));
        assertEquals(LockMode.SHARE.bit(), table.waitMask(e));
        table.waiters(e, 0, 0);
        assertTrue(table.isUnused(e));
    }

    @Test
    void tailTicketsAreATicketStepApart()
    {
        final int e = create(LockTag.advisory(1L));
        final long first = table.nextTailTicket(e);
        assertEquals(first + TICKET_STEP, table.nextTailTicket(e));
        assertNotEquals(0, first);
    }
}
