package org.pgshmem.bench;

import static org.pgshmem.bench.BenchRelation.VALUE_OFFSET;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;

import org.pgshmem.buffer.PageHeaderDescriptor;
import org.pgshmem.buffer.RelationFiles;

/**
 * The shared buffers' peer: the page cache a single JVM would keep, a
 * {@code ConcurrentHashMap<Tag, byte[]>} of 8 KiB pages read from the relation files. A read is
 * {@code get} and the long at {@link BenchRelation#VALUE_OFFSET}: no pin, no lock, nothing
 * written, nothing shared with another process. The tags are made once, so reads allocate nothing.
 */
public final class PageCache
{
    private static final VarHandle LONG_IN_BYTES = MethodHandles.byteArrayViewVarHandle(long[].class,
        ByteOrder.LITTLE_ENDIAN);

    /** A page's name, as PostgreSQL's BufferTag: relation and block. */
    public record Tag(int relation, int block)
    {
    }

    private final ConcurrentHashMap<Tag, byte[]> pages = new ConcurrentHashMap<>();
    private final int[] relations;
    private final Tag[][] tags;

    private PageCache(final int[] relations, final int blocks)
    {
        this.relations = relations.clone();
        this.tags = new Tag[relations.length][blocks];
    }

    /**
     * The first {@code blocks} pages of each of {@code relations}, read from their files in
     * {@code dataDir}; each page is checked to hold its block number, as {@link BenchRelation} wrote it.
     */
    public static PageCache load(final Path dataDir, final int[] relations, final int blocks) throws IOException
    {
        final PageCache cache = new PageCache(relations, blocks);
        final RelationFiles files = new RelationFiles(dataDir);
        for (int r = 0; r < relations.length; r++)
        {
            try (FileChannel file = FileChannel.open(files.path(relations[r]), StandardOpenOption.READ))
            {
                for (int k = 0; k < blocks; k++)
                {
                    final byte[] page = new byte[PageHeaderDescriptor.PAGE_SIZE];
                    BenchRelation.readBlock(file, ByteBuffer.wrap(page), k);
                    final Tag tag = new Tag(relations[r], k);
                    if (read(page) != k)
                    {
                        throw new IllegalStateException("block " + k + " of relation " + relations[r] + " holds "
                            + read(page));
                    }
                    cache.tags[r][k] = tag;
                    cache.pages.put(tag, page);
                }
            }
        }
        return cache;
    }

    /** The tags of {@code relation}'s pages, by block number: what a reader passes to {@link #read(Tag)}. */
    public Tag[] tags(final int relation)
    {
        for (int r = 0; r < relations.length; r++)
        {
            if (relations[r] == relation)
            {
                return tags[r];
            }
        }
        throw new IllegalArgumentException("relation " + relation + " was not loaded");
    }

    /** {@code get} of the page, then its long at {@link BenchRelation#VALUE_OFFSET}. */
    public long read(final Tag tag)
    {
        return read(pages.get(tag));
    }

    private static long read(final byte[] page)
    {
        return (long)LONG_IN_BYTES.get(page, VALUE_OFFSET);
    }
}
