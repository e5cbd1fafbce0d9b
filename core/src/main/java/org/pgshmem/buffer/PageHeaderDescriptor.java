package org.pgshmem.buffer;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;
import static org.agrona.BitUtil.SIZE_OF_SHORT;

/**
 * Layout of the header of every 8 KiB page of a relation file (PostgreSQL's PageHeaderData,
 * the same 24 bytes in the same order).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  LSN (of the last WAL record that changed the page, 64 bits)  |  0
 *  +-------------------------------+-------------------------------+
 *  |  Checksum                     |  Flags                        |  8
 *  +-------------------------------+-------------------------------+
 *  |  Lower (free space start)     |  Upper (free space end)       | 12
 *  +-------------------------------+-------------------------------+
 *  |  Special                      |  Page Size | Layout Version   | 16
 *  +-------------------------------+-------------------------------+
 *  |  Prune XID                                                    | 20
 *  +---------------------------------------------------------------+
 *  |  Contents up to 8192                                         ... 24
 *  +---------------------------------------------------------------+
 * </pre>
 * A page of all zeros is a new page, valid without a checksum, as in PostgreSQL. Any other page
 * carries in Checksum a CRC-32C over the whole page (with Checksum taken as 0), mixed with the
 * block number and folded to 1 .. 65535 ((mixed mod 65535) + 1, as PostgreSQL folds its own), so
 * that a page written at the wrong block fails too.
 */
public final class PageHeaderDescriptor
{
    /** Bytes of a page (BLCKSZ). */
    public static final int PAGE_SIZE = 8192;
    /** PostgreSQL's PG_PAGE_LAYOUT_VERSION; Page Size | Layout Version holds PAGE_SIZE | this. */
    public static final int PAGE_LAYOUT_VERSION = 4;

    public static final int LSN_OFFSET = 0;
    public static final int CHECKSUM_OFFSET = LSN_OFFSET + SIZE_OF_LONG;
    public static final int FLAGS_OFFSET = CHECKSUM_OFFSET + SIZE_OF_SHORT;
    public static final int LOWER_OFFSET = FLAGS_OFFSET + SIZE_OF_SHORT;
    public static final int UPPER_OFFSET = LOWER_OFFSET + SIZE_OF_SHORT;
    public static final int SPECIAL_OFFSET = UPPER_OFFSET + SIZE_OF_SHORT;
    public static final int SIZE_VERSION_OFFSET = SPECIAL_OFFSET + SIZE_OF_SHORT;
    public static final int PRUNE_XID_OFFSET = SIZE_VERSION_OFFSET + SIZE_OF_SHORT;
    /** Where a page's contents begin (SizeOfPageHeaderData). */
    public static final int HEADER_LENGTH = PRUNE_XID_OFFSET + SIZE_OF_INT;

    private PageHeaderDescriptor()
    {
    }
}
