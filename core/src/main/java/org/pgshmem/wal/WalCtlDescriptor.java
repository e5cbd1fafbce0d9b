package org.pgshmem.wal;

/**
 * Layouts of the WAL's shared memory (PostgreSQL's XLogCtlData and WAL insertion state).
 *
 * <p>"XLOG Ctl", one struct, hot words on cache lines of their own:
 * <pre>
 *  +---------------------------------------------------------------+
 *  |  Insert position (usable bytes; one atomic add per record)    |   0
 *  +---------------------------------------------------------------+
 *  |  Redo sequence (odd while a checkpoint moves the redo pointer)|  64
 *  |  RedoRecPtr                                                   |  72
 *  +---------------------------------------------------------------+
 *  |  Written up to (LSN)                                          | 128
 *  |  Flushed up to (LSN)                                          | 136
 *  |  Initialized up to: the next WAL buffer page to initialize    | 144
 *  |  Segment a checkpoint was last requested for (max_wal_size)   | 152
 *  |  End of the last checkpoint record                            | 160
 *  |  WAL segment size (int)       |  Write epoch (int)            | 168
 *  |  A record boundary at or below the written position           | 176
 *  |  The previous checkpoint's redo (how many segments to recycle) | 184
 *  +---------------------------------------------------------------+
 *  |  wal_write, wal_sync (records, bytes, fpi: per slot, below)   | 192
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>"WAL Insert Slots": one 64-byte entry per proc-array slot, the insertion a process is
 * doing, so that writers know how far the buffers are filled and the postmaster can finish an
 * insertion whose process died:
 * <pre>
 *  +-------------------------------+-------------------------------+
 *  |  State (Wal.INSERT_*)         |  Aligned size of the record   |   0
 *  +-------------------------------+-------------------------------+
 *  |  Start LSN                                                    |   8
 *  |  End LSN                                                      |  16
 *  |  Records inserted (pg_stat_wal, this slot's share; never reset) |  24
 *  |  Bytes inserted                                               |  32
 *  |  Full-page images logged                                      |  40
 *  |  Inserting at: how far the record is copied, when it waits    |  48
 *  |  for a WAL buffer page (PostgreSQL's insertingAt)             |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>"WAL Buffers": {@code wal_buffers} longs (the end LSN of the page each buffer holds,
 * PostgreSQL's xlblocks), padded to a page, then the {@code wal_buffers} pages.
 */
public final class WalCtlDescriptor
{
    public static final int INSERT_POS_OFFSET = 0;
    public static final int REDO_SEQ_OFFSET = 64;
    public static final int REDO_REC_PTR_OFFSET = 72;
    public static final int WRITTEN_OFFSET = 128;
    public static final int FLUSHED_OFFSET = 136;
    public static final int INITIALIZED_OFFSET = 144;
    public static final int CKPT_REQUESTED_SEGNO_OFFSET = 152;
    public static final int LAST_CHECKPOINT_END_OFFSET = 160;
    public static final int CTL_SEGMENT_SIZE_OFFSET = 168;
    public static final int CTL_EPOCH_OFFSET = 172;
    public static final int BOUNDARY_OFFSET = 176;
    public static final int PREVIOUS_REDO_OFFSET = 184;
    public static final int STAT_WRITES_OFFSET = 192;
    public static final int STAT_SYNCS_OFFSET = 200;
    public static final int CTL_LENGTH = 256;

    public static final int SLOT_STATE_OFFSET = 0;
    public static final int SLOT_SIZE_OFFSET = 4;
    public static final int SLOT_START_OFFSET = 8;
    public static final int SLOT_END_OFFSET = 16;
    public static final int SLOT_RECORDS_OFFSET = 24;
    public static final int SLOT_BYTES_OFFSET = 32;
    public static final int SLOT_FPI_OFFSET = 40;
    public static final int SLOT_INSERTING_AT_OFFSET = 48;
    public static final int SLOT_LENGTH = 64;

    private WalCtlDescriptor()
    {
    }
}
