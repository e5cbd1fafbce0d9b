package org.pgshmem.proc;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;
import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of the proc array (PostgreSQL's PGPROC array and PMChildFlags): a header line, then
 * one slot per process that may attach. Slot 0 is the postmaster's, 1 the background writer's,
 * 2 the checkpointer's, and the {@code max_connections} slots after them are for backends.
 * Every slot owns an inbox, an Agrona {@code ManyToOneRingBuffer} in the "Proc Inboxes"
 * structure, whose offset in the segment its Inbox Offset field gives.
 *
 * <p>A slot is three cache lines, split by writer so that no two processes write one line on
 * the hot path: the owner's identity and heartbeat; the latch, written by whoever wakes the
 * owner; the owner's counters. One row is eight bytes, little-endian.
 * <pre>
 *  Header (64 bytes):
 *  +-------------------------------+-------------------------------+
 *  |  Slot Count                   |  Inbox Capacity (bytes)       |   0
 *  +-------------------------------+-------------------------------+
 *  Slot (192 bytes):
 *  +---------------------------------------------------------------+
 *  |  PID (0 = free; claimed by compare-and-set, cleared last)     |   0
 *  |  Process Start Token (kernel start time; tells pid reuse)     |   8
 *  +-------------------------------+-------------------------------+
 *  |  Kind (ProcKind code)         |  State (0 free, 1 claiming,   |  16
 *  |                               |  2 active)                    |
 *  +-------------------------------+-------------------------------+
 *  |  Attach Time (epoch ms)                                       |  24
 *  |  Heartbeat (epoch ms, written by the owner)                   |  32
 *  |  Inbox Offset (of its ring buffer in the segment)             |  40
 *  +-------------------------------+-------------------------------+
 *  |  Hash Operation (shmem index   |  Reserved                    |  48
 *  |  entry + 1 of the hash the    |                               |
 *  |  owner is inside; 0 none)     |                               |
 *  +-------------------------------+-------------------------------+
 *  |  Reserved                                                     |  56
 *  +-------------------------------+-------------------------------+
 *  |  Latch (1 set, 0 not)         |  Sleeping (1 while the owner  |  64
 *  |                               |  may be parked waiting on it) |
 *  +-------------------------------+-------------------------------+
 *  |  Reserved up to 128                                          ...
 *  +---------------------------------------------------------------+
 *  |  Messages Sent                                                | 128
 *  |  Messages Received                                            | 136
 *  |  Broadcasts Received                                          | 144
 *  |  Broadcasts Lost (to being lapped)                            | 152
 *  |  Reserved up to 192                                          ...
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class ProcSlotDescriptor
{
    public static final int HEADER_LENGTH = CACHE_LINE_LENGTH;
    public static final int SLOT_COUNT_OFFSET = 0;
    public static final int INBOX_CAPACITY_OFFSET = SLOT_COUNT_OFFSET + SIZE_OF_INT;

    public static final int SLOT_LENGTH = 3 * CACHE_LINE_LENGTH;
    public static final int PID_OFFSET = 0;
    public static final int START_TIME_OFFSET = PID_OFFSET + SIZE_OF_LONG;
    public static final int KIND_OFFSET = START_TIME_OFFSET + SIZE_OF_LONG;
    public static final int STATE_OFFSET = KIND_OFFSET + SIZE_OF_INT;
    public static final int ATTACH_TIME_OFFSET = STATE_OFFSET + SIZE_OF_INT;
    public static final int HEARTBEAT_OFFSET = ATTACH_TIME_OFFSET + SIZE_OF_LONG;
    public static final int INBOX_OFFSET_OFFSET = HEARTBEAT_OFFSET + SIZE_OF_LONG;
    public static final int HASH_OPERATION_OFFSET = INBOX_OFFSET_OFFSET + SIZE_OF_LONG;

    public static final int LATCH_OFFSET = CACHE_LINE_LENGTH;
    public static final int SLEEPING_OFFSET = LATCH_OFFSET + SIZE_OF_INT;

    public static final int MESSAGES_SENT_OFFSET = 2 * CACHE_LINE_LENGTH;
    public static final int MESSAGES_RECEIVED_OFFSET = MESSAGES_SENT_OFFSET + SIZE_OF_LONG;
    public static final int BROADCASTS_RECEIVED_OFFSET = MESSAGES_RECEIVED_OFFSET + SIZE_OF_LONG;
    public static final int BROADCASTS_LOST_OFFSET = BROADCASTS_RECEIVED_OFFSET + SIZE_OF_LONG;

    public static final int STATE_FREE = 0;
    public static final int STATE_CLAIMING = 1;
    public static final int STATE_ACTIVE = 2;

    /** Fixed slots of the postmaster and the auxiliary processes. */
    public static final int POSTMASTER_SLOT = 0;
    public static final int BGWRITER_SLOT = 1;
    public static final int CHECKPOINTER_SLOT = 2;
    public static final int FIRST_BACKEND_SLOT = 3;

    private ProcSlotDescriptor()
    {
    }

    /** Offset of slot {@code slot} in the proc array structure. */
    public static int slotOffset(final int slot)
    {
        return HEADER_LENGTH + slot * SLOT_LENGTH;
    }
}
