package org.pgshmem.wal;

import static org.agrona.BitUtil.SIZE_OF_BYTE;
import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of a WAL record's header (PostgreSQL's XLogRecord). A record starts at an 8-byte
 * aligned LSN; its payload follows the header and may continue on the next pages after their
 * page headers. Little-endian.
 *
 * <pre>
 *  +-------------------------------+-------+-------+---------------+
 *  |  Total length (header +       | Type  | Flags |  zeros        |   0
 *  |  payload, page headers not    |       |       |               |
 *  |  counted)                     |       |       |               |
 *  +-------------------------------+-------+-------+---------------+
 *  |  Transaction id (0: none)                                     |   8
 *  +-------------------------------+-------------------------------+
 *  |  CRC-32C                      |  zeros                        |  16
 *  +-------------------------------+-------------------------------+
 *  |  payload ...                                                    24
 * </pre>
 *
 * The CRC-32C covers the record's own LSN (8 bytes, little-endian), then header bytes 0 to 15,
 * then the payload. Mixing in the LSN makes a stale record left in a recycled segment fail its
 * check where PostgreSQL relies on xl_prev.
 */
public final class WalRecordDescriptor
{
    public static final int TOTAL_LENGTH_OFFSET = 0;
    public static final int TYPE_OFFSET = TOTAL_LENGTH_OFFSET + SIZE_OF_INT;
    public static final int FLAGS_OFFSET = TYPE_OFFSET + SIZE_OF_BYTE;
    public static final int XID_OFFSET = 8;
    public static final int CRC_OFFSET = XID_OFFSET + SIZE_OF_LONG;
    /** Bytes of the header; the payload follows. */
    public static final int HEADER_LENGTH = 24;
    /** Records start at multiples of this (MAXALIGN). */
    public static final int ALIGNMENT = 8;
    /** The largest record: header and payload; a commit record with 32 full-page images fits. */
    public static final int MAX_RECORD_LENGTH = 512 * 1024;

    private WalRecordDescriptor()
    {
    }

    /** {@code length} rounded up to the record alignment. */
    public static int align(final int length)
    {
        return (length + ALIGNMENT - 1) & -ALIGNMENT;
    }
}
