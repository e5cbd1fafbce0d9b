package org.pgshmem.shmem;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;
import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of the main shared-memory segment's header, at offset 0 of the segment file.
 * All fields are little-endian: Agrona writes the host's order, and pgshmem runs only on
 * little-endian hosts ({@link org.pgshmem.util.Platform}). One row is eight bytes.
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                        Magic ("PGSHMEM\0")                    |  0
 *  +---------------------------------------------------------------+
 *  |            Layout Version (written last)      |   Reserved    |  8
 *  +---------------------------------------------------------------+
 *  |                     System Identifier                         | 16
 *  +---------------------------------------------------------------+
 *  |                     Creator (postmaster) PID                  | 24
 *  +---------------------------------------------------------------+
 *  |                Creation Time (epoch milliseconds)             | 32
 *  +---------------------------------------------------------------+
 *  |                   Total Size (bytes, file length)             | 40
 *  +---------------------------------------------------------------+
 *  |         Free Offset (next allocation, bumped under lock)      | 48
 *  +---------------------------------------------------------------+
 *  |           Index Lock (spinlock word: owner pid, 0 = free)     | 56
 *  +---------------------------------------------------------------+
 *  |  Postmaster State             |   Shutdown Request            | 64
 *  +---------------------------------------------------------------+
 *  |                 Postmaster Heartbeat (epoch ms)               | 72
 *  +---------------------------------------------------------------+
 *  |                 Index Offset                                  | 80
 *  +---------------------------------------------------------------+
 *  |  Index Capacity (entries)     |   Index Entry Count           | 88
 *  +---------------------------------------------------------------+
 *  |   Creator Start Token (kernel start time, see Processes)      | 96
 *  +---------------------------------------------------------------+
 *  |   Process Deaths (counted by the postmaster as it reaps them)  | 104
 *  +---------------------------------------------------------------+
 *  |                 Reserved up to 128                            |
 * </pre>
 *
 * The attach handshake (Aeron's connectToDriver): wait until Layout Version is non-zero, check
 * magic and version, check the file is at least Total Size long, then trust the rest.
 */
public final class SegmentHeaderDescriptor
{
    /** "PGSHMEM\0" read as a little-endian long. */
    public static final long MAGIC = 0x004D454D48534750L;
    /** Bumped whenever any layout in the segment changes incompatibly. */
    public static final int LAYOUT_VERSION = 2;

    public static final int MAGIC_OFFSET = 0;
    public static final int LAYOUT_VERSION_OFFSET = MAGIC_OFFSET + SIZE_OF_LONG;
    public static final int SYSTEM_IDENTIFIER_OFFSET = LAYOUT_VERSION_OFFSET + 2 * SIZE_OF_INT;
    public static final int CREATOR_PID_OFFSET = SYSTEM_IDENTIFIER_OFFSET + SIZE_OF_LONG;
    public static final int CREATION_TIME_OFFSET = CREATOR_PID_OFFSET + SIZE_OF_LONG;
    public static final int TOTAL_SIZE_OFFSET = CREATION_TIME_OFFSET + SIZE_OF_LONG;
    public static final int FREE_OFFSET_OFFSET = TOTAL_SIZE_OFFSET + SIZE_OF_LONG;
    public static final int INDEX_LOCK_OFFSET = FREE_OFFSET_OFFSET + SIZE_OF_LONG;
    public static final int POSTMASTER_STATE_OFFSET = INDEX_LOCK_OFFSET + SIZE_OF_LONG;
    public static final int SHUTDOWN_REQUEST_OFFSET = POSTMASTER_STATE_OFFSET + SIZE_OF_INT;
    public static final int POSTMASTER_HEARTBEAT_OFFSET = SHUTDOWN_REQUEST_OFFSET + SIZE_OF_INT;
    public static final int INDEX_OFFSET_OFFSET = POSTMASTER_HEARTBEAT_OFFSET + SIZE_OF_LONG;
    public static final int INDEX_CAPACITY_OFFSET = INDEX_OFFSET_OFFSET + SIZE_OF_LONG;
    public static final int INDEX_COUNT_OFFSET = INDEX_CAPACITY_OFFSET + SIZE_OF_INT;
    public static final int CREATOR_START_TOKEN_OFFSET = INDEX_COUNT_OFFSET + SIZE_OF_INT;
    public static final int PROCESS_DEATHS_OFFSET = CREATOR_START_TOKEN_OFFSET + SIZE_OF_LONG;

    /** Header length: two cache lines, so the index starts aligned. */
    public static final int HEADER_LENGTH = 2 * CACHE_LINE_LENGTH;

    /** Every allocation in the segment starts on a cache line. */
    public static final int ALIGNMENT = CACHE_LINE_LENGTH;

    private SegmentHeaderDescriptor()
    {
    }
}
