package org.pgshmem.proc;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of the proc array (PostgreSQL's PGPROC array and PMChildFlags): a header line, then
 * one slot per process that may attach. Slot 0 is the postmaster's, 1 the background writer's,
 * 2 the checkpointer's, and the {@code max_connections} slots after them are for backends.
 *
 * <pre>
 *  Header (64 bytes):
 *  +-------------------------------+-------------------------------+
 *  |  Slot Count                   |  Reserved                    ...
 *  +-------------------------------+-------------------------------+
 *  Slot (128 bytes, two cache lines):
 *  +---------------------------------------------------------------+
 *  |  PID (0 = free; claimed by compare-and-set, cleared last)     |  0
 *  |  Process Start Time (epoch ms; guards against pid reuse)      |  8
 *  +-------------------------------+-------------------------------+
 *  |  Kind (ProcKind code)         |  State (0 free, 1 claiming,   | 16
 *  |                               |  2 active)                    |
 *  +-------------------------------+-------------------------------+
 *  |  Attach Time (epoch ms)                                       | 24
 *  |  Reserved up to 128                                          ...
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class ProcSlotDescriptor
{
    public static final int HEADER_LENGTH = 64;
    public static final int SLOT_COUNT_OFFSET = 0;

    public static final int SLOT_LENGTH = 128;
    public static final int PID_OFFSET = 0;
    public static final int START_TIME_OFFSET = PID_OFFSET + SIZE_OF_LONG;
    public static final int KIND_OFFSET = START_TIME_OFFSET + SIZE_OF_LONG;
    public static final int STATE_OFFSET = KIND_OFFSET + SIZE_OF_INT;
    public static final int ATTACH_TIME_OFFSET = STATE_OFFSET + SIZE_OF_INT;

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
