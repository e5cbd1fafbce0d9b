package org.pgshmem.lock;

import org.pgshmem.util.LinearProbing;

/**
 * This process's own counts of the heavyweight locks it holds (PostgreSQL's LOCALLOCK table):
 * (tag, mode) to how many times it was taken, so that taking a held lock again touches no
 * shared memory and only the last release goes to the lock table. Open addressing over arrays;
 * it allocates only when it grows. Not thread-safe.
 */
final class LocalLockTable
{
    private long[] highs = new long[64];
    private long[] lows = new long[64];
    private int[] modes = new int[64];
    private long[] counts = new long[64];
    private int size;

    private int home(final long high, final long low, final int mode)
    {
        return (int)(LockTable.hash(high, low) + mode * 0x9E37_79B9L) & (highs.length - 1);
    }

    /** Index of (tag, mode), or -1. */
    int find(final long high, final long low, final int mode)
    {
        final int mask = highs.length - 1;
        for (int i = home(high, low, mode); ; i = (i + 1) & mask)
        {
            if (highs[i] == 0)
            {
                return -1;
            }
            if (highs[i] == high && lows[i] == low && modes[i] == mode)
            {
                return i;
            }
        }
    }

    long count(final int index)
    {
        return counts[index];
    }

    void count(final int index, final long count)
    {
        counts[index] = count;
    }

    /** Adds (tag, mode) with count 1; it must not be there. */
    void add(final long high, final long low, final int mode)
    {
        if (2 * (size + 1) > highs.length)
        {
            grow();
        }
        final int mask = highs.length - 1;
        int i = home(high, low, mode);
        while (highs[i] != 0)
        {
            i = (i + 1) & mask;
        }
        highs[i] = high;
        lows[i] = low;
        modes[i] = mode;
        counts[i] = 1;
        size++;
    }

    /** Removes the entry at {@code index}, shifting its probe run back. */
    void remove(final int index)
    {
        final int mask = highs.length - 1;
        int hole = index;
        int j = index;
        while (true)
        {
            j = (j + 1) & mask;
            if (highs[j] == 0)
            {
                break;
            }
            final int k = home(highs[j], lows[j], modes[j]);
            if (LinearProbing.movesIntoHole(hole, j, k))
            {
                highs[hole] = highs[j];
                lows[hole] = lows[j];
                modes[hole] = modes[j];
                counts[hole] = counts[j];
                hole = j;
            }
        }
        highs[hole] = 0;
        lows[hole] = 0;
        modes[hole] = 0;
        counts[hole] = 0;
        size--;
    }

    private void grow()
    {
        final long[] h = highs;
        final long[] l = lows;
        final int[] m = modes;
        final long[] c = counts;
        highs = new long[h.length * 2];
        lows = new long[h.length * 2];
        modes = new int[h.length * 2];
        counts = new long[h.length * 2];
        size = 0;
        for (int i = 0; i < h.length; i++)
        {
            if (h[i] != 0)
            {
                add(h[i], l[i], m[i]);
                counts[find(h[i], l[i], m[i])] = c[i];
            }
        }
    }

    int size()
    {
        return size;
    }

    /** Any held entry's index, or -1 when empty: for releasing everything one at a time. */
    int any()
    {
        return next(0);
    }

    /** The first used index at or after {@code from}, or -1. */
    int next(final int from)
    {
        for (int i = from; i < highs.length; i++)
        {
            if (highs[i] != 0)
            {
                return i;
            }
        }
        return -1;
    }

    long high(final int index)
    {
        return highs[index];
    }

    long low(final int index)
    {
        return lows[index];
    }

    int mode(final int index)
    {
        return modes[index];
    }
}
