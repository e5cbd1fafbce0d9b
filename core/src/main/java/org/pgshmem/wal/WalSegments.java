package org.pgshmem.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.pgshmem.util.DurableFiles;
import org.pgshmem.util.PgException;

/**
 * The segment files under {@code DATA/wal} (PostgreSQL's pg_wal): named as PostgreSQL names them
 * (timeline 1, then the segment number in two 8-hex-digit halves), created full-size and zero
 * filled so that an fdatasync never has to write metadata, recycled by renaming at checkpoints.
 * One instance per process; it keeps the segment it last wrote open.
 */
public final class WalSegments implements AutoCloseable
{
    /** Where the segments live under the data directory. */
    public static final String DIRECTORY = "wal";
    private static final int TIMELINE = 1;

    private final Path dir;
    private final int segmentSize;
    private final boolean fsync;
    private long openSegment = -1;
    private FileChannel channel;
    private boolean writable;

    /** The segments of data directory {@code dataDir}, each {@code segmentSize} bytes. */
    public WalSegments(final Path dataDir, final int segmentSize)
    {
        this(dataDir, segmentSize, true);
    }

    /** As above; with {@code fsync} false a new segment is not forced to disk (the fsync setting). */
    public WalSegments(final Path dataDir, final int segmentSize, final boolean fsync)
    {
        this.dir = dataDir.resolve(DIRECTORY);
        this.segmentSize = segmentSize;
        this.fsync = fsync;
    }

    /** The segment size. */
    public int segmentSize()
    {
        return segmentSize;
    }

    /** The directory. */
    public Path directory()
    {
        return dir;
    }

    /** XLogFileName: {@code 000000010000000000000001}. */
    public String fileName(final long segno)
    {
        final long perId = 0x1_0000_0000L / segmentSize;
        return String.format("%08X%08X%08X", TIMELINE, segno / perId, segno % perId);
    }

    /** The path of segment {@code segno}. */
    public Path path(final long segno)
    {
        return dir.resolve(fileName(segno));
    }

    /** The segment number a file name stands for, or -1 when it is not a segment's name. */
    long segnoOf(final String name)
    {
        if (name.length() != 24 || !name.chars().allMatch(c -> Character.digit(c, 16) >= 0))
        {
            return -1;
        }
        final long perId = 0x1_0000_0000L / segmentSize;
        return Long.parseLong(name.substring(8, 16), 16) * perId + Long.parseLong(name.substring(16), 16);
    }

    /** Writes {@code bytes} (from position to limit) at {@code lsn}, creating the segment if needed. */
    void write(final long lsn, final ByteBuffer bytes)
    {
        final long segno = lsn / segmentSize;
        final FileChannel ch = channelFor(segno, true);
        long at = lsn % segmentSize;
        try
        {
            while (bytes.hasRemaining())
            {
                at += ch.write(bytes, at);
            }
        }
        catch (final IOException ex)
        {
            throw new PgException("could not write to WAL segment \"" + path(segno) + "\" at offset " + (lsn % segmentSize)
                + ": " + ex.getMessage(), null, null, ex);
        }
    }

    /** fdatasync of the open segment (issue_xlog_fsync). */
    void sync()
    {
        if (channel == null)
        {
            return;
        }
        try
        {
            channel.force(false);
        }
        catch (final IOException ex)
        {
            throw new PgException("could not fsync WAL segment \"" + path(openSegment) + "\": " + ex.getMessage(), null,
                null, ex);
        }
    }

    /**
     * Reads up to {@code into.remaining()} bytes at {@code lsn} (not past the segment's end);
     * false when the segment does not exist.
     */
    boolean read(final long lsn, final ByteBuffer into)
    {
        final long segno = lsn / segmentSize;
        final FileChannel ch = channelFor(segno, false);
        if (ch == null)
        {
            return false;
        }
        long at = lsn % segmentSize;
        try
        {
            while (into.hasRemaining() && at < segmentSize)
            {
                final int n = ch.read(into, at);
                if (n < 0)
                {
                    break;
                }
                at += n;
            }
        }
        catch (final IOException ex)
        {
            throw new PgException("could not read WAL segment \"" + path(segno) + "\": " + ex.getMessage(), null, null, ex);
        }
        return true;
    }

    private FileChannel channelFor(final long segno, final boolean create)
    {
        if (segno == openSegment && (writable || !create))
        {
            return channel;
        }
        close();
        final Path file = path(segno);
        try
        {
            if (!Files.exists(file))
            {
                if (!create)
                {
                    return null;
                }
                createSegment(segno);
            }
            channel = FileChannel.open(file, create ? new StandardOpenOption[] {StandardOpenOption.READ,
                StandardOpenOption.WRITE} : new StandardOpenOption[] {StandardOpenOption.READ});
            openSegment = segno;
            writable = create;
            return channel;
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new PgException("could not open WAL segment \"" + file + "\": " + ex.getMessage(), null, null, ex);
        }
    }

    /**
     * XLogFileInit: a recycled segment renamed into place if a checkpoint left one, else a new
     * zero-filled one made under a temporary name, fsynced, renamed, the directory fsynced.
     */
    private void createSegment(final long segno) throws IOException
    {
        final Path file = path(segno);
        final Path recycled = oldestRecycled(segno);
        if (recycled != null)
        {
            Files.move(recycled, file, StandardCopyOption.ATOMIC_MOVE);
            if (fsync)
            {
                DurableFiles.fsyncDirectory(dir);
            }
            return;
        }
        final Path tmp = dir.resolve("xlogtemp." + ProcessHandle.current().pid());
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE))
        {
            final ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
            for (long at = 0; at < segmentSize; at += zeros.capacity())
            {
                zeros.clear().limit((int)Math.min(zeros.capacity(), segmentSize - at));
                while (zeros.hasRemaining())
                {
                    ch.write(zeros, at + zeros.position());
                }
            }
            if (fsync)
            {
                ch.force(true);
            }
        }
        Files.setPosixFilePermissions(tmp, DurableFiles.FILE_MODE);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        if (fsync)
        {
            DurableFiles.fsyncDirectory(dir);
        }
    }

    /** A segment file past {@code segno} that a checkpoint recycled and nothing uses yet: the lowest. */
    private Path oldestRecycled(final long segno) throws IOException
    {
        // recycled segments have numbers past the end of the WAL; none of them holds valid records
        long best = -1;
        for (final long s : segnos())
        {
            if (s > segno && (best < 0 || s < best))
            {
                best = s;
            }
        }
        return best < 0 ? null : path(best);
    }

    /** Every segment number present, ascending. */
    List<Long> segnos() throws IOException
    {
        final List<Long> list = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir))
        {
            files.forEach(p -> {
                final long s = segnoOf(p.getFileName().toString());
                if (s >= 0)
                {
                    list.add(s);
                }
            });
        }
        list.sort(null);
        return list;
    }

    /**
     * RemoveOldXlogFiles: segments before {@code keepSegno} are not needed by recovery any more;
     * up to {@code recycleMax} segments past {@code endSegno} are kept, renamed to future numbers
     * (InstallXLogFileSegment), the rest removed. Returns {removed, recycled}.
     */
    int[] removeOld(final long keepSegno, final long endSegno, final int recycleMax) throws IOException
    {
        final List<Long> all = segnos();
        int future = 0;
        long nextFree = endSegno + 1;
        for (final long s : all)
        {
            if (s > endSegno)
            {
                future++;
                nextFree = Math.max(nextFree, s + 1);
            }
        }
        int removed = 0;
        int recycled = 0;
        for (final long s : all)
        {
            if (s >= keepSegno)
            {
                break;
            }
            if (s == openSegment)
            {
                close();
            }
            if (future < recycleMax)
            {
                Files.move(path(s), path(nextFree++), StandardCopyOption.ATOMIC_MOVE);
                future++;
                recycled++;
            }
            else
            {
                Files.deleteIfExists(path(s));
                removed++;
            }
        }
        if (removed + recycled > 0)
        {
            DurableFiles.fsyncDirectory(dir);
        }
        return new int[] {removed, recycled};
    }

    @Override
    public void close()
    {
        if (channel != null)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ignored)
            {
                // closing a channel we only read or already forced loses nothing
            }
            channel = null;
            openSegment = -1;
        }
    }
}
