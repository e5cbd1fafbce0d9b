package org.pgshmem.buffer;

import static org.pgshmem.buffer.PageHeaderDescriptor.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Operations on a page image in a {@link ByteBuffer} of {@link PageHeaderDescriptor#PAGE_SIZE}
 * bytes, little-endian (PostgreSQL's bufpage.c and checksum.c): initialize, set and verify the
 * checksum. Checksums are computed on the I/O copy of a page, never on the shared buffer, as
 * PostgreSQL's PageSetChecksumCopy does, so a page that changes while it is written cannot get
 * a checksum that does not match what reached the disk.
 */
public final class Page
{
    private Page()
    {
    }

    /** A page-sized direct buffer, little-endian, for I/O. */
    public static ByteBuffer allocate()
    {
        return ByteBuffer.allocateDirect(PAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** PageInit: an empty page with the header filled in and the rest zero. */
    public static void init(final ByteBuffer page)
    {
        for (int i = 0; i < PAGE_SIZE; i += Long.BYTES)
        {
            page.putLong(i, 0);
        }
        page.putShort(LOWER_OFFSET, (short)HEADER_LENGTH);
        page.putShort(UPPER_OFFSET, (short)PAGE_SIZE);
        page.putShort(SPECIAL_OFFSET, (short)PAGE_SIZE);
        page.putShort(SIZE_VERSION_OFFSET, (short)(PAGE_SIZE | PAGE_LAYOUT_VERSION));
    }

    /** Whether the page is all zeros: never written (PageIsNew). */
    public static boolean isNew(final ByteBuffer page)
    {
        for (int i = 0; i < PAGE_SIZE; i += Long.BYTES)
        {
            if (page.getLong(i) != 0)
            {
                return false;
            }
        }
        return true;
    }

    /** The checksum the page should carry as block {@code block}: 1 to 65535, never 0. */
    public static int checksum(final ByteBuffer page, final int block)
    {
        return checksum(page, block, new CRC32C());
    }

    /**
     * The same, with a caller's CRC-32C so that the I/O path allocates nothing; the page's
     * position and limit are left as the caller had them.
     */
    public static int checksum(final ByteBuffer page, final int block, final CRC32C crc)
    {
        final short stored = page.getShort(CHECKSUM_OFFSET);
        page.putShort(CHECKSUM_OFFSET, (short)0);
        final int position = page.position();
        final int limit = page.limit();
        crc.reset();
        page.limit(PAGE_SIZE).position(0);
        crc.update(page);
        page.limit(limit).position(position);
        page.putShort(CHECKSUM_OFFSET, stored);
        final long mixed = (crc.getValue() ^ (block & 0xFFFF_FFFFL) * 0x9E37_79B9L) & 0xFFFF_FFFFL;
        return (int)(mixed % 65535) + 1;
    }

    /** Sets the checksum for block {@code block}, just before the page is written. */
    public static void setChecksum(final ByteBuffer page, final int block)
    {
        setChecksum(page, block, new CRC32C());
    }

    /** {@link #setChecksum(ByteBuffer, int)} with a caller's CRC-32C. */
    public static void setChecksum(final ByteBuffer page, final int block, final CRC32C crc)
    {
        page.putShort(CHECKSUM_OFFSET, (short)checksum(page, block, crc));
    }

    /** PageIsVerified: a new page, or one whose size/version word and checksum are right for {@code block}. */
    public static boolean verify(final ByteBuffer page, final int block)
    {
        return verify(page, block, new CRC32C());
    }

    /** {@link #verify(ByteBuffer, int)} with a caller's CRC-32C. */
    public static boolean verify(final ByteBuffer page, final int block, final CRC32C crc)
    {
        return isNew(page) || (page.getShort(SIZE_VERSION_OFFSET) & 0xFFFF) == (PAGE_SIZE | PAGE_LAYOUT_VERSION)
            && (page.getShort(CHECKSUM_OFFSET) & 0xFFFF) == checksum(page, block, crc);
    }
}
