package org.pgshmem.wal;

import org.pgshmem.backend.Backend;

/**
 * CreateCheckPoint (PostgreSQL's xlog.c, CheckPointGuts): fixes a redo location, writes the
 * commit log and every dirty buffer, fsyncs what the sync-request queue collected, inserts and
 * flushes the checkpoint record, points the control file at it durably, and recycles the WAL
 * segments that recovery no longer needs. The checkpointer runs it; so do the postmaster at the
 * end of recovery and tests.
 */
public final class CheckPoint
{
    /** A shutdown checkpoint: nothing else runs, and the control file says "shut down" after it. */
    public static final int IS_SHUTDOWN = 0x0001;
    /** The checkpoint that ends crash recovery. */
    public static final int END_OF_RECOVERY = 0x0002;
    /** Write the buffers as fast as possible, not spread over checkpoint_completion_target. */
    public static final int IMMEDIATE = 0x0004;
    /** Even if nothing was logged since the last checkpoint. */
    public static final int FORCE = 0x0008;
    /** Caused by WAL volume past max_wal_size. */
    public static final int CAUSE_XLOG = 0x0080;
    /** Caused by checkpoint_timeout. */
    public static final int CAUSE_TIME = 0x0100;

    private CheckPoint()
    {
    }

    /**
     * CheckpointWriteDelay: called after each buffer the checkpoint writes, {@code done} of
     * {@code total}; the checkpointer sleeps here to spread the writes over
     * checkpoint_completion_target and absorbs sync requests meanwhile.
     */
    @FunctionalInterface
    public interface Pacer
    {
        /** No pacing: as fast as possible. */
        Pacer IMMEDIATE = (done, total) -> { };

        /** {@code done} buffers of {@code total} are written. */
        void written(int done, int total);
    }

    /**
     * What a checkpoint did.
     *
     * @param skipped        true when nothing was logged since the last one and it was not forced
     * @param lsn            its record's location
     * @param redo           its redo location
     * @param buffersWritten dirty buffers it wrote
     * @param writeMillis    time writing buffers
     * @param syncMillis     time fsyncing files
     * @param filesSynced    files fsynced
     * @param segmentsAdded  WAL segments made ready for reuse
     * @param segmentsRemoved WAL segments removed
     * @param segmentsRecycled WAL segments recycled
     */
    public record Result(boolean skipped, long lsn, long redo, int buffersWritten, long writeMillis, long syncMillis,
        int filesSynced, int segmentsAdded, int segmentsRemoved, int segmentsRecycled)
    {
    }

    /** Runs a checkpoint in process {@code self} with {@code flags}; writes are paced by {@code pacer}. */
    public static Result create(final Backend self, final int flags, final Pacer pacer)
    {
        throw new UnsupportedOperationException("not yet");
    }
}
