package org.pgshmem.xact;

import static org.pgshmem.buffer.PageHeaderDescriptor.HEADER_LENGTH;
import static org.pgshmem.buffer.PageHeaderDescriptor.PAGE_SIZE;
import static org.pgshmem.xact.XactRecordDescriptor.DELTA_HEADER_LENGTH;
import static org.pgshmem.xact.XactRecordDescriptor.MAX_BLOCKS;

import java.nio.ByteBuffer;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.util.PgException;

/**
 * The changes of one transaction, kept in the process until commit: for each of at most
 * {@link XactRecordDescriptor#MAX_BLOCKS} blocks, the bytes written (a page-sized buffer) and
 * which of them were written (a bitmap, a bit a byte). A later write over the same bytes wins.
 * Allocated once per process, reused by every transaction.
 */
final class WriteSet
{
    private static final int WORDS = PAGE_SIZE / Long.SIZE;

    private final int[] relations = new int[MAX_BLOCKS];
    private final int[] blocks = new int[MAX_BLOCKS];
    private final UnsafeBuffer bytes = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_BLOCKS * PAGE_SIZE));
    private final long[] written = new long[MAX_BLOCKS * WORDS];
    private int count;

    /** Blocks changed. */
    int count()
    {
        return count;
    }

    int relation(final int index)
    {
        return relations[index];
    }

    int block(final int index)
    {
        return blocks[index];
    }

    /** The index of the block, or -1 when the transaction has not changed it. */
    int find(final int relation, final int block)
    {
        for (int i = 0; i < count; i++)
        {
            if (blocks[i] == block && relations[i] == relation)
            {
                return i;
            }
        }
        return -1;
    }

    /** Checks a write's address before anything is taken or changed. */
    static void check(final int relation, final int block, final int offset, final int length)
    {
        if (relation < 0 || block < 0)
        {
            throw new PgException("invalid page address: block " + block + " of relation " + relation,
                null, "Relations and blocks are numbered from 0 to 2147483647.");
        }
        if (offset < HEADER_LENGTH || length < 0 || offset + length > PAGE_SIZE || offset + length < 0)
        {
            throw new PgException("offset " + offset + " and length " + length + " do not fit in a page",
                "Page contents run from byte " + HEADER_LENGTH + " (after the header) to " + PAGE_SIZE + ".", null);
        }
    }

    /** Records {@code src[srcOffset, srcOffset + length)} as written at {@code offset} of the block. */
    void write(final int relation, final int block, final int offset, final DirectBuffer src, final int srcOffset,
        final int length)
    {
        check(relation, block, offset, length);
        int index = find(relation, block);
        if (index < 0)
        {
            if (count == MAX_BLOCKS)
            {
                throw new PgException("too many blocks changed in one transaction",
                    "A transaction may change at most " + MAX_BLOCKS + " blocks; this write is for a "
                        + (MAX_BLOCKS + 1) + "th (block " + block + " of relation " + relation + ").",
                    "Commit, and make the other changes in another transaction.");
            }
            index = count++;
            relations[index] = relation;
            blocks[index] = block;
        }
        bytes.putBytes(index * PAGE_SIZE + offset, src, srcOffset, length);
        mark(index, offset, offset + length);
    }

    private void mark(final int index, final int from, final int to)
    {
        final int base = index * WORDS;
        for (int bit = from; bit < to; )
        {
            final int word = bit >>> 6;
            final int end = Math.min(to, (word + 1) << 6);
            final int n = end - bit;
            final long mask = (n == Long.SIZE ? -1L : (1L << n) - 1) << (bit & 63);
            written[base + word] |= mask;
            bit = end;
        }
    }

    /** The first written byte of block {@code index} at or after {@code from}, or 8192 (none). */
    int nextWritten(final int index, final int from)
    {
        return next(index, from, false);
    }

    /** The first byte not written at or after {@code from}, or 8192 (none). */
    int nextUnwritten(final int index, final int from)
    {
        return next(index, from, true);
    }

    private int next(final int index, final int from, final boolean unwritten)
    {
        if (from >= PAGE_SIZE)
        {
            return PAGE_SIZE;
        }
        final int base = index * WORDS;
        int word = from >>> 6;
        long bits = (unwritten ? ~written[base + word] : written[base + word]) & (-1L << (from & 63));
        while (bits == 0)
        {
            if (++word == WORDS)
            {
                return PAGE_SIZE;
            }
            bits = unwritten ? ~written[base + word] : written[base + word];
        }
        return (word << 6) + Long.numberOfTrailingZeros(bits);
    }

    /** Bytes the deltas of block {@code index} would take in a commit record: each run of written bytes and its header. */
    int deltaBytes(final int index)
    {
        int total = 0;
        for (int start = nextWritten(index, 0); start < PAGE_SIZE; )
        {
            final int end = nextUnwritten(index, start);
            total += DELTA_HEADER_LENGTH + end - start;
            start = nextWritten(index, end);
        }
        return total;
    }

    /** Runs of written bytes of block {@code index}: what its deltas are. */
    int deltaCount(final int index)
    {
        int runs = 0;
        for (int start = nextWritten(index, 0); start < PAGE_SIZE; start = nextWritten(index, nextUnwritten(index, start)))
        {
            runs++;
        }
        return runs;
    }

    /**
     * Copies the bytes this transaction wrote in block {@code index} between {@code from} and
     * {@code to} over {@code dst}, whose byte {@code dstOffset} stands for page byte {@code from}.
     */
    void overlay(final int index, final int from, final int to, final MutableDirectBuffer dst, final int dstOffset)
    {
        for (int start = nextWritten(index, from); start < to; )
        {
            final int end = Math.min(nextUnwritten(index, start), to);
            dst.putBytes(dstOffset + start - from, bytes, index * PAGE_SIZE + start, end - start);
            start = nextWritten(index, end);
        }
    }

    /** Writes the deltas of block {@code index} at {@code at} of {@code out}; returns where they end. */
    int putDeltas(final int index, final MutableDirectBuffer out, final int at)
    {
        int position = at;
        for (int start = nextWritten(index, 0); start < PAGE_SIZE; )
        {
            final int end = nextUnwritten(index, start);
            out.putBytes(position + DELTA_HEADER_LENGTH, bytes, index * PAGE_SIZE + start, end - start);
            position = CommitRecord.putDelta(out, position, start, end - start);
            start = nextWritten(index, end);
        }
        return position;
    }

    /** Forgets every change. */
    void clear()
    {
        java.util.Arrays.fill(written, 0, count * WORDS, 0L);
        count = 0;
    }
}
