package org.pgshmem.buffer;

import static org.pgshmem.buffer.PageHeaderDescriptor.PAGE_SIZE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.function.IntPredicate;

import org.agrona.collections.Int2ObjectHashMap;
import org.pgshmem.util.PgException;

/**
 * Relation files of 8 KiB pages under {@code DATA/base/} (PostgreSQL's md.c): relation R is the
 * file {@code base/R}, block N its bytes from N × 8192. This process's open channels are kept
 * until {@link #close()}. Not thread-safe.
 */
public final class RelationFiles implements AutoCloseable
{
    /** The directory of relation files in a data directory. */
    public static final String BASE = "base";

    private final Path base;
    private final Int2ObjectHashMap<FileChannel> open = new Int2ObjectHashMap<>();
    private IntPredicate syncRequests;

    /** The relation files of the data directory {@code dataDir}. */
    public RelationFiles(final Path dataDir)
    {
        this.base = dataDir.resolve(BASE);
    }

    /**
     * register_dirty_segment: after each write, {@code forward} is asked to have the relation's file
     * fsynced at the next checkpoint; when it returns false (the checkpointer's queue is full) the
     * file is fsynced here and now. Without it, nothing is fsynced until {@link #syncAll}.
     */
    public void forwardSyncRequests(final IntPredicate forward)
    {
        this.syncRequests = forward;
    }

    /** The file of relation {@code relation}. */
    public Path path(final int relation)
    {
        return base.resolve(Integer.toUnsignedString(relation));
    }

    private String name(final int relation)
    {
        return BASE + "/" + Integer.toUnsignedString(relation);
    }

    private FileChannel channel(final int relation, final boolean create)
    {
        FileChannel channel = open.get(relation);
        if (channel == null)
        {
            try
            {
                if (create)
                {
                    // private to the owner, as PostgreSQL's data files (pg_dir_create_mode / pg_file_create_mode)
                    if (!Files.isDirectory(base))
                    {
                        Files.createDirectories(base, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
                    }
                    channel = FileChannel.open(path(relation), Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
                }
                else
                {
                    channel = FileChannel.open(path(relation), StandardOpenOption.READ, StandardOpenOption.WRITE);
                }
            }
            catch (final NoSuchFileException ex)
            {
                throw new PgException("could not open file \"" + name(relation) + "\": No such file or directory",
                    null, "Relation " + Integer.toUnsignedString(relation) + " does not exist yet: extend it first.");
            }
            catch (final IOException ex)
            {
                throw new PgException("could not open file \"" + name(relation) + "\": " + ex.getMessage(), null, null, ex);
            }
            open.put(relation, channel);
        }
        return channel;
    }

    /** Blocks in the relation (smgrnblocks); 0 for a relation with no file yet. */
    public int nblocks(final int relation)
    {
        if (!open.containsKey(relation) && !Files.exists(path(relation)))
        {
            return 0;
        }
        try
        {
            return (int)(channel(relation, false).size() / PAGE_SIZE);
        }
        catch (final IOException ex)
        {
            throw new PgException("could not seek to end of file \"" + name(relation) + "\": " + ex.getMessage());
        }
    }

    /** Reads block {@code block} into {@code page} (smgrread). */
    public void read(final int relation, final int block, final ByteBuffer page)
    {
        final FileChannel channel = channel(relation, false);
        page.clear();
        try
        {
            final long position = (long)block * PAGE_SIZE;
            while (page.hasRemaining())
            {
                if (channel.read(page, position + page.position()) < 0)
                {
                    throw new PgException("could not read block " + Integer.toUnsignedString(block) + " in file \""
                        + name(relation) + "\": read only " + page.position() + " of " + PAGE_SIZE + " bytes");
                }
            }
        }
        catch (final IOException ex)
        {
            throw new PgException("could not read block " + Integer.toUnsignedString(block) + " in file \""
                + name(relation) + "\": " + ex.getMessage(), null, null, ex);
        }
    }

    /** Writes {@code page} as block {@code block} (smgrwrite; smgrextend when it is the next block). */
    public void write(final int relation, final int block, final ByteBuffer page)
    {
        final FileChannel channel = channel(relation, true);
        page.clear();
        try
        {
            final long position = (long)block * PAGE_SIZE;
            while (page.hasRemaining())
            {
                channel.write(page, position + page.position());
            }
        }
        catch (final IOException ex)
        {
            throw new PgException("could not write block " + Integer.toUnsignedString(block) + " in file \""
                + name(relation) + "\": " + ex.getMessage(), null, null, ex);
        }
        if (syncRequests != null && !syncRequests.test(relation))
        {
            sync(relation);
        }
    }

    /** Makes what was written to {@code relation} durable (smgrimmedsync). */
    public void sync(final int relation)
    {
        final FileChannel channel = open.get(relation);
        if (channel != null)
        {
            try
            {
                channel.force(false);
            }
            catch (final IOException ex)
            {
                throw new PgException("could not fsync file \"" + name(relation) + "\": " + ex.getMessage(), null, null, ex);
            }
        }
    }

    /** Makes every file this process wrote durable. */
    public void syncAll()
    {
        open.keySet().forEach(relation -> sync(relation));
    }

    @Override
    public void close()
    {
        for (final FileChannel channel : open.values())
        {
            try
            {
                channel.close();
            }
            catch (final IOException ignored)
            {
                // closing a read-write channel after its writes were made; nothing to undo
            }
        }
        open.clear();
    }
}
