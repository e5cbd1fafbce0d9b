package org.pgshmem.shmem;

import static org.pgshmem.shmem.SegmentHeaderDescriptor.*;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.lock.SpinLock;
import org.pgshmem.util.DurableFiles;
import org.pgshmem.util.PgException;
import org.pgshmem.util.Platform;
import org.pgshmem.util.Processes;

/**
 * The main shared-memory segment: one memory-mapped file that every process of a cluster maps.
 * The postmaster {@linkplain #create creates} it at every start; everyone else
 * {@linkplain #attach attaches}. Fields of its header are read and written only here.
 */
public final class ShmemSegment implements AutoCloseable
{
    /** Largest segment: one mapping, addressed with int offsets, as Agrona buffers are. */
    public static final long MAX_SIZE = Integer.MAX_VALUE & ~(ALIGNMENT - 1L);

    /** The postmaster is creating memory and initializing modules. */
    public static final int PM_STARTING = 1;
    /** Ready: backends may attach. */
    public static final int PM_RUNNING = 2;
    /** Shutting down: no new backends; attached ones should detach. */
    public static final int PM_STOPPING = 3;
    /** Backends are gone: the auxiliary processes exit now. */
    public static final int PM_STOP_AUXILIARY = 4;

    private static final long STUCK_INDEX_LOCK_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final Path file;
    private final MappedByteBuffer mapped;
    private final AtomicBuffer buffer;
    private final ShmemIndex index;
    private boolean closed;

    private ShmemSegment(final Path file, final MappedByteBuffer mapped)
    {
        this.file = file;
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
        this.index = new ShmemIndex(buffer, HEADER_LENGTH);
    }

    /** Bytes the header and the shmem index take before the first allocation. */
    public static long overhead()
    {
        return HEADER_LENGTH + ShmemIndexDescriptor.INDEX_LENGTH;
    }

    /**
     * Creates a new segment file of {@code totalSize} bytes (mode 0600) and writes its header,
     * the layout version last. The file must not exist.
     */
    public static ShmemSegment create(final Path file, final long totalSize, final long systemIdentifier)
    {
        Platform.requireLittleEndian();
        if (totalSize > MAX_SIZE)
        {
            throw new PgException(
                "could not create shared memory segment \"" + file + "\": " + totalSize + " bytes requested",
                "The largest segment is " + MAX_SIZE + " bytes.",
                "Lower shared_buffers or max_connections.");
        }
        final long size = ShmemSize.alignUp(totalSize);
        try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(DurableFiles.FILE_MODE)))
        {
            ch.truncate(0);
            if (size > 0)
            {
                // a sparse file on tmpfs: pages are allocated when first touched
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {0}), size - 1);
            }
            final MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
            final ShmemSegment segment = new ShmemSegment(file, mapped);
            segment.writeHeader(size, systemIdentifier);
            return segment;
        }
        catch (final IOException ex)
        {
            throw new PgException(
                "could not create shared memory segment \"" + file + "\": " + ex.getMessage(),
                null, "Check that the directory exists and that there is room for " + size + " bytes.", ex);
        }
    }

    private void writeHeader(final long totalSize, final long systemIdentifier)
    {
        buffer.putLong(MAGIC_OFFSET, MAGIC);
        buffer.putLong(SYSTEM_IDENTIFIER_OFFSET, systemIdentifier);
        buffer.putLong(CREATOR_PID_OFFSET, Processes.selfPid());
        buffer.putLong(CREATOR_START_TOKEN_OFFSET, Processes.selfStartToken());
        buffer.putLong(CREATION_TIME_OFFSET, System.currentTimeMillis());
        buffer.putLong(TOTAL_SIZE_OFFSET, totalSize);
        buffer.putLong(FREE_OFFSET_OFFSET, overhead());
        buffer.putLong(INDEX_OFFSET_OFFSET, HEADER_LENGTH);
        buffer.putInt(INDEX_CAPACITY_OFFSET, ShmemIndexDescriptor.CAPACITY);
        buffer.putInt(POSTMASTER_STATE_OFFSET, PM_STARTING);
        buffer.putIntRelease(LAYOUT_VERSION_OFFSET, LAYOUT_VERSION);
    }

    /**
     * Maps an existing segment and checks it is one of ours: the handshake of the class comment
     * of {@link SegmentHeaderDescriptor}. Waits up to {@code timeoutMs} for the creator to
     * publish the layout version.
     */
    public static ShmemSegment attach(final Path file, final long timeoutMs)
    {
        Platform.requireLittleEndian();
        final long size;
        try
        {
            size = Files.size(file);
        }
        catch (final NoSuchFileException ex)
        {
            throw new PgException("could not attach to shared memory segment \"" + file + "\": no such file",
                null, "Is the server running? Start it with \"pgshmem start\".");
        }
        catch (final IOException ex)
        {
            throw new PgException("could not attach to shared memory segment \"" + file + "\": " + ex.getMessage());
        }
        if (size < overhead())
        {
            throw new PgException("could not attach to shared memory segment \"" + file + "\": file is too short",
                "It is " + size + " bytes; a segment is at least " + overhead() + " bytes.", null);
        }
        final MappedByteBuffer mapped = IoUtil.mapExistingFile(file.toFile(), FileChannel.MapMode.READ_WRITE,
            "shmem", 0, size);
        final ShmemSegment segment = new ShmemSegment(file, mapped);
        try
        {
            segment.checkHeader(size, timeoutMs);
        }
        catch (final RuntimeException ex)
        {
            segment.close();
            throw ex;
        }
        return segment;
    }

    private void checkHeader(final long fileSize, final long timeoutMs)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        int version;
        while ((version = buffer.getIntAcquire(LAYOUT_VERSION_OFFSET)) == 0)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new PgException("could not attach to shared memory segment \"" + file
                    + "\": its creator did not finish writing the header", null, "Try again once the server is up.");
            }
            Thread.onSpinWait();
            Thread.yield();
        }
        if (buffer.getLong(MAGIC_OFFSET) != MAGIC)
        {
            throw new PgException("could not attach to shared memory segment \"" + file
                + "\": not a pgshmem segment (bad magic number)", null, null);
        }
        if (version != LAYOUT_VERSION)
        {
            throw new PgException("could not attach to shared memory segment \"" + file
                + "\": incompatible layout version " + version,
                "This program understands layout version " + LAYOUT_VERSION + ".",
                "Restart the server with the same version of pgshmem as this program.");
        }
        if (buffer.getLong(INDEX_OFFSET_OFFSET) != HEADER_LENGTH
            || buffer.getInt(INDEX_CAPACITY_OFFSET) != ShmemIndexDescriptor.CAPACITY)
        {
            throw new PgException("could not attach to shared memory segment \"" + file
                + "\": its index is not where layout version " + LAYOUT_VERSION + " puts it", null, null);
        }
        if (fileSize < totalSize())
        {
            throw new PgException("could not attach to shared memory segment \"" + file + "\": file is truncated",
                "It is " + fileSize + " bytes; its header says " + totalSize() + ".", null);
        }
    }

    /** The segment file. */
    public Path file()
    {
        return file;
    }

    /** The whole segment; offsets in it are those of {@link SegmentHeaderDescriptor}. */
    public AtomicBuffer buffer()
    {
        return buffer;
    }

    ShmemIndex index()
    {
        return index;
    }

    public long systemIdentifier()
    {
        return buffer.getLong(SYSTEM_IDENTIFIER_OFFSET);
    }

    public long creatorPid()
    {
        return buffer.getLong(CREATOR_PID_OFFSET);
    }

    public long creatorStartToken()
    {
        return buffer.getLong(CREATOR_START_TOKEN_OFFSET);
    }

    public long creationTimeMillis()
    {
        return buffer.getLong(CREATION_TIME_OFFSET);
    }

    public long totalSize()
    {
        return buffer.getLong(TOTAL_SIZE_OFFSET);
    }

    public long freeOffset()
    {
        return buffer.getLongVolatile(FREE_OFFSET_OFFSET);
    }

    /** One of {@link #PM_STARTING}, {@link #PM_RUNNING}, {@link #PM_STOPPING}, {@link #PM_STOP_AUXILIARY}. */
    public int postmasterState()
    {
        return buffer.getIntVolatile(POSTMASTER_STATE_OFFSET);
    }

    public void postmasterState(final int state)
    {
        buffer.putIntVolatile(POSTMASTER_STATE_OFFSET, state);
    }

    /** The pending shutdown request ({@code ShutdownMode.request()}: 1 smart, 2 fast, 3 immediate), 0 for none. */
    public int shutdownRequest()
    {
        return buffer.getIntVolatile(SHUTDOWN_REQUEST_OFFSET);
    }

    /** Raises the shutdown request to {@code request}; a stronger request replaces a weaker one. */
    public void requestShutdown(final int request)
    {
        int current;
        while ((current = buffer.getIntVolatile(SHUTDOWN_REQUEST_OFFSET)) < request)
        {
            if (buffer.compareAndSetInt(SHUTDOWN_REQUEST_OFFSET, current, request))
            {
                return;
            }
        }
    }

    public long postmasterHeartbeat()
    {
        return buffer.getLongVolatile(POSTMASTER_HEARTBEAT_OFFSET);
    }

    public void postmasterHeartbeat(final long epochMillis)
    {
        buffer.putLongRelease(POSTMASTER_HEARTBEAT_OFFSET, epochMillis);
    }

    /**
     * Processes of this cluster that died without detaching, counted by the postmaster. An inbox
     * reader unblocks a stalled inbox only after this moved: a producer that died between claim
     * and commit is the one case where Agrona's unblock is safe.
     */
    public long processDeaths()
    {
        return buffer.getLongVolatile(PROCESS_DEATHS_OFFSET);
    }

    /** The postmaster counts a dead process. */
    public void countProcessDeath()
    {
        buffer.getAndAddLong(PROCESS_DEATHS_OFFSET, 1);
    }

    /** Takes the index lock (a spinlock owned by this pid); takes over one left by a dead process. */
    void lockIndex()
    {
        SpinLock.acquireUntracked(buffer, INDEX_LOCK_OFFSET, STUCK_INDEX_LOCK_NANOS, "ShmemIndexLock");
    }

    void unlockIndex()
    {
        SpinLock.releaseUntracked(buffer, INDEX_LOCK_OFFSET, "ShmemIndexLock");
    }

    /** Under the index lock: reserves {@code allocatedSize} bytes, or returns -1 when they don't fit. */
    long allocate(final long allocatedSize)
    {
        final long free = buffer.getLong(FREE_OFFSET_OFFSET);
        if (free + allocatedSize > totalSize())
        {
            return -1;
        }
        buffer.putLongRelease(FREE_OFFSET_OFFSET, free + allocatedSize);
        return free;
    }

    void incrementIndexCount()
    {
        buffer.getAndAddInt(INDEX_COUNT_OFFSET, 1);
    }

    /** Unmaps the segment; idempotent, since unmapping twice would crash the JVM. */
    @Override
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            IoUtil.unmap(mapped);
        }
    }
}
