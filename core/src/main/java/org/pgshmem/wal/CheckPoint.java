package org.pgshmem.wal;

import java.io.IOException;

import org.pgshmem.backend.Backend;
import org.pgshmem.buffer.BufferManager;
import org.pgshmem.control.ControlFile;
import org.pgshmem.control.DbState;
import org.pgshmem.module.Modules;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.util.PgException;

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
        return create(self.shmem(), self.module(Wal.class), self.buffers(), flags, pacer);
    }

    /** Runs a checkpoint in a process that has {@code modules} attached (the postmaster at the end of recovery). */
    public static Result create(final Shmem shmem, final Modules modules, final int flags, final Pacer pacer)
    {
        return create(shmem, modules.get(Wal.class), modules.get(BufferManager.class), flags, pacer);
    }

    private static Result create(final Shmem shmem, final Wal wal, final BufferManager buffers, final int flags,
        final Pacer pacer)
    {
        final boolean shutdown = (flags & IS_SHUTDOWN) != 0;
        if ((flags & (IS_SHUTDOWN | END_OF_RECOVERY | FORCE)) == 0 && wal.insertPosition() == wal.lastCheckpointEnd())
        {
            // nothing was logged since the last checkpoint: another would only burn a segment
            return new Result(true, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        }
        final long now = System.currentTimeMillis() / 1000;
        final long redo = wal.beginRedo();
        wal.waitForInsertionsBefore(redo);
        final long writeStart = System.nanoTime();
        for (final Runnable guts : wal.checkPointGuts())
        {
            guts.run();
        }
        final int total = buffers.countDirty();
        final int written = buffers.writeDirty(done -> pacer.written(done, Math.max(total, done)));
        final long syncStart = System.nanoTime();
        final java.util.function.IntSupplier sync = wal.syncRequestProcessor();
        int filesSynced = 0;
        if (sync != null)
        {
            filesSynced = sync.getAsInt();
        }
        else
        {
            buffers.syncOwnFiles();
        }
        final long syncEnd = System.nanoTime();
        // the next transaction id is read after the buffers, so that it covers every change they hold
        final long nextXid = wal.nextXid();
        final CheckPointRecord record = new CheckPointRecord().set(redo, nextXid, now);
        final long end = wal.insert(shutdown ? WalRecordType.CHECKPOINT_SHUTDOWN : WalRecordType.CHECKPOINT_ONLINE, 0,
            record.buffer(), 0, CheckPointRecord.LENGTH, Wal.ANY_REDO, false);
        final long lsn = wal.lastInsertLsn();
        wal.flush(end);
        try
        {
            final ControlFile control = ControlFile.read(shmem.dataDirectory());
            control.checkpoint(lsn, redo, now, nextXid).state(shutdown ? DbState.SHUT_DOWN : DbState.IN_PRODUCTION)
                .write(shmem.dataDirectory());
        }
        catch (final IOException ex)
        {
            throw new PgException("could not write control file: " + ex.getMessage(), null, null, ex);
        }
        wal.lastCheckpointEnd(end);
        final int[] removed = wal.removeOldSegments(redo, end);
        return new Result(false, lsn, redo, written, (syncStart - writeStart) / 1_000_000, (syncEnd - syncStart) / 1_000_000,
            filesSynced, 0, removed[0], removed[1]);
    }
}
