package org.pgshmem.wal;

/**
 * Replays one kind of record (PostgreSQL's rm_redo). Modules register theirs with
 * {@link Wal#registerRedo}; recovery, and the repair of an insertion a dead process left
 * half-applied, call it.
 */
@FunctionalInterface
public interface RedoHandler
{
    /** Applies {@code record} again; must be idempotent (a page whose LSN is past the record is left alone). */
    void redo(WalRecord record);
}
