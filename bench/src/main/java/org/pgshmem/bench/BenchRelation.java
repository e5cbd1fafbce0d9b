package org.pgshmem.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;

import org.pgshmem.backend.Backend;
import org.pgshmem.buffer.BufferManager;
import org.pgshmem.buffer.BufferStatsView;
import org.pgshmem.buffer.PageHeaderDescriptor;
import org.pgshmem.lock.LWLockMode;

/**
 * A relation made for the buffer benchmarks: {@code blocks} pages, block {@code k} holding the
 * long {@code k} at {@link #VALUE_OFFSET} (the first byte after the page header), written to its
 * file so that a reader of the file, a cache built from it and the shared buffers all see the
 * same pages.
 */
public final class BenchRelation
{
    /** Where each page keeps its block number: right after the 24-byte page header. */
    public static final int VALUE_OFFSET = PageHeaderDescriptor.HEADER_LENGTH;

    private BenchRelation()
    {
    }

    /**
     * Extends {@code relation} (which must not exist) to {@code blocks} pages through the shared
     * buffers, writes each page's block number into it and flushes every page to the file.
     * Afterwards the last {@code shared_buffers} pages are still cached, clean and unpinned.
     */
    public static void create(final Backend backend, final int relation, final int blocks)
    {
        final BufferManager bm = backend.buffers();
        for (int k = 0; k < blocks; k++)
        {
            final int buf = bm.extend(relation, backend.locks());
            try
            {
                if (bm.block(buf) != k)
                {
                    throw new IllegalStateException("relation " + relation + " was extended to block " + bm.block(buf)
                        + " where block " + k + " was expected: did it exist already?");
                }
                bm.lockBuffer(buf, LWLockMode.EXCLUSIVE);
                bm.page(buf).putLong(VALUE_OFFSET, k);
                bm.markDirty(buf);
                bm.unlockBuffer(buf, LWLockMode.EXCLUSIVE);
            }
            finally
            {
                bm.releaseBuffer(buf);
            }
        }
        bm.flushAll();
    }

    /**
     * What a reader of a page does, the operation the buffer benchmarks measure: {@code readBuffer}
     * (pin; on a miss, evict and read), share-lock the content, read the long at
     * {@link #VALUE_OFFSET}, unlock, {@code releaseBuffer} (unpin). Returns the long.
     */
    public static long read(final BufferManager bm, final int relation, final int block)
    {
        final int buf = bm.readBuffer(relation, block);
        bm.lockBuffer(buf, LWLockMode.SHARED);
        final long value = bm.page(buf).getLong(VALUE_OFFSET);
        bm.unlockBuffer(buf, LWLockMode.SHARED);
        bm.releaseBuffer(buf);
        return value;
    }

    /**
     * Reads every block of {@code relation} through the shared buffers (which caches them if they
     * fit) and checks that block {@code k} holds {@code k}.
     */
    public static void readAll(final BufferManager bm, final int relation, final int blocks)
    {
        for (int k = 0; k < blocks; k++)
        {
            final long value = read(bm, relation, k);
            if (value != k)
            {
                throw new IllegalStateException("block " + k + " of relation " + relation + " holds " + value);
            }
        }
    }

    /** Reads block {@code block} of a relation file into {@code page} (8 KiB, position 0 on return), as md.c does. */
    public static void readBlock(final FileChannel file, final ByteBuffer page, final int block) throws IOException
    {
        page.clear();
        final long position = (long)block * PageHeaderDescriptor.PAGE_SIZE;
        while (page.hasRemaining())
        {
            if (file.read(page, position + page.position()) < 0)
            {
                throw new IOException("block " + block + " is past the end of the file");
            }
        }
        page.flip();
    }

    /**
     * The hits and reads the cluster's buffer statistics count for {@code relation} (after this
     * process sends its own), as {hits, reads}.
     */
    public static long[] hitsAndReads(final Backend backend, final int relation)
    {
        backend.buffers().flushStats();
        final List<long[]> relations = BufferStatsView.read(backend.shmem()).relations();
        for (final long[] row : relations)
        {
            if (row[0] == relation)
            {
                return new long[] {row[1], row[2]};
            }
        }
        return new long[] {0, 0};
    }
}
