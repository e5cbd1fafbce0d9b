package org.pgshmem.checkpoint;

import static org.pgshmem.checkpoint.CheckpointerShmemDescriptor.*;

import org.agrona.concurrent.AtomicBuffer;

/**
 * A read of pg_stat_checkpointer, for {@code pgshmem stats}. Counts start from zero at every
 * start of the server.
 *
 * @param numTimed       checkpoints begun because checkpoint_timeout passed (skipped ones included)
 * @param numRequested   checkpoints begun on request (the CLI, a message, WAL past max_wal_size)
 * @param numDone        checkpoints completed, not skipped (PostgreSQL 18's num_done)
 * @param buffersWritten buffers the checkpoints wrote
 * @param writeTimeMs    time spent writing buffers, pacing sleeps included, in ms
 * @param syncTimeMs     time spent fsyncing files, in ms
 * @param backendFsync   fsyncs processes did themselves because the sync-request queue was full
 *                       (PostgreSQL 16's buffers_backend_fsync)
 * @param statsReset     when the counts started, epoch ms
 * @param started        checkpoints started (ckpt_started)
 * @param done           number of the last checkpoint that ended (ckpt_done)
 * @param failed         checkpoints that failed (ckpt_failed)
 */
public record CheckpointerStats(long numTimed, long numRequested, long numDone, long buffersWritten,
    long writeTimeMs, long syncTimeMs, long backendFsync, long statsReset, long started, long done, long failed)
{
    static CheckpointerStats read(final AtomicBuffer buffer)
    {
        return new CheckpointerStats(buffer.getLongVolatile(NUM_TIMED_OFFSET),
            buffer.getLongVolatile(NUM_REQUESTED_OFFSET), buffer.getLongVolatile(NUM_DONE_OFFSET),
            buffer.getLongVolatile(BUFFERS_WRITTEN_OFFSET), buffer.getLongVolatile(WRITE_TIME_OFFSET),
            buffer.getLongVolatile(SYNC_TIME_OFFSET), buffer.getLongVolatile(BACKEND_FSYNC_OFFSET),
            buffer.getLongVolatile(STATS_RESET_OFFSET), buffer.getLongVolatile(STARTED_OFFSET),
            buffer.getLongVolatile(DONE_OFFSET), buffer.getLongVolatile(FAILED_OFFSET));
    }
}
