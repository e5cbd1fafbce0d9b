package org.pgshmem.shmem;

import org.agrona.concurrent.AtomicBuffer;

/**
 * A structure in the main segment, as {@link Shmem#initStruct} returns it.
 *
 * @param label  its label in the shmem index
 * @param buffer its region, exactly {@code size} bytes, starting on a cache line
 * @param offset where the region starts in the segment
 * @param found  PostgreSQL's {@code found}: true when the structure existed and this caller
 *               attached to it; false when this caller created it and ran its init
 */
public record ShmemStruct(String label, AtomicBuffer buffer, long offset, boolean found)
{
    /** Size of the region in bytes. */
    public int size()
    {
        return buffer.capacity();
    }
}
