package org.pgshmem.lock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

class DeadLockDetectorTest
{
    private static final int[] NONE = {};

    /** Finds a cycle through {@code start} in a graph where {@code blockers[s]} are the slots slot s waits for. */
    private static int[] findCycle(final int[][] blockers, final int start)
    {
        return new DeadLockDetector(blockers.length, slot -> blockers[slot]).findCycle(start);
    }

    /** A cycle must start at {@code start}, visit each slot once, and each slot must wait for the next. */
    private static void assertIsCycle(final int[][] blockers, final int start, final int[] cycle)
    {
        assertNotNull(cycle, "a cycle through " + start);
        assertEquals(start, cycle[0], "starts with the start slot: " + Arrays.toString(cycle));
        assertEquals(cycle.length, Arrays.stream(cycle).distinct().count(), "no slot twice: " + Arrays.toString(cycle));
        for (int i = 0; i < cycle.length; i++)
        {
            final int waiter = cycle[i];
            final int next = cycle[(i + 1) % cycle.length];
            assertTrue(Arrays.stream(blockers[waiter]).anyMatch(b -> b == next),
                waiter + " is blocked by " + next + " in " + Arrays.toString(cycle));
        }
    }

    @Test
    void twoProcessesWaitingForEachOtherAreACycle()
    {
        final int[][] blockers = {NONE, {2}, {1}, NONE};
        final int[] cycle = findCycle(blockers, 1);
        assertArrayEquals(new int[] {1, 2}, cycle);
        assertIsCycle(blockers, 1, cycle);
        assertArrayEquals(new int[] {2, 1}, findCycle(blockers, 2));
    }

    @Test
    void eightProcessCycleThroughTheStartIsFoundWhole()
    {
        // 0 -> 3 -> 6 -> 1 -> 4 -> 7 -> 2 -> 5 -> 0, in a graph of nine slots with 8 not waiting
        final int[][] blockers = new int[9][];
        final int[] ring = {0, 3, 6, 1, 4, 7, 2, 5};
        for (int i = 0; i < ring.length; i++)
        {
            blockers[ring[i]] = new int[] {ring[(i + 1) % ring.length]};
        }
        blockers[8] = NONE;
        final int[] cycle = findCycle(blockers, 0);
        assertArrayEquals(ring, cycle);
        assertIsCycle(blockers, 0, cycle);
        for (final int start : ring)
        {
            assertIsCycle(blockers, start, findCycle(blockers, start));
            assertEquals(8, findCycle(blockers, start).length);
        }
        assertNull(findCycle(blockers, 8));
    }

    @Test
    void aCycleTheStartOnlyLeadsIntoIsNotItsDeadlock()
    {
        // 0 waits for 1; 1 and 2 wait for each other: 0 is stuck, but breaking the cycle is not 0's to do
        final int[][] blockers = {{1}, {2}, {1}};
        assertNull(findCycle(blockers, 0));
        assertIsCycle(blockers, 1, findCycle(blockers, 1));
    }

    @Test
    void waitsWithoutACycleAreNoDeadlock()
    {
        final int[][] blockers = {{1, 2}, {3}, {3}, NONE, {0}};
        for (int start = 0; start < blockers.length; start++)
        {
            assertNull(findCycle(blockers, start), "from " + start);
        }
    }

    @Test
    void aProcessThatDoesNotWaitIsInNoCycle()
    {
        assertNull(findCycle(new int[][] {NONE, {0}}, 0));
    }

    @Test
    void diamondWithoutWayBackIsNoDeadlock()
    {
        // 0 waits for 1 and 2, both wait for 3, which waits for no one
        final int[][] blockers = {{1, 2}, {3}, {3}, NONE};
        assertNull(findCycle(blockers, 0));
    }

    @Test
    void diamondWhoseJoinLeadsBackIsACycleWithoutItsDetours()
    {
        // 0 waits for 1 and 2; 1 and 2 wait for 3; 3 waits for 2 (which only leads back to 3) and for 4,
        // which waits for 0. The detour 3 -> 2 is searched first and must not stay in the cycle.
        final int[][] blockers = {{1, 2}, {3}, {3}, {2, 4}, {0}};
        final int[] cycle = findCycle(blockers, 0);
        assertIsCycle(blockers, 0, cycle);
        assertArrayEquals(new int[] {0, 1, 3, 4}, cycle, "the first cycle depth first");
    }

    @Test
    void aBranchThatDeadEndsIsLeftOutOfTheReportedCycle()
    {
        // 0 waits for 1 (which waits for no one) and for 2, which waits for 0
        final int[][] blockers = {{1, 2}, NONE, {0}};
        assertArrayEquals(new int[] {0, 2}, findCycle(blockers, 0));
    }

    @Test
    void oneDetectorCanSearchTwice()
    {
        final int[][] blockers = {{1}, {2}, {1}};
        final DeadLockDetector detector = new DeadLockDetector(blockers.length, slot -> blockers[slot]);
        assertNull(detector.findCycle(0));
        assertIsCycle(blockers, 1, detector.findCycle(1));
    }
}
