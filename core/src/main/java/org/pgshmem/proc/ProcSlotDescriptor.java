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
 * <p>A slot is six cache lines, split by writer so that no two processes write one line on
 * the hot path: the owner's identity and heartbeat; the latch, written by whoever wakes the
 * owner; the owner's counters; its lock waits; the LWLocks it holds. One row is eight bytes,
 * little-endian.
 * <pre>
 *  Header (64 bytes):
 *  +-------------------------------+-------------------------------+
 *  |  Slot Count                   |  Inbox Capacity (bytes)       |   0
 *  +-------------------------------+-------------------------------+
 *  Slot (384 bytes):
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
 *  |  Reserved                                                     |  48
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
 *  +-------------------------------+-------------------------------+
 *  |  Hash Label 0                 |  In Flight 0                  | 160
 *  |  Hash Label 1                 |  In Flight 1                  | 168
 *  |  Hash Label 2                 |  In Flight 2                  | 176
 *  |  Hash Label 3                 |  In Flight 3                  | 184
 *  +-------------------------------+-------------------------------+
 *  |  Held Spinlock (segment offset of its word + 1; 0 none)       | 192
 *  +-------------------------------+-------------------------------+
 *  |  LWLock Wait (segment offset) |  LWLock Wait Mode (1 S, 2 X)  | 200
 *  |  LWLock Wait Ticket (FIFO order among its waiters)            | 208
 *  |  LWLock Wait Counted (1/0)    |  LWLock Wakeup (set by waker) | 216
 *  |  Lock Wait Tag High           (heavyweight lock waited for)   | 224
 *  |  Lock Wait Tag Low                                            | 232
 *  |  Lock Wait Mode (1..8)        |  Lock Wait Status (0 none,    | 240
 *  |                               |  1 waiting, 2 granted)        |
 *  |  Lock Wait Ticket (queue order on that lock)                  | 248
 *  +-------------------------------+-------------------------------+
 *  |  Lock Wait Start (epoch ms)                                   | 256
 *  |  Reserved                                                     | 264
 *  |  Held LWLock 0 (offset | mode) ... Held LWLock 27             | 272
 *  |  (up to the end of the sixth line)                           ... 383
 *  +---------------------------------------------------------------+
 * </pre>
 * The fourth and fifth lines say which locks the owner holds or waits for, so that the
 * postmaster's cleanup of a dead slot releases exactly those (see the lock package). A held
 * LWLock entry is the lock's segment offset (a multiple of 64) plus 1 for exclusive mode, 0 when
 * unused; entries are taken by compare-and-set so that threads of one process may share them.
 * Hash Label n is the shmem index entry (its offset in the segment) + 1 of a hash table the
 * owner opened, 0 for an unused pair, or -1 for "any hash" (a process that opened more than
 * four shares the last pair among them); In Flight n counts the owner's threads inside a
 * Chronicle Map operation on it. A process that dies with a count above zero may have left a
 * Chronicle segment lock held with no owner recorded: the postmaster recovers that hash.
 * <pre>
 * </pre>
 */
public final class ProcSlotDescriptor
{
    public static final int HEADER_LENGTH = CACHE_LINE_LENGTH;
    public static final int SLOT_COUNT_OFFSET = 0;
    public static final int INBOX_CAPACITY_OFFSET = SLOT_COUNT_OFFSET + SIZE_OF_INT;

    public static final int SLOT_LENGTH = 6 * CACHE_LINE_LENGTH;
    public static final int PID_OFFSET = 0;
    public static final int START_TIME_OFFSET = PID_OFFSET + SIZE_OF_LONG;
    public static final int KIND_OFFSET = START_TIME_OFFSET + SIZE_OF_LONG;
    public static final int STATE_OFFSET = KIND_OFFSET + SIZE_OF_INT;
    public static final int ATTACH_TIME_OFFSET = STATE_OFFSET + SIZE_OF_INT;
    public static final int HEARTBEAT_OFFSET = ATTACH_TIME_OFFSET + SIZE_OF_LONG;
    public static final int INBOX_OFFSET_OFFSET = HEARTBEAT_OFFSET + SIZE_OF_LONG;

    public static final int LATCH_OFFSET = CACHE_LINE_LENGTH;
    public static final int SLEEPING_OFFSET = LATCH_OFFSET + SIZE_OF_INT;

    public static final int MESSAGES_SENT_OFFSET = 2 * CACHE_LINE_LENGTH;
    public static final int MESSAGES_RECEIVED_OFFSET = MESSAGES_SENT_OFFSET + SIZE_OF_LONG;
    public static final int BROADCASTS_RECEIVED_OFFSET = MESSAGES_RECEIVED_OFFSET + SIZE_OF_LONG;
    public static final int BROADCASTS_LOST_OFFSET = BROADCASTS_RECEIVED_OFFSET + SIZE_OF_LONG;
    public static final int HASH_MARKS_OFFSET = BROADCASTS_LOST_OFFSET + SIZE_OF_LONG;
    public static final int HASH_MARK_LENGTH = 2 * SIZE_OF_INT;
    public static final int HASH_MARK_COUNT = 4;

    public static final int HELD_SPINLOCK_OFFSET = 3 * CACHE_LINE_LENGTH;
    public static final int LWLOCK_WAIT_OFFSET = HELD_SPINLOCK_OFFSET + SIZE_OF_LONG;
    public static final int LWLOCK_WAIT_MODE_OFFSET = LWLOCK_WAIT_OFFSET + SIZE_OF_INT;
    public static final int LWLOCK_WAIT_TICKET_OFFSET = LWLOCK_WAIT_MODE_OFFSET + SIZE_OF_INT;
    public static final int LWLOCK_WAIT_COUNTED_OFFSET = LWLOCK_WAIT_TICKET_OFFSET + SIZE_OF_LONG;
    public static final int LWLOCK_WAKEUP_OFFSET = LWLOCK_WAIT_COUNTED_OFFSET + SIZE_OF_INT;
    public static final int LOCK_WAIT_TAG_HIGH_OFFSET = LWLOCK_WAKEUP_OFFSET + SIZE_OF_INT;
    public static final int LOCK_WAIT_TAG_LOW_OFFSET = LOCK_WAIT_TAG_HIGH_OFFSET + SIZE_OF_LONG;
    public static final int LOCK_WAIT_MODE_OFFSET = LOCK_WAIT_TAG_LOW_OFFSET + SIZE_OF_LONG;
    public static final int LOCK_WAIT_STATUS_OFFSET = LOCK_WAIT_MODE_OFFSET + SIZE_OF_INT;
    public static final int LOCK_WAIT_TICKET_OFFSET = LOCK_WAIT_STATUS_OFFSET + SIZE_OF_INT;
    public static final int LOCK_WAIT_START_OFFSET = 4 * CACHE_LINE_LENGTH;
    public static final int HELD_LWLOCKS_OFFSET = LOCK_WAIT_START_OFFSET + 2 * SIZE_OF_LONG;
    /** How many LWLocks one process may hold at once (PostgreSQL's MAX_SIMUL_LWLOCKS is 200; the deadlock check holds the 16 lock partitions). */
    public static final int MAX_HELD_LWLOCKS = (SLOT_LENGTH - HELD_LWLOCKS_OFFSET) / SIZE_OF_INT;

    public static final int LOCK_WAIT_NONE = 0;
    public static final int LOCK_WAIT_WAITING = 1;
    public static final int LOCK_WAIT_GRANTED = 2;

    /** Hash Label value meaning "any hash this process opened". */
    public static final int ANY_HASH = -1;

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
