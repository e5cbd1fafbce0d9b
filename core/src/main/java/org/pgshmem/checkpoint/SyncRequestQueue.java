package org.pgshmem.checkpoint;

import static org.pgshmem.checkpoint.CheckpointerShmemDescriptor.*;

import org.agrona.collections.IntHashSet;
import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.lock.LWLock;
import org.pgshmem.lock.LWLockMode;

/**
 * The sync-request queue of "Checkpointer Data" (PostgreSQL's CheckpointerShmem->requests and
 * ForwardSyncRequest, AbsorbSyncRequests, CompactCheckpointerRequestQueue): a bounded array of
 * relation numbers under the CheckpointerComm LWLock. Processes that wrote a relation file append
 * its number; the process that runs the checkpoint takes them all at once.
 *
 * <p>Each take adds one to the Absorb Generation, under the lock. A process remembers which
 * relations it appended during the current generation: while the generation has not moved, its
 * request for such a relation is still in the queue (a compaction keeps one of each), so asking
 * again is skipped without the lock. A write that ended before that check is covered by the fsync
 * that follows the take. The per-process part is one thread's, as the buffer manager is.
 */
final class SyncRequestQueue
{
    private final AtomicBuffer buffer;
    private final LWLock lock;
    private final int maxRequests;
    private final IntHashSet queuedHere = new IntHashSet(64, 0.65f, true);
    private long queuedHereGeneration = -1;
    private IntHashSet compactSeen;
    private int[] taken;

    SyncRequestQueue(final AtomicBuffer buffer, final LWLock lock)
    {
        this.buffer = buffer;
        this.lock = lock;
        this.maxRequests = buffer.getInt(MAX_REQUESTS_OFFSET);
    }

    /** Room in the queue. */
    int capacity()
    {
        return maxRequests;
    }

    /** Requests waiting in the queue now. */
    int queued()
    {
        return buffer.getIntVolatile(QUEUED_OFFSET);
    }

    /**
     * Appends a request for {@code relation}; compacts a full queue first. Returns the number of
     * requests queued after it, 0 when this process's request of the current generation is still
     * queued, or -1 when even the compacted queue is full (nothing appended).
     */
    int forward(final int relation)
    {
        if (buffer.getLongVolatile(GENERATION_OFFSET) == queuedHereGeneration && queuedHere.contains(relation))
        {
            return 0;
        }
        final int queued;
        final long generation;
        lock.acquire(LWLockMode.EXCLUSIVE);
        try
        {
            int n = buffer.getInt(QUEUED_OFFSET);
            if (n >= maxRequests)
            {
                n = compact(n);
                if (n >= maxRequests)
                {
                    return -1;
                }
            }
            buffer.putInt(requestOffset(n), relation);
            queued = n + 1;
            buffer.putIntRelease(QUEUED_OFFSET, queued);
            generation = buffer.getLong(GENERATION_OFFSET);
        }
        finally
        {
            lock.release(LWLockMode.EXCLUSIVE);
        }
        if (generation != queuedHereGeneration)
        {
            queuedHere.clear();
            queuedHereGeneration = generation;
        }
        queuedHere.add(relation);
        return queued;
    }

    /**
     * CompactCheckpointerRequestQueue, under the lock: keeps the first request for each relation.
     * Returns how many remain.
     */
    private int compact(final int n)
    {
        if (compactSeen == null)
        {
            compactSeen = new IntHashSet(Math.max(64, maxRequests), 0.65f, true);
        }
        compactSeen.clear();
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            final int relation = buffer.getInt(requestOffset(i));
            if (compactSeen.add(relation))
            {
                buffer.putInt(requestOffset(kept++), relation);
            }
        }
        buffer.putIntRelease(QUEUED_OFFSET, kept);
        return kept;
    }

    /** AbsorbSyncRequests' shared part: moves every queued request into {@code pending}; returns how many. */
    int takeInto(final IntHashSet pending)
    {
        if (buffer.getIntVolatile(QUEUED_OFFSET) == 0)
        {
            return 0;
        }
        if (taken == null)
        {
            taken = new int[maxRequests];
        }
        final int n;
        lock.acquire(LWLockMode.EXCLUSIVE);
        try
        {
            n = buffer.getInt(QUEUED_OFFSET);
            for (int i = 0; i < n; i++)
            {
                taken[i] = buffer.getInt(requestOffset(i));
            }
            buffer.putIntRelease(QUEUED_OFFSET, 0);
            buffer.putLongVolatile(GENERATION_OFFSET, buffer.getLong(GENERATION_OFFSET) + 1);
        }
        finally
        {
            lock.release(LWLockMode.EXCLUSIVE);
        }
        // outside the lock: a growing set may allocate, and the writers need not wait for that
        for (int i = 0; i < n; i++)
        {
            pending.add(taken[i]);
        }
        return n;
    }
}
