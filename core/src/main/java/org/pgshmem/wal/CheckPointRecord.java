package org.pgshmem.wal;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The payload of a checkpoint record (PostgreSQL's CheckPoint struct), little-endian:
 * <pre>
 *  +---------------------------------------------------------------+
 *  |  Redo location (LSN)                                          |   0
 *  |  Next transaction id                                          |   8
 *  |  Time (epoch seconds)                                         |  16
 *  +---------------------------------------------------------------+
 * </pre>
 */
final class CheckPointRecord
{
    static final int REDO_OFFSET = 0;
    static final int NEXT_XID_OFFSET = 8;
    static final int TIME_OFFSET = 16;
    static final int LENGTH = 24;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[LENGTH]);

    CheckPointRecord set(final long redo, final long nextXid, final long timeSeconds)
    {
        buffer.putLong(REDO_OFFSET, redo);
        buffer.putLong(NEXT_XID_OFFSET, nextXid);
        buffer.putLong(TIME_OFFSET, timeSeconds);
        return this;
    }

    UnsafeBuffer buffer()
    {
        return buffer;
    }

    static long redo(final DirectBuffer payload)
    {
        return payload.getLong(REDO_OFFSET);
    }

    static long nextXid(final DirectBuffer payload)
    {
        return payload.getLong(NEXT_XID_OFFSET);
    }

    static long time(final DirectBuffer payload)
    {
        return payload.getLong(TIME_OFFSET);
    }
}
