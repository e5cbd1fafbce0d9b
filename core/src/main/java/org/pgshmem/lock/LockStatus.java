package org.pgshmem.lock;

/**
 * One row of pg_locks: a mode held on a tag, or waited for.
 *
 * @param tag what is locked
 * @param mode the mode held or wanted
 * @param granted true for a hold, false for a wait
 * @param pid the process
 * @param slot its proc-array slot
 * @param waitStartMillis when the wait began (epoch ms), 0 for a hold
 */
public record LockStatus(LockTag tag, LockMode mode, boolean granted, long pid, int slot, long waitStartMillis)
{
}
