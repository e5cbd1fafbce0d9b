package org.pgshmem.control;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of {@code DATA/global/control} (PostgreSQL's pg_control): 8 KiB, little-endian, the
 * used fields at the front, zeros after them, and in the last four bytes a CRC-32C of all the
 * bytes before them (0 to 8187), so that any flipped byte anywhere in the file is caught.
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |  Magic ("PGSHCTL\0")                                          |   0
 *  +-------------------------------+-------------------------------+
 *  |  Control Version              |  Database State (DbState)     |   8
 *  +-------------------------------+-------------------------------+
 *  |  System Identifier                                            |  16
 *  |  Last Modified (epoch seconds)                                |  24
 *  |  Latest Checkpoint Location (LSN)                             |  32
 *  |  Latest Checkpoint's REDO Location (LSN)                      |  40
 *  |  Latest Checkpoint Time (epoch seconds)                       |  48
 *  |  Latest Checkpoint's NextXID                                  |  56
 *  +-------------------------------+-------------------------------+
 *  |  Block Size (8192)            |  WAL Segment Size             |  64
 *  +-------------------------------+-------------------------------+
 *  |  zeros                                                       ...  72
 *  +---------------------------------------------------------------+
 *  |  CRC-32C of bytes 0 .. 8187   |                                 8188
 *  +-------------------------------+
 * </pre>
 */
public final class ControlFileDescriptor
{
    /** "PGSHCTL\0" as a little-endian long. */
    public static final long MAGIC = 0x004C544348534750L;
    /** Bumped whenever this layout changes (PostgreSQL's PG_CONTROL_VERSION). */
    public static final int CONTROL_VERSION = 1;

    public static final int FILE_SIZE = 8192;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = MAGIC_OFFSET + SIZE_OF_LONG;
    public static final int STATE_OFFSET = VERSION_OFFSET + SIZE_OF_INT;
    public static final int SYSTEM_IDENTIFIER_OFFSET = STATE_OFFSET + SIZE_OF_INT;
    public static final int TIME_OFFSET = SYSTEM_IDENTIFIER_OFFSET + SIZE_OF_LONG;
    public static final int CHECKPOINT_LSN_OFFSET = TIME_OFFSET + SIZE_OF_LONG;
    public static final int REDO_LSN_OFFSET = CHECKPOINT_LSN_OFFSET + SIZE_OF_LONG;
    public static final int CHECKPOINT_TIME_OFFSET = REDO_LSN_OFFSET + SIZE_OF_LONG;
    public static final int NEXT_XID_OFFSET = CHECKPOINT_TIME_OFFSET + SIZE_OF_LONG;
    public static final int BLOCK_SIZE_OFFSET = NEXT_XID_OFFSET + SIZE_OF_LONG;
    public static final int WAL_SEGMENT_SIZE_OFFSET = BLOCK_SIZE_OFFSET + SIZE_OF_INT;

    public static final int CRC_OFFSET = FILE_SIZE - SIZE_OF_INT;

    private ControlFileDescriptor()
    {
    }
}
