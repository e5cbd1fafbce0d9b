package org.pgshmem.lock;

import java.util.function.IntFunction;

/**
 * The wait-for graph search of PostgreSQL's deadlock.c, reduced to its question: is there a
 * cycle of waits that leads from a process back to itself? Nodes are proc-array slots; the
 * caller supplies each slot's blockers (empty for a process that does not wait) while holding
 * every lock partition, so the graph cannot change under the search. Depth first; the first
 * cycle found is the one reported.
 */
final class DeadLockDetector
{
    private final IntFunction<int[]> blockers;
    private final boolean[] visited;
    private final int[] path;
    private int depth;

    DeadLockDetector(final int slots, final IntFunction<int[]> blockers)
    {
        this.blockers = blockers;
        this.visited = new boolean[slots];
        this.path = new int[slots];
    }

    /** The slots of a cycle through {@code start}, beginning with it, each waiting for the next; or null. */
    int[] findCycle(final int start)
    {
        depth = 0;
        java.util.Arrays.fill(visited, false);
        return search(start, start) ? java.util.Arrays.copyOf(path, depth) : null;
    }

    private boolean search(final int start, final int slot)
    {
        path[depth++] = slot;
        visited[slot] = true;
        for (final int next : blockers.apply(slot))
        {
            if (next == start)
            {
                return true;
            }
            if (!visited[next] && search(start, next))
            {
                return true;
            }
        }
        depth--;
        return false;
    }
}
