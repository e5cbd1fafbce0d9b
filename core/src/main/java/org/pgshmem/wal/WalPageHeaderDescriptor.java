package org.pgshmem.wal;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;
import static org.agrona.BitUtil.SIZE_OF_SHORT;

/**
 * Layout of the header at the start of every 8 KiB WAL page (PostgreSQL's XLogPageHeaderData,
 * with the system identifier of the long header on every page so that any page names its cluster).
 * Little-endian. With WAL encryption the header stays in the clear and the rest of the page
 * (from {@link #LENGTH}) is encrypted.
 *
 * <pre>
 *  +---------------+---------------+-------------------------------+
 *  |  Magic        |  Info flags   |  Remaining length of a record |   0
 *  |  (0xD5A1)     |               |  continued from the last page |
 *  +---------------+---------------+-------------------------------+
 *  |  Page address: the LSN of this page's first byte              |   8
 *  +---------------------------------------------------------------+
 *  |  System identifier                                            |  16
 *  +-------------------------------+-------------------------------+
 *  |  WAL segment size             |  Write epoch                  |  24
 *  +-------------------------------+-------------------------------+
 *  |  records ...                                                    32
 * </pre>
 */
public final class WalPageHeaderDescriptor
{
    /** Bytes in a WAL page (XLOG_BLCKSZ). */
    public static final int PAGE_SIZE = 8192;
    /** Marks a pgshmem WAL page; bumped with any change of the WAL format (XLOG_PAGE_MAGIC). */
    public static final short MAGIC = (short)0xD5A1;

    /** Info flag: the page starts with the rest of a record begun on an earlier page. */
    public static final short FIRST_IS_CONTRECORD = 0x0001;
    /** Info flag: everything after the header is encrypted. */
    public static final short ENCRYPTED = 0x0004;

    public static final int MAGIC_OFFSET = 0;
    public static final int INFO_OFFSET = MAGIC_OFFSET + SIZE_OF_SHORT;
    public static final int REM_LEN_OFFSET = INFO_OFFSET + SIZE_OF_SHORT;
    public static final int PAGE_ADDRESS_OFFSET = REM_LEN_OFFSET + SIZE_OF_INT;
    public static final int SYSTEM_IDENTIFIER_OFFSET = PAGE_ADDRESS_OFFSET + SIZE_OF_LONG;
    public static final int SEGMENT_SIZE_OFFSET = SYSTEM_IDENTIFIER_OFFSET + SIZE_OF_LONG;
    /**
     * A random number drawn at each start and written into every page initialized after it:
     * with encryption, part of the nonce, so WAL written over a torn tail after a crash never
     * reuses the key stream of what was there.
     */
    public static final int EPOCH_OFFSET = SEGMENT_SIZE_OFFSET + SIZE_OF_INT;
    /** Bytes of the header; records start after it. */
    public static final int LENGTH = 32;
    /** Bytes of a page that records can use. */
    public static final int USABLE = PAGE_SIZE - LENGTH;

    private WalPageHeaderDescriptor()
    {
    }
}
