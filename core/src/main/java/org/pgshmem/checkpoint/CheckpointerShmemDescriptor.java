package org.pgshmem.checkpoint;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;
import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of the structure "Checkpointer Data" (PostgreSQL's CheckpointerShmemStruct): the
 * checkpoint requests, the started / done / failed counters a requester waits on, the
 * statistics of pg_stat_checkpointer, and the sync-request queue.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  Request Flags (CheckPoint flags OR'ed in by requesters)      |   0
 *  |  Reserved                                                     |   4
 *  |  Checkpointer Starts (processes that took the checkpointer's  |   8
 *  |  place since the segment was made)                            |
 *  |  Reserved up to 64                                           ...
 *  +---------------------------------------------------------------+
 *  |  Checkpoints Started (ckpt_started, 64 bits)                  |  64
 *  |  Checkpoints Done (ckpt_done: Started of the last to end)     |  72
 *  |  Checkpoints Failed (ckpt_failed)                             |  80
 *  |  Reserved up to 128                                          ...
 *  +---------------------------------------------------------------+
 *  |  num_timed                                                    | 128
 *  |  num_requested                                                | 136
 *  |  num_done                                                     | 144
 *  |  buffers_written                                              | 152
 *  |  write_time (ms)                                              | 160
 *  |  sync_time (ms)                                               | 168
 *  |  backend_fsync (requests the full queue refused)              | 176
 *  |  stats_reset (epoch ms)                                       | 184
 *  +---------------------------------------------------------------+
 *  |  CheckpointerComm: an LWLock (LWLockDescriptor, 64 bytes)     | 192
 *  +-------------------------------+-------------------------------+
 *  |  Queued Requests              |  Max Requests                 | 256
 *  +-------------------------------+-------------------------------+
 *  |  Absorb Generation (64 bits)                                  | 264
 *  |  Reserved up to 320                                          ...
 *  +---------------------------------------------------------------+
 *  |  Request 0 (relation, 32 bits) ... Request Max Requests - 1   | 320
 *  +---------------------------------------------------------------+
 * </pre>
 * Every 64-bit field is 64-bit aligned. Requesters write the first line, the checkpointer the
 * second and third, the queue's users the rest under CheckpointerComm; so a request does not
 * pull the counters' line from the processes that poll them.
 */
public final class CheckpointerShmemDescriptor
{
    public static final int REQUEST_FLAGS_OFFSET = 0;
    public static final int CHECKPOINTER_STARTS_OFFSET = 8;

    public static final int STARTED_OFFSET = CACHE_LINE_LENGTH;
    public static final int DONE_OFFSET = STARTED_OFFSET + SIZE_OF_LONG;
    public static final int FAILED_OFFSET = DONE_OFFSET + SIZE_OF_LONG;

    public static final int NUM_TIMED_OFFSET = 2 * CACHE_LINE_LENGTH;
    public static final int NUM_REQUESTED_OFFSET = NUM_TIMED_OFFSET + SIZE_OF_LONG;
    public static final int NUM_DONE_OFFSET = NUM_REQUESTED_OFFSET + SIZE_OF_LONG;
    public static final int BUFFERS_WRITTEN_OFFSET = NUM_DONE_OFFSET + SIZE_OF_LONG;
    public static final int WRITE_TIME_OFFSET = BUFFERS_WRITTEN_OFFSET + SIZE_OF_LONG;
    public static final int SYNC_TIME_OFFSET = WRITE_TIME_OFFSET + SIZE_OF_LONG;
    public static final int BACKEND_FSYNC_OFFSET = SYNC_TIME_OFFSET + SIZE_OF_LONG;
    public static final int STATS_RESET_OFFSET = BACKEND_FSYNC_OFFSET + SIZE_OF_LONG;

    public static final int COMM_LOCK_OFFSET = 3 * CACHE_LINE_LENGTH;

    public static final int QUEUED_OFFSET = 4 * CACHE_LINE_LENGTH;
    public static final int MAX_REQUESTS_OFFSET = QUEUED_OFFSET + SIZE_OF_INT;
    public static final int GENERATION_OFFSET = MAX_REQUESTS_OFFSET + SIZE_OF_INT;

    public static final int REQUESTS_OFFSET = 5 * CACHE_LINE_LENGTH;
    public static final int REQUEST_LENGTH = SIZE_OF_INT;

    private CheckpointerShmemDescriptor()
    {
    }

    /** Bytes of the structure with room for {@code maxRequests} sync requests. */
    public static long length(final int maxRequests)
    {
        return REQUESTS_OFFSET + (long)maxRequests * REQUEST_LENGTH;
    }

    /** Offset of request {@code i}. */
    public static int requestOffset(final int i)
    {
        return REQUESTS_OFFSET + i * REQUEST_LENGTH;
    }
}
