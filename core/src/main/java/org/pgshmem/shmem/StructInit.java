package org.pgshmem.shmem;

import org.agrona.concurrent.AtomicBuffer;

/** Initializes a newly created shared-memory structure; runs once per cluster start, in its creator. */
@FunctionalInterface
public interface StructInit
{
    /** Fills {@code region} (zeroed, cache-line aligned) before any other process sees it. */
    void init(AtomicBuffer region);

    /** Leaves the region zeroed. */
    StructInit ZEROED = region -> { };
}
