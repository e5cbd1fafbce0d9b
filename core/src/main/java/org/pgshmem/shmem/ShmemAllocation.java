package org.pgshmem.shmem;

/**
 * One row of the allocations view (PostgreSQL's pg_shmem_allocations), extended with hashes.
 *
 * @param name          the label, or null for the unused remainder of the segment
 * @param kind          "struct", "hash", "unused", or "initializing"/"failed" for a label whose
 *                      creator has not finished its init or whose init failed
 * @param offset        offset in the segment (structs and the remainder), -1 for hashes
 * @param size          bytes requested
 * @param allocatedSize bytes taken, after rounding up to a cache line
 * @param entries       a hash's entry count, else -1
 * @param capacity      a hash's maximum entries, else -1
 * @param file          a hash's Chronicle Map file, else null
 */
public record ShmemAllocation(String name, String kind, long offset, long size, long allocatedSize,
    long entries, long capacity, String file)
{
}
