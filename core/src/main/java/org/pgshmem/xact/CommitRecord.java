package org.pgshmem.xact;

import static org.pgshmem.buffer.PageHeaderDescriptor.PAGE_SIZE;
import static org.pgshmem.xact.XactRecordDescriptor.*;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.pgshmem.buffer.PageHeaderDescriptor;
import org.pgshmem.util.PgException;

/**
 * A flyweight over the payload of an XACT_COMMIT record ({@link XactRecordDescriptor}): walks its
 * blocks and applies each to a page, for the committer, for replay and for the repair of a commit
 * a dead process left half-applied. {@link #wrap} checks the whole layout first, so applying never
 * writes outside a page whatever the payload holds. Reused: it allocates nothing.
 */
final class CommitRecord
{
    private DirectBuffer payload;
    private int length;
    private int blockCount;

    /**
     * Wraps {@code payload[0, length)}.
     *
     * @throws PgException when the payload is not a well-formed commit record
     */
    CommitRecord wrap(final DirectBuffer payload, final int length)
    {
        this.payload = payload;
        this.length = length;
        if (length < BLOCKS_OFFSET)
        {
            throw invalid("its payload of " + length + " bytes is shorter than " + BLOCKS_OFFSET);
        }
        this.blockCount = payload.getInt(BLOCK_COUNT_OFFSET);
        if (blockCount < 0 || blockCount > MAX_BLOCKS)
        {
            throw invalid("it names " + blockCount + " blocks");
        }
        int at = BLOCKS_OFFSET;
        for (int i = 0; i < blockCount; i++)
        {
            at = checkBlock(at);
        }
        return this;
    }

    private int checkBlock(final int at)
    {
        if (at + BLOCK_HEADER_LENGTH > length)
        {
            throw invalid("block header at " + at + " runs past the payload's " + length + " bytes");
        }
        final int dataLength = dataLength(at);
        if (dataLength < 0 || at + BLOCK_HEADER_LENGTH + dataLength > length)
        {
            throw invalid("block at " + at + " has " + dataLength + " bytes of data, past the payload's end");
        }
        if (hasImage(at))
        {
            if (dataLength != PAGE_SIZE)
            {
                throw invalid("the image of block at " + at + " has " + dataLength + " bytes");
            }
        }
        else
        {
            int delta = at + BLOCK_HEADER_LENGTH;
            final int end = delta + dataLength;
            for (int d = 0; d < deltaCount(at); d++)
            {
                if (delta + DELTA_HEADER_LENGTH > end)
                {
                    throw invalid("delta " + d + " of block at " + at + " runs past its data");
                }
                final int offset = deltaOffset(delta);
                final int bytes = deltaLength(delta);
                if (offset < PageHeaderDescriptor.HEADER_LENGTH || offset + bytes > PAGE_SIZE
                    || delta + DELTA_HEADER_LENGTH + bytes > end)
                {
                    throw invalid("delta " + d + " of block at " + at + " (" + bytes + " bytes at " + offset
                        + ") does not fit");
                }
                delta += DELTA_HEADER_LENGTH + bytes;
            }
        }
        return at + blockLength(dataLength);
    }

    private static PgException invalid(final String why)
    {
        return new PgException("invalid commit record: " + why, null, null);
    }

    /** Microseconds since the epoch. */
    long commitTime()
    {
        return payload.getLong(TIME_OFFSET);
    }

    int blockCount()
    {
        return blockCount;
    }

    /** Where the first block starts. */
    static int firstBlock()
    {
        return BLOCKS_OFFSET;
    }

    /** Where the block after the one at {@code at} starts. */
    int nextBlock(final int at)
    {
        return at + blockLength(dataLength(at));
    }

    int relation(final int at)
    {
        return payload.getInt(at + BLOCK_RELATION_OFFSET);
    }

    int block(final int at)
    {
        return payload.getInt(at + BLOCK_NUMBER_OFFSET);
    }

    boolean hasImage(final int at)
    {
        return (payload.getShort(at + BLOCK_FLAGS_OFFSET) & IMAGE) != 0;
    }

    int deltaCount(final int at)
    {
        return payload.getShort(at + BLOCK_DELTA_COUNT_OFFSET) & 0xFFFF;
    }

    int dataLength(final int at)
    {
        return payload.getInt(at + BLOCK_DATA_LENGTH_OFFSET);
    }

    private int deltaOffset(final int delta)
    {
        return payload.getShort(delta + DELTA_OFFSET_OFFSET) & 0xFFFF;
    }

    private int deltaLength(final int delta)
    {
        return payload.getShort(delta + DELTA_LENGTH_OFFSET) & 0xFFFF;
    }

    /** Applies the block at {@code at} to {@code page} (8192 bytes) and sets its LSN to {@code lsn}. */
    void apply(final int at, final MutableDirectBuffer page, final long lsn)
    {
        final int data = at + BLOCK_HEADER_LENGTH;
        if (hasImage(at))
        {
            page.putBytes(0, payload, data, PAGE_SIZE);
        }
        else
        {
            int delta = data;
            for (int d = deltaCount(at); d > 0; d--)
            {
                final int bytes = deltaLength(delta);
                page.putBytes(deltaOffset(delta), payload, delta + DELTA_HEADER_LENGTH, bytes);
                delta += DELTA_HEADER_LENGTH + bytes;
            }
        }
        page.putLong(PageHeaderDescriptor.LSN_OFFSET, lsn);
    }

    /** Writes the record's start: its time and block count; the blocks follow from {@link #firstBlock}. */
    static void putHeader(final MutableDirectBuffer out, final long commitTimeMicros, final int blockCount)
    {
        out.putLong(TIME_OFFSET, commitTimeMicros);
        out.putInt(BLOCK_COUNT_OFFSET, blockCount);
        out.putInt(BLOCK_COUNT_OFFSET + Integer.BYTES, 0);
    }

    /**
     * Writes the header of a block at {@code at}, its data to follow at {@code at + 16}; returns
     * where the next block starts. Padding up to it is zeroed.
     */
    static int putBlock(final MutableDirectBuffer out, final int at, final int relation, final int block,
        final boolean image, final int deltaCount, final int dataLength)
    {
        out.putInt(at + BLOCK_RELATION_OFFSET, relation);
        out.putInt(at + BLOCK_NUMBER_OFFSET, block);
        out.putShort(at + BLOCK_FLAGS_OFFSET, image ? IMAGE : 0);
        out.putShort(at + BLOCK_DELTA_COUNT_OFFSET, (short)deltaCount);
        out.putInt(at + BLOCK_DATA_LENGTH_OFFSET, dataLength);
        final int next = at + blockLength(dataLength);
        for (int pad = at + BLOCK_HEADER_LENGTH + dataLength; pad < next; pad++)
        {
            out.putByte(pad, (byte)0);
        }
        return next;
    }

    /** Writes a delta's header at {@code at}; its {@code length} bytes follow; returns where the next delta starts. */
    static int putDelta(final MutableDirectBuffer out, final int at, final int offset, final int length)
    {
        out.putShort(at + DELTA_OFFSET_OFFSET, (short)offset);
        out.putShort(at + DELTA_LENGTH_OFFSET, (short)length);
        return at + DELTA_HEADER_LENGTH + length;
    }
}
