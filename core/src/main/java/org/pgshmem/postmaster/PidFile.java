package org.pgshmem.postmaster;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

import org.pgshmem.util.DurableFiles;
import org.pgshmem.util.Elog;
import org.pgshmem.util.PgException;
import org.pgshmem.util.Processes;

/**
 * {@code postmaster.pid}, the lock file a running postmaster owns (PostgreSQL's CreateLockFile).
 * One value a line:
 * <pre>
 * 1 pid
 * 2 data directory
 * 3 start time, epoch seconds
 * 4 process start token (the kernel's start time; tells a reused pid from ours)
 * 5 main segment file
 * 6 system identifier
 * 7 status: starting, ready or stopping
 * </pre>
 *
 * @param pid              the postmaster's pid
 * @param dataDirectory    its data directory
 * @param startSeconds     when it started, epoch seconds
 * @param processStartToken its start token (see Processes)
 * @param segmentFile      the main segment's file
 * @param systemIdentifier the cluster's system identifier
 * @param status           starting, ready or stopping
 */
public record PidFile(long pid, String dataDirectory, long startSeconds, long processStartToken, String segmentFile,
    long systemIdentifier, String status)
{
    /** Status while shared memory is made and auxiliary processes start. */
    public static final String STARTING = "starting";
    /** Status once backends may attach. */
    public static final String READY = "ready";
    /** Status once a shutdown began. */
    public static final String STOPPING = "stopping";

    /** Reads the lock file, or returns null when there is none. */
    public static PidFile read(final Path file)
    {
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new PgException("could not read lock file \"" + file + "\": " + ex.getMessage());
        }
        if (lines.size() < 7)
        {
            // being written right now, or damaged: report what we can
            final long pid = lines.isEmpty() ? 0 : parse(lines.get(0));
            return new PidFile(pid, "", 0, 0, "", 0, lines.size() < 7 ? "starting" : "");
        }
        long sysid;
        try
        {
            sysid = Long.parseUnsignedLong(lines.get(5).trim());
        }
        catch (final NumberFormatException ex)
        {
            sysid = 0;
        }
        return new PidFile(parse(lines.get(0)), lines.get(1), parse(lines.get(2)), parse(lines.get(3)),
            lines.get(4), sysid, lines.get(6).trim());
    }

    private static long parse(final String s)
    {
        try
        {
            return Long.parseLong(s.trim());
        }
        catch (final NumberFormatException ex)
        {
            return 0;
        }
    }

    /** Whether the postmaster that wrote this file still runs. */
    public boolean postmasterAlive()
    {
        return Processes.isAlive(pid, processStartToken);
    }

    /**
     * Creates the lock file for this process, exclusively. A lock file whose postmaster is gone
     * is removed and the creation retried; a live one is refused as PostgreSQL does.
     */
    public static PidFile create(final DataDirectory dataDir, final Path segmentFile, final long systemIdentifier)
    {
        final Path file = dataDir.pidFile();
        final PidFile mine = new PidFile(Processes.selfPid(), dataDir.path().toString(),
            System.currentTimeMillis() / 1000, Processes.selfStartToken(), segmentFile.toString(), systemIdentifier,
            STARTING);
        for (int attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(DurableFiles.FILE_MODE)))
                {
                    ch.write(ByteBuffer.wrap(mine.content()));
                    ch.force(true);
                }
                return mine;
            }
            catch (final FileAlreadyExistsException ex)
            {
                final PidFile other = read(file);
                if (other != null && other.pid != Processes.selfPid()
                    && (other.processStartToken == 0 ? Processes.isAlive(other.pid, 0) : other.postmasterAlive()))
                {
                    throw new PgException("lock file \"" + file + "\" already exists",
                        null, "Is another postmaster (PID " + other.pid + ") running in data directory \""
                            + dataDir.path() + "\"?");
                }
                Elog.log("removing stale lock file \"" + file + "\" left by PID " + (other == null ? 0 : other.pid));
                try
                {
                    Files.deleteIfExists(file);
                }
                catch (final IOException e)
                {
                    throw new PgException("could not remove old lock file \"" + file + "\": " + e.getMessage(),
                        null, "The file seems accidentally left over, but it could not be removed. Please remove"
                            + " the file by hand and try again.");
                }
            }
            catch (final IOException ex)
            {
                throw new PgException("could not create lock file \"" + file + "\": " + ex.getMessage());
            }
        }
        throw new PgException("could not create lock file \"" + file + "\": another process keeps creating it");
    }

    /** Rewrites the file with a new status (atomically: readers see the old or the new). */
    public PidFile withStatus(final Path file, final String newStatus) throws IOException
    {
        final PidFile updated = new PidFile(pid, dataDirectory, startSeconds, processStartToken, segmentFile,
            systemIdentifier, newStatus);
        DurableFiles.write(file, updated.content());
        return updated;
    }

    private byte[] content()
    {
        return (pid + "\n" + dataDirectory + "\n" + startSeconds + "\n" + processStartToken + "\n" + segmentFile + "\n"
            + Long.toUnsignedString(systemIdentifier) + "\n" + status + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
