package org.pgshmem.wal;

import static org.pgshmem.wal.WalPageHeaderDescriptor.*;
import static org.pgshmem.wal.WalRecordDescriptor.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.control.ControlFile;

/**
 * XLogReader: reads records back from the segment files, checking every page header (magic,
 * address, system identifier) and every record (length, continuation, CRC-32C), decrypting pages
 * with the cluster's {@link WalPageCipher} when they are encrypted. Reads ahead a chunk of pages
 * at a time for replay speed. Not thread-safe; the record it returns is itself, reused.
 */
public final class WalReader implements WalRecord, AutoCloseable
{
    /** Why a read found no valid record. */
    public enum Failure
    {
        /** Nothing there: a missing segment, a page never written, a zero length. The normal end of the WAL. */
        END,
        /** A record begun but not finished: the tail of a write cut short. */
        TORN,
        /** A complete record whose CRC does not match. */
        CHECKSUM
    }

    private static final int CHUNK_PAGES = 64;

    private final WalSegments segments;
    private final long systemIdentifier;
    private final WalPageCipher cipher;
    private final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_PAGES * PAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final UnsafeBuffer chunkView = new UnsafeBuffer(chunk);
    private long chunkStart = -1;
    private int chunkPages;
    private final byte[] recordBytes = new byte[MAX_RECORD_LENGTH];
    private final UnsafeBuffer record = new UnsafeBuffer(recordBytes);
    private final UnsafeBuffer payload = new UnsafeBuffer(recordBytes);
    private final CRC32C crc = new CRC32C();
    private final byte[] lsnBytes = new byte[Long.BYTES];
    private final UnsafeBuffer lsnView = new UnsafeBuffer(lsnBytes);

    private long lsn;
    private long lastPage;
    private long endLsn;
    private long nextLsn;
    private int totalLength;
    private Failure failure;
    private String error;

    /** A reader of the segments {@code segments} of the cluster {@code systemIdentifier}; {@code cipher} may be null. */
    public WalReader(final WalSegments segments, final long systemIdentifier, final WalPageCipher cipher)
    {
        this.segments = segments;
        this.systemIdentifier = systemIdentifier;
        this.cipher = cipher;
    }

    /**
     * Reads the record at {@code at} (a page boundary means the first record position of that
     * page). True when a valid record is there; else {@link #failure} and {@link #error} say why.
     */
    public boolean read(final long at)
    {
        final long start = at % PAGE_SIZE == 0 ? at + LENGTH : at;
        lsn = start;
        lastPage = WalAddress.pageOf(start);
        failure = null;
        error = null;
        if (start % ALIGNMENT != 0)
        {
            return fail(Failure.END, "invalid record offset at " + fmt(start));
        }
        if (!copyOut(start, 0, HEADER_LENGTH, false))
        {
            return false;
        }
        totalLength = record.getInt(TOTAL_LENGTH_OFFSET);
        if (totalLength == 0)
        {
            return fail(Failure.END, "invalid record length at " + fmt(start) + ": expected at least " + HEADER_LENGTH
                + ", got 0");
        }
        if (totalLength < HEADER_LENGTH || totalLength > MAX_RECORD_LENGTH)
        {
            return fail(Failure.TORN, "invalid record length at " + fmt(start) + ": expected at least " + HEADER_LENGTH
                + ", got " + totalLength);
        }
        if (!copyOut(start, HEADER_LENGTH, totalLength - HEADER_LENGTH, true))
        {
            return false;
        }
        crc.reset();
        lsnView.putLong(0, start);
        crc.update(lsnBytes, 0, Long.BYTES);
        crc.update(recordBytes, 0, CRC_OFFSET);
        crc.update(recordBytes, HEADER_LENGTH, totalLength - HEADER_LENGTH);
        if ((int)crc.getValue() != record.getInt(CRC_OFFSET))
        {
            return fail(Failure.CHECKSUM, "incorrect resource manager data checksum in record at " + fmt(start));
        }
        final long endPos = WalAddress.toPos(start) + align(totalLength);
        endLsn = WalAddress.toEndLsn(endPos);
        nextLsn = WalAddress.toLsn(endPos);
        payload.wrap(recordBytes, HEADER_LENGTH, totalLength - HEADER_LENGTH);
        return true;
    }

    /**
     * Copies {@code n} record bytes that start {@code from} bytes into the record at {@code start}
     * into the record buffer at {@code from}, across page headers; {@code continuing} pages must
     * say they continue a record.
     */
    private boolean copyOut(final long start, final int from, final int n, final boolean continuing)
    {
        long pos = WalAddress.toPos(start) + from;
        int copied = 0;
        while (copied < n)
        {
            final long at = WalAddress.toLsn(pos);
            final long page = WalAddress.pageOf(at);
            final int inPage = (int)(at - page);
            lastPage = page;
            if (!loadPage(page))
            {
                return copied + from == 0 ? false : torn();
            }
            if (inPage == LENGTH && at != start)
            {
                final int info = chunkView.getShort(pageOffset(page) + INFO_OFFSET);
                final int remLen = chunkView.getInt(pageOffset(page) + REM_LEN_OFFSET);
                if ((info & FIRST_IS_CONTRECORD) == 0 || (continuing && remLen != totalLength - from - copied))
                {
                    return fail(Failure.TORN, "there is no contrecord flag at " + fmt(page) + " for the record at "
                        + fmt(start));
                }
            }
            lastPage = page;
            final int chunkLen = Math.min(n - copied, PAGE_SIZE - inPage);
            chunkView.getBytes(pageOffset(page) + inPage, recordBytes, from + copied, chunkLen);
            copied += chunkLen;
            pos += chunkLen;
        }
        return true;
    }

    private boolean torn()
    {
        if (failure == Failure.END)
        {
            failure = Failure.TORN;
        }
        return false;
    }

    private int pageOffset(final long page)
    {
        return (int)(page - chunkStart);
    }

    /** Makes {@code page} available in the chunk, checked; false (with the failure set) when it is not valid. */
    private boolean loadPage(final long page)
    {
        if (chunkStart < 0 || page < chunkStart || page >= chunkStart + (long)chunkPages * PAGE_SIZE)
        {
            // read ahead to the end of the segment, at most a chunk
            final int segmentSize = segments.segmentSize();
            final long segmentEnd = page - page % segmentSize + segmentSize;
            final int pages = (int)Math.min(CHUNK_PAGES, (segmentEnd - page) / PAGE_SIZE);
            chunk.clear().limit(pages * PAGE_SIZE);
            if (!segments.read(page, chunk))
            {
                chunkStart = -1;
                return fail(Failure.END, "WAL segment \"" + segments.fileName(page / segmentSize)
                    + "\" does not exist (LSN " + fmt(page) + ")");
            }
            chunkStart = page;
            chunkPages = chunk.position() / PAGE_SIZE;
            for (int i = 0; i < chunkPages; i++)
            {
                decrypt(page + (long)i * PAGE_SIZE, i * PAGE_SIZE);
            }
            if (chunkPages == 0)
            {
                chunkStart = -1;
                return fail(Failure.END, "WAL segment \"" + segments.fileName(page / segmentSize) + "\" is too short (LSN "
                    + fmt(page) + ")");
            }
        }
        final int off = pageOffset(page);
        final short magic = chunkView.getShort(off + MAGIC_OFFSET);
        if (magic != MAGIC)
        {
            return fail(Failure.END, "invalid magic number " + String.format("%04X", magic & 0xFFFF) + " in WAL segment \""
                + segments.fileName(page / segments.segmentSize()) + "\", LSN " + fmt(page));
        }
        final long address = chunkView.getLong(off + PAGE_ADDRESS_OFFSET);
        if (address != page)
        {
            return fail(Failure.END, "unexpected pageaddr " + fmt(address) + " in WAL segment \""
                + segments.fileName(page / segments.segmentSize()) + "\", LSN " + fmt(page));
        }
        if (chunkView.getLong(off + SYSTEM_IDENTIFIER_OFFSET) != systemIdentifier)
        {
            return fail(Failure.END, "WAL page at " + fmt(page) + " is from a different database system: system identifier "
                + Long.toUnsignedString(chunkView.getLong(off + SYSTEM_IDENTIFIER_OFFSET)) + ", expected "
                + Long.toUnsignedString(systemIdentifier));
        }
        return true;
    }

    private void decrypt(final long page, final int off)
    {
        if ((chunkView.getShort(off + INFO_OFFSET) & ENCRYPTED) == 0 || chunkView.getShort(off + MAGIC_OFFSET) != MAGIC
            || chunkView.getLong(off + PAGE_ADDRESS_OFFSET) != page)
        {
            return;
        }
        if (cipher == null)
        {
            throw new org.pgshmem.util.PgException("WAL page at " + fmt(page) + " is encrypted, but no encryption key is loaded",
                null, "Set encryption_key_file to the key the cluster was initialized with.");
        }
        chunk.limit(chunk.capacity()).position(off);
        cipher.decrypt(page, chunkView.getInt(off + EPOCH_OFFSET), chunk, PAGE_SIZE);
        chunk.position(0);
    }

    /**
     * Whether a valid page with records follows, in the same or the next segment, the last page
     * the bad record read at {@code lsn} reached: then it is damage in the middle of the WAL, not
     * its torn end.
     * Returns that page's LSN, or -1.
     */
    public long validPageAfter(final long lsn)
    {
        final int segmentSize = segments.segmentSize();
        final long limit = lsn - lsn % segmentSize + 2L * segmentSize;
        // after the last page the bad record reached: its own continuation pages prove nothing
        final long from = Math.max(WalAddress.pageOf(lsn), this.lsn == lsn ? lastPage : 0) + PAGE_SIZE;
        for (long page = from; page < limit; page += PAGE_SIZE)
        {
            if (!loadPage(page))
            {
                if (page % segmentSize == 0)
                {
                    continue;
                }
                // a segment is written in order: past its first invalid page nothing of it is ours
                page = page - page % segmentSize + segmentSize - PAGE_SIZE;
                continue;
            }
            final int off = pageOffset(page);
            if (chunkView.getInt(off + REM_LEN_OFFSET) != 0 || chunkView.getInt(off + LENGTH) != 0)
            {
                return page;
            }
        }
        return -1;
    }

    private boolean fail(final Failure why, final String message)
    {
        failure = why;
        error = message;
        return false;
    }

    private static String fmt(final long lsn)
    {
        return ControlFile.formatLsn(lsn);
    }

    /** Why the last read failed, or null. */
    public Failure failure()
    {
        return failure;
    }

    /** The last failure in PostgreSQL's words, or null. */
    public String error()
    {
        return error;
    }

    /** Where the record after the one read starts. */
    public long nextLsn()
    {
        return nextLsn;
    }

    @Override
    public long lsn()
    {
        return lsn;
    }

    @Override
    public long endLsn()
    {
        return endLsn;
    }

    @Override
    public int type()
    {
        return record.getByte(TYPE_OFFSET) & 0xFF;
    }

    @Override
    public long xid()
    {
        return record.getLong(XID_OFFSET);
    }

    @Override
    public DirectBuffer payload()
    {
        return payload;
    }

    @Override
    public int payloadLength()
    {
        return totalLength - HEADER_LENGTH;
    }

    /** Bytes of the record, header included. */
    public int totalLength()
    {
        return totalLength;
    }

    @Override
    public void close()
    {
        segments.close();
    }
}
