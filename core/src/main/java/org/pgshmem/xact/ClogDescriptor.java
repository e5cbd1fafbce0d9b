package org.pgshmem.xact;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;
import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layouts of the commit log (PostgreSQL's clog.c over slru.c): the status of every transaction in
 * two bits, on 8 KiB pages, cached in {@link #NUM_BUFFERS} page buffers of shared memory and kept
 * in segment files {@code DATA/clog/XXXX} of {@link #PAGES_PER_SEGMENT} pages each.
 *
 * <p>Transaction {@code xid} lives on page {@code xid / 32768}, in byte {@code (xid % 32768) / 4}
 * of it, at bits {@code 2 × (xid % 4)} of that byte, as in PostgreSQL's pg_xact. A page is read
 * and changed as longs (little-endian), so that one compare-and-set on the long holding the byte
 * changes a status without any lock on the bits.
 *
 * <p>Struct "CLOG Ctl": a header line, then one entry per page buffer.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  LRU Clock: the last recency stamp given to an entry          |  0
 *  +---------------------------------------------------------------+
 *  |  Lowest page written since the last checkpoint (max: none)    |  8
 *  +---------------------------------------------------------------+
 *  |  Highest page written since the last checkpoint (-1: none)    | 16
 *  +---------------------------------------------------------------+
 *  |  zeros up to 64                                              ... 24
 *  +---------------------------------------------------------------+
 *  |  entry 0 (32 bytes), entry 1 ...                              | 64
 *  +---------------------------------------------------------------+
 *
 *  entry i, at 64 + 32 × i:
 *  +---------------------------------------------------------------+
 *  |  Page Number held by buffer i                                 |  0
 *  +-------------------------------+-------------------------------+
 *  |  Status (0 empty, 1 valid)    |  Dirty (0 or 1)               |  8
 *  +-------------------------------+-------------------------------+
 *  |  LRU Stamp: the clock when the page was last used             | 16
 *  +---------------------------------------------------------------+
 *  |  Page LSN: the latest commit record whose status is on it     | 24
 *  +---------------------------------------------------------------+
 * </pre>
 * Struct "CLOG Buffers": {@link #NUM_BUFFERS} pages of 8192 bytes, buffer i at {@code 8192 × i}.
 *
 * <p>The LWLock of tranche "XactSLRU" guards the entries: it is held shared to find a page and
 * read or set its bits (the page cannot be replaced meanwhile), exclusive to load or write a page.
 * A page is loaded by marking its entry empty, reading the file into the buffer, then setting the
 * page number and Status valid: a process that dies in between leaves an empty entry, not a page
 * that claims to be something it is not.
 */
public final class ClogDescriptor
{
    /** Bytes in a commit-log page (BLCKSZ). */
    public static final int PAGE_SIZE = 8192;
    /** Bits of status per transaction (CLOG_BITS_PER_XACT). */
    public static final int BITS_PER_XACT = 2;
    /** Transactions a byte holds (CLOG_XACTS_PER_BYTE). */
    public static final int XACTS_PER_BYTE = 4;
    /** Transactions a page holds (CLOG_XACTS_PER_PAGE). */
    public static final int XACTS_PER_PAGE = PAGE_SIZE * XACTS_PER_BYTE;
    /** Pages in a segment file (SLRU_PAGES_PER_SEGMENT). */
    public static final int PAGES_PER_SEGMENT = 32;
    /** Page buffers in shared memory. */
    public static final int NUM_BUFFERS = 32;
    /** A status's two bits. */
    public static final long STATUS_MASK = (1L << BITS_PER_XACT) - 1;

    public static final int LRU_CLOCK_OFFSET = 0;
    public static final int LOWEST_WRITTEN_OFFSET = LRU_CLOCK_OFFSET + SIZE_OF_LONG;
    public static final int HIGHEST_WRITTEN_OFFSET = LOWEST_WRITTEN_OFFSET + SIZE_OF_LONG;
    public static final int ENTRIES_OFFSET = CACHE_LINE_LENGTH;

    public static final int ENTRY_PAGE_OFFSET = 0;
    public static final int ENTRY_STATUS_OFFSET = ENTRY_PAGE_OFFSET + SIZE_OF_LONG;
    public static final int ENTRY_DIRTY_OFFSET = ENTRY_STATUS_OFFSET + SIZE_OF_INT;
    public static final int ENTRY_LRU_OFFSET = ENTRY_DIRTY_OFFSET + SIZE_OF_INT;
    public static final int ENTRY_LSN_OFFSET = ENTRY_LRU_OFFSET + SIZE_OF_LONG;
    public static final int ENTRY_LENGTH = ENTRY_LSN_OFFSET + SIZE_OF_LONG;

    /** Bytes of struct "CLOG Ctl". */
    public static final int CTL_LENGTH = ENTRIES_OFFSET + NUM_BUFFERS * ENTRY_LENGTH;
    /** Bytes of struct "CLOG Buffers". */
    public static final int BUFFERS_LENGTH = NUM_BUFFERS * PAGE_SIZE;

    /** Entry Status: the buffer holds no page. */
    public static final int ENTRY_EMPTY = 0;
    /** Entry Status: the buffer holds page Page Number. */
    public static final int ENTRY_VALID = 1;

    private ClogDescriptor()
    {
    }

    /** Where entry {@code i} starts in "CLOG Ctl". */
    public static int entryOffset(final int i)
    {
        return ENTRIES_OFFSET + i * ENTRY_LENGTH;
    }

    /** The page holding transaction {@code xid} (TransactionIdToPage). */
    public static long page(final long xid)
    {
        return xid / XACTS_PER_PAGE;
    }

    /** The offset in its page of the long holding transaction {@code xid}'s bits. */
    public static int wordOffset(final long xid)
    {
        return (int)(xid % XACTS_PER_PAGE / XACTS_PER_BYTE) & ~(SIZE_OF_LONG - 1);
    }

    /** The shift of transaction {@code xid}'s bits in the long at {@link #wordOffset}. */
    public static int shift(final long xid)
    {
        final int byteInWord = (int)(xid % XACTS_PER_PAGE / XACTS_PER_BYTE) & (SIZE_OF_LONG - 1);
        return byteInWord * Byte.SIZE + (int)(xid % XACTS_PER_BYTE) * BITS_PER_XACT;
    }

    /** The segment file holding page {@code page}. */
    public static long segment(final long page)
    {
        return page / PAGES_PER_SEGMENT;
    }

    /** The name of segment file {@code segment} under {@code DATA/clog}: at least four upper-case hex digits. */
    public static String segmentName(final long segment)
    {
        return String.format("%04X", segment);
    }
}
