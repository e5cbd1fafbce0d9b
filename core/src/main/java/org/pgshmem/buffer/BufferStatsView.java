package org.pgshmem.buffer;

import java.util.List;

import org.pgshmem.shmem.Shmem;

/**
 * A read of the buffer statistics of a running cluster, for {@code pgshmem stats}: taken from
 * shared memory without attaching.
 *
 * @param buffersAlloc buffers allocated by the clock sweep
 * @param buffersClean buffers written by the background writer
 * @param maxwrittenClean rounds the background writer stopped at bgwriter_lru_maxpages
 * @param buffersBackend buffers written by backends themselves
 * @param buffersCheckpoint buffers written by the checkpointer
 * @param bgwriterHibernating whether the background writer sleeps until an allocation wakes it
 * @param relations per relation: {relation (-1: the others), hits, reads, writes}
 */
public record BufferStatsView(long buffersAlloc, long buffersClean, long maxwrittenClean, long buffersBackend,
    long buffersCheckpoint, boolean bgwriterHibernating, List<long[]> relations)
{
    /** The statistics of the cluster whose segment {@code shmem} maps. */
    public static BufferStatsView read(final Shmem shmem)
    {
        final long[] c = BufferStats.cluster(shmem.findStruct(BufferStats.LABEL).buffer());
        final boolean hibernating = shmem.findStruct(BufferStrategy.LABEL).buffer()
            .getIntVolatile(BufferStrategy.BGWRITER_SLOT_OFFSET) != 0;
        return new BufferStatsView(c[0], c[1], c[2], c[3], c[4], hibernating,
            BufferStats.relations(shmem.findStruct(BufferStats.LABEL).buffer()));
    }
}
