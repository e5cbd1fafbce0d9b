package org.pgshmem.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class LocalLockTableTest
{
    /** A (tag, mode) key of the table; high is never 0, as a real tag's is not. */
    private record Key(long high, long low, int mode)
    {
        int find(final LocalLockTable table)
        {
            return table.find(high, low, mode);
        }

        void add(final LocalLockTable table)
        {
            table.add(high, low, mode);
        }
    }

    private static Key randomKey(final Random random)
    {
        // few distinct values, so keys that differ only in low or in mode are common
        return new Key(1 + random.nextInt(40), random.nextInt(4), 1 + random.nextInt(8));
    }

    /** Checks every entry of the model is in the table with its count, and nothing else is. */
    private static void assertSameAs(final Map<Key, Long> model, final LocalLockTable table)
    {
        assertEquals(model.size(), table.size());
        for (final Map.Entry<Key, Long> e : model.entrySet())
        {
            final int index = e.getKey().find(table);
            assertTrue(index >= 0, e.getKey() + " is missing");
            assertEquals(e.getValue(), table.count(index), e.getKey().toString());
            assertEquals(e.getKey(), new Key(table.high(index), table.low(index), table.mode(index)));
        }
    }

    @Test
    void behavesLikeAHashMapThroughGrowthChurnAndDrain()
    {
        final Random random = new Random(20240611);
        final LocalLockTable table = new LocalLockTable();
        final Map<Key, Long> model = new HashMap<>();
        int maxSize = 0;
        // phases: grow (mostly adds), churn (balanced), shrink (mostly removes)
        final int[] addPercent = {80, 50, 20};
        for (final int adds : addPercent)
        {
            for (int op = 0; op < 4000; op++)
            {
                final Key key = randomKey(random);
                final int index = key.find(table);
                assertEquals(model.containsKey(key), index >= 0, key.toString());
                final int dice = random.nextInt(100);
                if (index < 0)
                {
                    if (dice < adds)
                    {
                        key.add(table);
                        model.put(key, 1L);
                    }
                }
                else if (dice < adds)
                {
                    // taken again: only the local count changes
                    table.count(index, table.count(index) + 1);
                    model.merge(key, 1L, Long::sum);
                }
                else
                {
                    table.remove(index);
                    model.remove(key);
                }
                maxSize = Math.max(maxSize, model.size());
                if (op % 97 == 0)
                {
                    assertSameAs(model, table);
                }
            }
            assertSameAs(model, table);
        }
        assertTrue(maxSize > 200, "grew well past its first 64 entries: " + maxSize);

        // release everything one at a time, as LockManager's releaseAll does
        while (!model.isEmpty())
        {
            final int index = table.any();
            assertTrue(index >= 0);
            final Key key = new Key(table.high(index), table.low(index), table.mode(index));
            assertEquals(model.remove(key), table.count(index));
            table.remove(index);
            assertSameAs(model, table);
        }
        assertEquals(-1, table.any());
        assertEquals(0, table.size());
    }

    @Test
    void emptyTableFindsNothingAndHasNoEntry()
    {
        final LocalLockTable table = new LocalLockTable();
        assertEquals(-1, table.find(1, 2, 3));
        assertEquals(-1, table.any());
        assertEquals(0, table.size());
    }

    @Test
    void keysDifferingOnlyInModeAreSeparateEntries()
    {
        final LocalLockTable table = new LocalLockTable();
        table.add(7, 9, 1);
        table.add(7, 9, 8);
        table.count(table.find(7, 9, 8), 5);
        assertEquals(1, table.count(table.find(7, 9, 1)));
        assertEquals(5, table.count(table.find(7, 9, 8)));
        assertEquals(-1, table.find(7, 9, 2));
        assertEquals(-1, table.find(7, 8, 1));
        table.remove(table.find(7, 9, 1));
        assertEquals(-1, table.find(7, 9, 1));
        assertEquals(5, table.count(table.find(7, 9, 8)));
    }

    /** The index a key takes alone in a new table: its home. */
    private static int homeOf(final Key key)
    {
        final LocalLockTable alone = new LocalLockTable();
        key.add(alone);
        return key.find(alone);
    }

    /** Distinct keys, the i-th of which has home {@code homes[i]}, found by trying keys in order. */
    private static List<Key> keysWithHomes(final int... homes)
    {
        final List<Key> keys = new ArrayList<>();
        for (final int home : homes)
        {
            Key key = new Key(1, 0, 1);
            while (keys.contains(key) || homeOf(key) != home)
            {
                assertTrue(key.high() < 1_000_000, "no key has home " + home);
                key = new Key(key.high() + 1, 0, 1);
            }
            keys.add(key);
        }
        return keys;
    }

    /** A new table with {@code keys} added in order, the i-th with count 10 + i. */
    private static LocalLockTable tableOf(final List<Key> keys)
    {
        final LocalLockTable table = new LocalLockTable();
        for (int i = 0; i < keys.size(); i++)
        {
            keys.get(i).add(table);
            table.count(keys.get(i).find(table), 10 + i);
        }
        return table;
    }

    @Test
    void removingTheHeadOfACollidingRunShiftsTheRestBackAcrossTheWrap()
    {
        // a new table has 64 entries; two keys at home 63 (the second wraps to 0), one at home 0 (pushed
        // to 1), one at home 1 (pushed to 2)
        final List<Key> keys = keysWithHomes(63, 63, 0, 1);
        final LocalLockTable table = tableOf(keys);
        assertEquals(0, keys.get(1).find(table), "wrapped to the start");
        assertEquals(2, keys.get(3).find(table), "pushed past its home");

        table.remove(keys.get(0).find(table));

        assertEquals(-1, keys.get(0).find(table));
        for (int i = 1; i < keys.size(); i++)
        {
            final int index = keys.get(i).find(table);
            assertEquals(new int[] {63, 0, 1}[i - 1], index, keys.get(i) + " moved back to its home");
            assertEquals(10 + i, table.count(index), "the count moved with the entry");
        }
        assertEquals(3, table.size());
    }

    @Test
    void entriesAtTheirHomePastTheWrapStayWhileOnesBeforeTheirHomeMoveBack()
    {
        final List<Key> keys = keysWithHomes(62, 63, 0, 62);
        final LocalLockTable table = tableOf(keys);
        assertEquals(1, keys.get(3).find(table), "probed 62, 63, 0 and settled at 1");

        table.remove(keys.get(0).find(table));

        assertEquals(62, keys.get(3).find(table), "moved back over the wrap");
        assertEquals(13, table.count(keys.get(3).find(table)));
        assertEquals(63, keys.get(1).find(table), "at its home: stays");
        assertEquals(0, keys.get(2).find(table), "at its home past the wrap: stays");
        assertEquals(12, table.count(keys.get(2).find(table)));
        assertEquals(3, table.size());
    }
}
