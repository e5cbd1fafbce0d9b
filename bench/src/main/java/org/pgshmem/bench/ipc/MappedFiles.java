package org.pgshmem.bench.ipc;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.IoUtil;

/**
 * Files that both processes of a contender map: the raw Agrona rings and the floor's cache
 * lines. They live in the benchmark's work directory, which is on {@code /dev/shm} when there
 * is one, as pgshmem's segment is.
 */
final class MappedFiles
{
    private MappedFiles()
    {
    }

    /** The directory for the run's files: a new one under /dev/shm if writable, else under java.io.tmpdir. */
    static Path createWorkDirectory() throws IOException
    {
        final Path devShm = Path.of("/dev/shm");
        if (Files.isDirectory(devShm) && Files.isWritable(devShm))
        {
            return Files.createTempDirectory(devShm, "pgshmem-bench-ipc-");
        }
        return Files.createTempDirectory("pgshmem-bench-ipc-");
    }

    /** Maps {@code size} bytes of {@code file} read-write, creating or growing it (new bytes are zero). */
    static MappedByteBuffer map(final Path file, final long size) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE))
        {
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
        }
    }

    /** Unmaps at once; nothing may touch the buffer afterwards. */
    static void unmap(final MappedByteBuffer buffer)
    {
        if (buffer != null)
        {
            IoUtil.unmap(buffer);
        }
    }
}
