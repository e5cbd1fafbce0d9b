package org.pgshmem.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgshmem.buffer.PageHeaderDescriptor.*;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.Test;

/**
 * Page images: PageInit's header, the page checksum as docs/LAYOUTS.md specifies it, and what
 * verification catches.
 */
class PageTest
{
    /** A page with random contents after an initialized header, not yet checksummed. */
    private static ByteBuffer randomPage(final long seed)
    {
        final ByteBuffer page = Page.allocate();
        Page.init(page);
        final Random random = new Random(seed);
        for (int i = HEADER_LENGTH; i < PAGE_SIZE; i++)
        {
            page.put(i, (byte)random.nextInt());
        }
        return page;
    }

    /**
     * The checksum written out from the spec (LAYOUTS.md): CRC-32C of the 8192 bytes with the
     * checksum field taken as 0, XOR (block × 0x9E3779B9) in 32 bits, then mod 65535, plus 1.
     */
    private static long mixed(final ByteBuffer page, final int block)
    {
        final byte[] bytes = new byte[PAGE_SIZE];
        page.duplicate().clear().get(bytes);
        bytes[CHECKSUM_OFFSET] = 0;
        bytes[CHECKSUM_OFFSET + 1] = 0;
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (crc.getValue() ^ Integer.toUnsignedLong(block) * 0x9E37_79B9L) & 0xFFFF_FFFFL;
    }

    @Test
    void initFillsInTheHeaderAsPageInitAndZeroesTheRest()
    {
        final ByteBuffer page = Page.allocate();
        for (int i = 0; i < PAGE_SIZE; i++)
        {
            page.put(i, (byte)0x5A);
        }
        Page.init(page);

        assertEquals(0, page.getLong(LSN_OFFSET));
        assertEquals(0, page.getShort(CHECKSUM_OFFSET));
        assertEquals(0, page.getShort(FLAGS_OFFSET));
        assertEquals(24, page.getShort(LOWER_OFFSET));
        assertEquals(8192, page.getShort(UPPER_OFFSET) & 0xFFFF);
        assertEquals(8192, page.getShort(SPECIAL_OFFSET) & 0xFFFF);
        assertEquals(8192 | 4, page.getShort(SIZE_VERSION_OFFSET) & 0xFFFF);
        assertEquals(0, page.getInt(PRUNE_XID_OFFSET));
        for (int i = HEADER_LENGTH; i < PAGE_SIZE; i++)
        {
            assertEquals(0, page.get(i), "byte " + i);
        }
        assertEquals(0x18, page.get(12), "little-endian: Lower's low byte first");
        assertEquals(0x04, page.get(18), "size|version 0x2004, low byte first");
        assertEquals(0x20, page.get(19));
        assertFalse(Page.isNew(page));
    }

    @Test
    void theHeaderFieldsAreWherePageHeaderDataHasThem()
    {
        assertEquals(0, LSN_OFFSET);
        assertEquals(8, CHECKSUM_OFFSET);
        assertEquals(10, FLAGS_OFFSET);
        assertEquals(12, LOWER_OFFSET);
        assertEquals(14, UPPER_OFFSET);
        assertEquals(16, SPECIAL_OFFSET);
        assertEquals(18, SIZE_VERSION_OFFSET);
        assertEquals(20, PRUNE_XID_OFFSET);
        assertEquals(24, HEADER_LENGTH);
    }

    @Test
    void aNewAllZeroPageVerifiesAtAnyBlockWithoutAChecksum()
    {
        final ByteBuffer page = Page.allocate();
        assertTrue(Page.isNew(page));
        for (final int block : new int[] {0, 1, 7, 123_456, -1})
        {
            assertTrue(Page.verify(page, block), "block " + block);
        }
        page.put(PAGE_SIZE - 1, (byte)1);
        assertFalse(Page.isNew(page), "one byte set anywhere, the last one included, makes it not new");
        assertFalse(Page.verify(page, 0));
    }

    @Test
    void anInitializedPageWithoutItsChecksumFailsVerification()
    {
        final ByteBuffer page = Page.allocate();
        Page.init(page);
        assertFalse(Page.verify(page, 0), "checksum field 0 is never a valid checksum");
    }

    @Test
    void aPageWithItsChecksumSetVerifiesAsItsBlock()
    {
        for (final int block : new int[] {0, 1, 2, 1000, Integer.MAX_VALUE, -1})
        {
            final ByteBuffer page = randomPage(block);
            Page.setChecksum(page, block);
            assertTrue(Page.verify(page, block), "block " + block);
            assertEquals(Page.checksum(page, block), page.getShort(CHECKSUM_OFFSET) & 0xFFFF);
        }
    }

    @Test
    void anInitializedEmptyPageWithItsChecksumVerifies()
    {
        final ByteBuffer page = Page.allocate();
        Page.init(page);
        Page.setChecksum(page, 3);
        assertTrue(Page.verify(page, 3));
    }

    @Test
    void theChecksumIsTheDocumentedCrc32cMixedWithTheBlockNumber()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            final ByteBuffer page = randomPage(seed);
            page.putShort(CHECKSUM_OFFSET, (short)0x7E57);
            final int block = seed * 977 - 3;
            assertEquals(mixed(page, block) % 65535 + 1, Page.checksum(page, block), "seed " + seed);
            assertEquals(0x7E57, page.getShort(CHECKSUM_OFFSET) & 0xFFFF, "computing it leaves the stored field");
        }
    }

    @Test
    void theChecksumDoesNotDependOnTheStoredChecksumField()
    {
        final ByteBuffer page = randomPage(5);
        final int before = Page.checksum(page, 9);
        page.putShort(CHECKSUM_OFFSET, (short)0xFFFF);
        assertEquals(before, Page.checksum(page, 9));
    }

    @Test
    void theChecksumIsNeverZeroEvenWhenTheMixedCrcIsAMultipleOf65535()
    {
        // found by search: the first value of the long at offset 24 of an initialized page for
        // which the mixed CRC of block 0 is 0 mod 65535, and the first for which it is 65534
        final ByteBuffer page = Page.allocate();
        Page.init(page);
        page.putLong(HEADER_LENGTH, 32190);
        assertEquals(0, mixed(page, 0) % 65535);
        assertEquals(1, Page.checksum(page, 0));
        Page.setChecksum(page, 0);
        assertTrue(Page.verify(page, 0));

        page.putLong(HEADER_LENGTH, 98329);
        assertEquals(65534, mixed(page, 0) % 65535);
        assertEquals(65535, Page.checksum(page, 0));

        for (int seed = 0; seed < 200; seed++)
        {
            final int checksum = Page.checksum(randomPage(seed), seed);
            assertTrue(checksum >= 1 && checksum <= 65535, "seed " + seed + ": " + checksum);
        }
    }

    @Test
    void flippingAnySampledByteOfAChecksummedPageFailsVerification()
    {
        // a 16-bit checksum lets about one corruption in 65535 through, so this is one fixed page
        // and a fixed sample: every header byte, every 7th byte of the rest, the last byte
        final int block = 7;
        final ByteBuffer page = randomPage(1);
        Page.setChecksum(page, block);
        assertTrue(Page.verify(page, block));
        int tried = 0;
        for (int pos = 0; pos < PAGE_SIZE; pos = pos < HEADER_LENGTH ? pos + 1 : pos + 7)
        {
            tried += flipAt(page, block, pos);
        }
        tried += flipAt(page, block, PAGE_SIZE - 1);
        assertEquals(3 * (24 + 1167 + 1), tried);
        assertTrue(Page.verify(page, block), "every flip was undone");
    }

    private static int flipAt(final ByteBuffer page, final int block, final int pos)
    {
        final byte original = page.get(pos);
        for (final int mask : new int[] {0x01, 0x80, 0xFF})
        {
            page.put(pos, (byte)(original ^ mask));
            assertFalse(Page.verify(page, block), "byte " + pos + " xor 0x" + Integer.toHexString(mask));
        }
        page.put(pos, original);
        return 3;
    }

    @Test
    void aWrongPageSizeOrLayoutVersionFailsEvenWithAMatchingChecksum()
    {
        final ByteBuffer page = randomPage(2);
        page.putShort(SIZE_VERSION_OFFSET, (short)(PAGE_SIZE | 5));
        Page.setChecksum(page, 0);
        assertEquals(Page.checksum(page, 0), page.getShort(CHECKSUM_OFFSET) & 0xFFFF);
        assertFalse(Page.verify(page, 0));
    }

    @Test
    void aPageCheckedAsAnotherBlockFailsVerification()
    {
        final ByteBuffer page = randomPage(3);
        Page.setChecksum(page, 7);
        for (int block = 0; block < 10_000; block++)
        {
            if (block != 7)
            {
                assertFalse(Page.verify(page, block), "block " + block);
            }
        }
        assertFalse(Page.verify(page, -7));
        assertFalse(Page.verify(page, 7 + 65535), "the block is mixed in before the reduction to 16 bits");
    }
}
