package org.pgshmem.xact;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;
import static org.agrona.BitUtil.SIZE_OF_SHORT;

import org.pgshmem.buffer.PageHeaderDescriptor;

/**
 * Layout of the payloads of the transaction records (PostgreSQL's xl_xact_commit with the page
 * changes of the transaction in it, since here a transaction's changes are logged once, at
 * commit). Little-endian; the WAL record header ({@link org.pgshmem.wal.WalRecordDescriptor})
 * carries the transaction id.
 *
 * <p>XACT_COMMIT:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  Commit Time: microseconds since 1970-01-01 UTC               |  0
 *  +-------------------------------+-------------------------------+
 *  |  Block Count                  |  zeros                        |  8
 *  +-------------------------------+-------------------------------+
 *  |  block 0, block 1 ... each at an 8-byte aligned offset          16
 *
 *  a block:
 *  +-------------------------------+-------------------------------+
 *  |  Relation                     |  Block Number                 |  0
 *  +---------------+---------------+-------------------------------+
 *  |  Flags        |  Delta Count  |  Data Length                  |  8
 *  +---------------+---------------+-------------------------------+
 *  |  data: the 8192-byte page (Flags has IMAGE), or Delta Count     16
 *  |  deltas, each: Offset (16 bits), Length (16 bits), the bytes  |
 *  +---------------------------------------------------------------+
 * </pre>
 * The next block starts at {@code align8(16 + Data Length)} after this one. An image is the page
 * as it is after the transaction's changes (PostgreSQL logs its full-page images after the
 * change too); replay copies it whole. Deltas are put at their offsets, which lie past the page
 * header. Either way replay then sets the page LSN to the record's end.
 *
 * <p>XACT_ABORT: Abort Time (8 bytes, microseconds since 1970-01-01 UTC), nothing else.
 */
public final class XactRecordDescriptor
{
    public static final int TIME_OFFSET = 0;
    public static final int BLOCK_COUNT_OFFSET = TIME_OFFSET + SIZE_OF_LONG;
    /** Where the first block starts. */
    public static final int BLOCKS_OFFSET = 16;

    public static final int BLOCK_RELATION_OFFSET = 0;
    public static final int BLOCK_NUMBER_OFFSET = BLOCK_RELATION_OFFSET + SIZE_OF_INT;
    public static final int BLOCK_FLAGS_OFFSET = BLOCK_NUMBER_OFFSET + SIZE_OF_INT;
    public static final int BLOCK_DELTA_COUNT_OFFSET = BLOCK_FLAGS_OFFSET + SIZE_OF_SHORT;
    public static final int BLOCK_DATA_LENGTH_OFFSET = BLOCK_DELTA_COUNT_OFFSET + SIZE_OF_SHORT;
    /** Bytes of a block's header; its data follows. */
    public static final int BLOCK_HEADER_LENGTH = BLOCK_DATA_LENGTH_OFFSET + SIZE_OF_INT;

    /** Block flag: the data is the whole page. */
    public static final short IMAGE = 0x0001;

    public static final int DELTA_OFFSET_OFFSET = 0;
    public static final int DELTA_LENGTH_OFFSET = DELTA_OFFSET_OFFSET + SIZE_OF_SHORT;
    /** Bytes of a delta's header; its bytes follow. */
    public static final int DELTA_HEADER_LENGTH = DELTA_LENGTH_OFFSET + SIZE_OF_SHORT;

    /** Bytes of an abort record's payload. */
    public static final int ABORT_LENGTH = SIZE_OF_LONG;

    /** Blocks one transaction may change. */
    public static final int MAX_BLOCKS = 16;
    /** Delta data above which a block is logged as an image instead (half a page). */
    public static final int MAX_DELTA_BYTES = PageHeaderDescriptor.PAGE_SIZE / 2;
    /** The largest commit payload: every block an image. */
    public static final int MAX_COMMIT_LENGTH = BLOCKS_OFFSET
        + MAX_BLOCKS * (BLOCK_HEADER_LENGTH + PageHeaderDescriptor.PAGE_SIZE);

    private XactRecordDescriptor()
    {
    }

    /** Bytes a block with {@code dataLength} bytes of data takes, up to where the next one starts. */
    public static int blockLength(final int dataLength)
    {
        return (BLOCK_HEADER_LENGTH + dataLength + SIZE_OF_LONG - 1) & -SIZE_OF_LONG;
    }
}
