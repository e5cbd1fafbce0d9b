package org.pgshmem.xact;

import static org.pgshmem.xact.ClogDescriptor.PAGES_PER_SEGMENT;
import static org.pgshmem.xact.ClogDescriptor.PAGE_SIZE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

import org.pgshmem.util.DurableFiles;
import org.pgshmem.util.PgException;

/**
 * The segment files of the commit log under {@code DATA/clog} (PostgreSQL's SlruPhysicalReadPage
 * and SlruPhysicalWritePage): each I/O opens and closes its file, as PostgreSQL's does, since a
 * commit-log page is read or written only when it leaves or enters the few shared buffers.
 */
final class ClogFiles
{
    /** The directory under the data directory. */
    static final String DIRECTORY = "clog";

    private final Path dir;

    ClogFiles(final Path dataDir)
    {
        this.dir = dataDir.resolve(DIRECTORY);
    }

    Path path(final long segment)
    {
        return dir.resolve(ClogDescriptor.segmentName(segment));
    }

    private static String name(final long segment)
    {
        return DIRECTORY + "/" + ClogDescriptor.segmentName(segment);
    }

    private static long position(final long page)
    {
        return page % PAGES_PER_SEGMENT * PAGE_SIZE;
    }

    /**
     * Reads page {@code page} into {@code into} (8192 bytes from position 0). A page that its file
     * does not hold, or whose file does not exist, reads as zeros: no transaction on it has a status yet.
     */
    void read(final long page, final ByteBuffer into)
    {
        final long segment = ClogDescriptor.segment(page);
        into.clear();
        try (FileChannel ch = FileChannel.open(path(segment), StandardOpenOption.READ))
        {
            final long at = position(page);
            while (into.hasRemaining())
            {
                if (ch.read(into, at + into.position()) < 0)
                {
                    break;
                }
            }
        }
        catch (final NoSuchFileException ex)
        {
            // nothing was ever written there
        }
        catch (final IOException ex)
        {
            throw new PgException("could not access status of transactions on commit log page " + page,
                "Could not read from file \"" + name(segment) + "\" at offset " + position(page) + ": "
                    + ex.getMessage() + ".", null, ex);
        }
        while (into.hasRemaining())
        {
            into.put((byte)0);
        }
        into.clear();
    }

    /** Writes {@code page} from {@code from} (8192 bytes), creating its file; durable only after {@link #sync}. */
    void write(final long page, final ByteBuffer from)
    {
        final long segment = ClogDescriptor.segment(page);
        from.clear();
        try
        {
            if (!Files.isDirectory(dir))
            {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DurableFiles.DIR_MODE));
            }
            try (FileChannel ch = FileChannel.open(path(segment), Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(DurableFiles.FILE_MODE)))
            {
                final long at = position(page);
                while (from.hasRemaining())
                {
                    ch.write(from, at + from.position());
                }
            }
        }
        catch (final IOException ex)
        {
            throw new PgException("could not access status of transactions on commit log page " + page,
                "Could not write to file \"" + name(segment) + "\" at offset " + position(page) + ": "
                    + ex.getMessage() + ".", null, ex);
        }
        finally
        {
            from.clear();
        }
    }

    /** fsyncs segment file {@code segment} if it exists. */
    void sync(final long segment)
    {
        try (FileChannel ch = FileChannel.open(path(segment), StandardOpenOption.WRITE))
        {
            ch.force(true);
        }
        catch (final NoSuchFileException ex)
        {
            // never written: nothing to make durable
        }
        catch (final IOException ex)
        {
            throw new PgException("could not fsync file \"" + name(segment) + "\": " + ex.getMessage(), null, null, ex);
        }
    }

    /** fsyncs the directory, so that files created in it survive a crash. */
    void syncDirectory()
    {
        try
        {
            if (Files.isDirectory(dir))
            {
                DurableFiles.fsyncDirectory(dir);
            }
        }
        catch (final IOException ex)
        {
            throw new PgException("could not fsync directory \"" + DIRECTORY + "\": " + ex.getMessage(), null, null, ex);
        }
    }
}
