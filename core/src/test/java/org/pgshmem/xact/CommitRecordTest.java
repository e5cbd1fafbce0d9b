package org.pgshmem.xact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgshmem.buffer.PageHeaderDescriptor.LSN_OFFSET;
import static org.pgshmem.buffer.PageHeaderDescriptor.PAGE_SIZE;

import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.pgshmem.util.PgException;

/**
 * The commit record's layout (XactRecordDescriptor) and the write set it is built from: what a
 * transaction writes comes back out of the record, applied to a page, byte for byte; what a
 * record must not hold is refused before anything is applied; and the limits of a write set.
 */
class CommitRecordTest
{
    private final WriteSet writes = new WriteSet();
    private final UnsafeBuffer record = new UnsafeBuffer(new byte[XactRecordDescriptor.MAX_COMMIT_LENGTH]);

    private static byte[] text(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private void write(final int relation, final int block, final int offset, final String s)
    {
        final byte[] bytes = text(s);
        writes.write(relation, block, offset, new UnsafeBuffer(bytes), 0, bytes.length);
    }

    private static String read(final UnsafeBuffer page, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        page.getBytes(offset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** A page whose every content byte is {@code fill}. */
    private static UnsafeBuffer page(final byte fill)
    {
        final UnsafeBuffer page = new UnsafeBuffer(new byte[PAGE_SIZE]);
        page.setMemory(24, PAGE_SIZE - 24, fill);
        return page;
    }

    /** The record of the write set's blocks, in write-set order: block 0 an image over {@code base}, the rest deltas. */
    private int build(final UnsafeBuffer base)
    {
        CommitRecord.putHeader(record, 1_700_000_000_000_000L, writes.count());
        int at = CommitRecord.firstBlock();
        for (int i = 0; i < writes.count(); i++)
        {
            final int data = at + XactRecordDescriptor.BLOCK_HEADER_LENGTH;
            if (i == 0)
            {
                record.putBytes(data, base, 0, PAGE_SIZE);
                writes.overlay(i, 0, PAGE_SIZE, record, data);
                at = CommitRecord.putBlock(record, at, writes.relation(i), writes.block(i), true, 0, PAGE_SIZE);
            }
            else
            {
                final int end = writes.putDeltas(i, record, data);
                at = CommitRecord.putBlock(record, at, writes.relation(i), writes.block(i), false, writes.deltaCount(i),
                    end - data);
            }
        }
        return at;
    }

    @Test
    void writesComeBackOutOfTheRecordAppliedToAPageWithItsLsn()
    {
        write(16384, 0, 100, "image block");
        write(16385, 7, 24, "first");
        write(16385, 7, 8000, "last bytes of the page, nearly");
        write(16385, 7, 29, "!");
        write(16385, 7, 26, "RS");
        final int length = build(page((byte)'.'));

        final CommitRecord r = new CommitRecord().wrap(record, length);
        assertEquals(1_700_000_000_000_000L, r.commitTime());
        assertEquals(2, r.blockCount());
        final int first = CommitRecord.firstBlock();
        assertEquals(16384, r.relation(first));
        assertEquals(0, r.block(first));
        assertTrue(r.hasImage(first));
        final int second = r.nextBlock(first);
        assertEquals(16385, r.relation(second));
        assertEquals(7, r.block(second));
        assertFalse(r.hasImage(second));
        assertEquals(2, r.deltaCount(second), "24..29 joined by the later writes, and 8000..8030");
        assertEquals(0, second % 8, "blocks start 8-byte aligned");
        assertEquals(length, r.nextBlock(second));

        final UnsafeBuffer imaged = page((byte)'x');
        r.apply(first, imaged, 0x1234_5678L);
        assertEquals(0x1234_5678L, imaged.getLong(LSN_OFFSET));
        assertEquals("..image block..", read(imaged, 98, 15), "the image is the page as it was, with the write");

        final UnsafeBuffer delta = page((byte)'x');
        r.apply(second, delta, 99);
        assertEquals(99, delta.getLong(LSN_OFFSET));
        assertEquals("fiRSt!x", read(delta, 24, 7), "later writes win, bytes never written stay as they were");
        assertEquals("xlast bytes of the page, nearlyx", read(delta, 7999, 32));
    }

    @Test
    void aWriteSetTakesSixteenBlocksAndRefusesTheSeventeenthAndBadAddresses()
    {
        for (int block = 0; block < XactRecordDescriptor.MAX_BLOCKS; block++)
        {
            write(1, block, 24, "b" + block);
        }
        write(1, 3, 30, "again: the same block, no new one");
        final PgException tooMany = assertThrows(PgException.class, () -> write(2, 0, 24, "seventeenth"));
        assertEquals("too many blocks changed in one transaction", tooMany.getMessage());
        assertEquals(XactRecordDescriptor.MAX_BLOCKS, writes.count());
        assertEquals("offset 23 and length 1 do not fit in a page",
            assertThrows(PgException.class, () -> write(1, 0, 23, "h")).getMessage(), "the header is not for writes");
        assertEquals("offset 8190 and length 3 do not fit in a page",
            assertThrows(PgException.class, () -> write(1, 0, 8190, "abc")).getMessage());
        assertEquals("invalid page address: block -1 of relation 1",
            assertThrows(PgException.class, () -> write(1, -1, 24, "a")).getMessage());

        writes.clear();
        assertEquals(0, writes.count());
        write(1, 0, 24, "after clear");
        assertEquals(1, writes.deltaCount(0), "nothing of the earlier transaction is left");
        assertEquals(XactRecordDescriptor.DELTA_HEADER_LENGTH + 11, writes.deltaBytes(0));
    }

    @Test
    void theLargestCommitFitsInAWalRecord()
    {
        assertTrue(XactRecordDescriptor.MAX_COMMIT_LENGTH + org.pgshmem.wal.WalRecordDescriptor.HEADER_LENGTH
            <= org.pgshmem.wal.WalRecordDescriptor.MAX_RECORD_LENGTH);
        for (int block = 0; block < XactRecordDescriptor.MAX_BLOCKS; block++)
        {
            final byte[] full = new byte[PAGE_SIZE - 24];
            java.util.Arrays.fill(full, (byte)block);
            writes.write(9, block, 24, new UnsafeBuffer(full), 0, full.length);
        }
        // every block an image: the first by build's rule, the others since their deltas pass half a page
        CommitRecord.putHeader(record, 0, writes.count());
        int at = CommitRecord.firstBlock();
        for (int i = 0; i < writes.count(); i++)
        {
            assertTrue(writes.deltaBytes(i) > XactRecordDescriptor.MAX_DELTA_BYTES);
            final int data = at + XactRecordDescriptor.BLOCK_HEADER_LENGTH;
            writes.overlay(i, 0, PAGE_SIZE, record, data);
            at = CommitRecord.putBlock(record, at, 9, i, true, 0, PAGE_SIZE);
        }
        assertEquals(XactRecordDescriptor.MAX_COMMIT_LENGTH, at);
        assertEquals(16, new CommitRecord().wrap(record, at).blockCount());
    }

    @Test
    void aRecordThatWouldWriteOutsideAPageIsRefusedBeforeAnythingIsApplied()
    {
        write(5, 0, 100, "ok");
        write(5, 1, 200, "fine");
        final int length = build(page((byte)0));
        final int second = new CommitRecord().wrap(record, length).nextBlock(CommitRecord.firstBlock());
        final int delta = second + XactRecordDescriptor.BLOCK_HEADER_LENGTH;

        record.putShort(delta + XactRecordDescriptor.DELTA_OFFSET_OFFSET, (short)8190);
        assertThrows(PgException.class, () -> new CommitRecord().wrap(record, length), "past the page's end");
        record.putShort(delta + XactRecordDescriptor.DELTA_OFFSET_OFFSET, (short)10);
        assertThrows(PgException.class, () -> new CommitRecord().wrap(record, length), "into the page header");
        record.putShort(delta + XactRecordDescriptor.DELTA_OFFSET_OFFSET, (short)200);
        new CommitRecord().wrap(record, length);

        assertThrows(PgException.class, () -> new CommitRecord().wrap(record, length - 8), "a payload cut short");
        record.putInt(XactRecordDescriptor.BLOCK_COUNT_OFFSET, 3);
        assertThrows(PgException.class, () -> new CommitRecord().wrap(record, length), "a block more than it holds");
        record.putInt(XactRecordDescriptor.BLOCK_COUNT_OFFSET, 2);
        record.putInt(CommitRecord.firstBlock() + XactRecordDescriptor.BLOCK_DATA_LENGTH_OFFSET, 100);
        assertThrows(PgException.class, () -> new CommitRecord().wrap(record, length), "an image is a whole page");
    }

    @Test
    void readsSeeTheWritesOverWhatTheyCover()
    {
        write(1, 0, 100, "abcdef");
        write(1, 0, 103, "XY");
        final UnsafeBuffer into = new UnsafeBuffer(new byte[10]);
        into.setMemory(0, 10, (byte)'-');
        writes.overlay(0, 98, 108, into, 0);
        assertEquals("--abcXYf--", read(into, 0, 10));
        into.setMemory(0, 10, (byte)'-');
        writes.overlay(0, 104, 114, into, 0);
        assertEquals("Yf--------", read(into, 0, 10), "a range starting inside a write");
    }
}
