package org.pgshmem.util;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files written so that a crash leaves either the old content or the new, never half of one:
 * write a temporary file beside the target, fsync it, rename it over the target, fsync the
 * directory (PostgreSQL's durable_rename).
 */
public final class DurableFiles
{
    /** Mode of every file the project creates: 0600, as PostgreSQL's pg_file_create_mode. */
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    /** Mode of every directory the project creates: 0700, as PostgreSQL's pg_dir_create_mode. */
    public static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

    private DurableFiles()
    {
    }

    /** Replaces {@code target} with {@code content}, durably and atomically. */
    public static void write(final Path target, final byte[] content) throws IOException
    {
        final Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(FILE_MODE)))
        {
            final ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining())
            {
                ch.write(buf);
            }
            ch.force(true);
        }
        catch (final IOException ex)
        {
            Files.deleteIfExists(tmp);
            throw ex;
        }
        try
        {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final AtomicMoveNotSupportedException ex)
        {
            Files.deleteIfExists(tmp);
            throw ex;
        }
        fsyncDirectory(target.toAbsolutePath().getParent());
    }

    /** Makes a directory entry change (create, rename, unlink) durable. */
    public static void fsyncDirectory(final Path dir) throws IOException
    {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ))
        {
            ch.force(true);
        }
    }

    /** Creates a directory with mode 0700 (and its missing parents with the default mode). */
    public static void createDirectory(final Path dir) throws IOException
    {
        final Path parent = dir.toAbsolutePath().getParent();
        if (parent != null)
        {
            Files.createDirectories(parent);
        }
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
    }

    /** Deletes a file tree; missing is fine. */
    public static void deleteTree(final Path root) throws IOException
    {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS))
        {
            return;
        }
        try (var paths = Files.walk(root))
        {
            final var all = paths.sorted(java.util.Comparator.reverseOrder()).toList();
            for (final Path p : all)
            {
                Files.deleteIfExists(p);
            }
        }
    }
}
