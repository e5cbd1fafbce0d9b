package org.pgshmem.wal;

import static org.pgshmem.wal.WalPageHeaderDescriptor.LENGTH;
import static org.pgshmem.wal.WalPageHeaderDescriptor.PAGE_SIZE;
import static org.pgshmem.wal.WalPageHeaderDescriptor.USABLE;

/**
 * Conversions between LSNs (byte addresses in the WAL, page headers included) and usable byte
 * positions (page headers left out), as PostgreSQL's XLogBytePosToRecPtr and friends: the shared
 * insert position counts usable bytes, so that reserving space for a record is one atomic add
 * whatever page boundaries the record crosses.
 */
public final class WalAddress
{
    private WalAddress()
    {
    }

    /** XLogBytePosToRecPtr: the LSN where a record starting at usable position {@code pos} begins. */
    public static long toLsn(final long pos)
    {
        return pos / USABLE * PAGE_SIZE + LENGTH + pos % USABLE;
    }

    /**
     * XLogBytePosToEndRecPtr: the LSN of the end of a record ending at usable position {@code pos};
     * an end on a page boundary is that boundary, not the next page's first record byte.
     */
    public static long toEndLsn(final long pos)
    {
        final long rem = pos % USABLE;
        return rem == 0 ? pos / USABLE * PAGE_SIZE : pos / USABLE * PAGE_SIZE + LENGTH + rem;
    }

    /** XLogRecPtrToBytePos: the usable position of {@code lsn} (a header position counts as the page's first usable byte). */
    public static long toPos(final long lsn)
    {
        final long offset = lsn % PAGE_SIZE;
        return lsn / PAGE_SIZE * USABLE + Math.max(0, offset - LENGTH);
    }

    /** The LSN of the page holding {@code lsn}. */
    public static long pageOf(final long lsn)
    {
        return lsn - lsn % PAGE_SIZE;
    }

    /** The WAL segment number holding {@code lsn}. */
    public static long segmentOf(final long lsn, final int segmentSize)
    {
        return lsn / segmentSize;
    }
}
