package org.pgshmem.shmem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import net.openhft.chronicle.map.ChronicleMap;
import org.pgshmem.util.DurableFiles;
import org.pgshmem.util.PgException;

/**
 * Opens the Chronicle Map file behind a hash label. Loaded only by processes that open a hash.
 */
final class HashFiles
{
    private HashFiles()
    {
    }

    /** {@code label} as a file name: itself when it is a safe name, else a safe form plus its hash. */
    static String fileName(final String label)
    {
        final StringBuilder sb = new StringBuilder(label.length());
        boolean changed = false;
        for (int i = 0; i < label.length(); i++)
        {
            final char c = label.charAt(i);
            if (Character.isLetterOrDigit(c) || c == '-' || c == '_' || (c == '.' && i > 0))
            {
                sb.append(c);
            }
            else
            {
                sb.append('_');
                changed = true;
            }
        }
        if (changed)
        {
            sb.append('-').append(String.format("%08x", (int)ShmemIndex.fnv1a(label)));
        }
        return sb.append(".cmap").toString();
    }

    static <K, V> SharedHash<K, V> open(final Shmem shmem, final HashOptions<K, V> options, final int entry,
        final boolean creator)
    {
        final Path file = shmem.hashFile(options.label, options.transientHash);
        try
        {
            final Path dir = file.getParent();
            if (!Files.isDirectory(dir))
            {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DurableFiles.DIR_MODE));
            }
            final ChronicleMap<K, V> map = ChronicleHashes.open(options, file.toFile());
            Files.setPosixFilePermissions(file, DurableFiles.FILE_MODE);
            final int countOffset = ShmemIndex.hashEntryCountOffset(entry);
            if (creator)
            {
                // a persisted file keeps its entries across restarts; the count starts from them
                SharedHash.resetEntryCount(shmem.segment().buffer(), countOffset, map);
            }
            return new SharedHash<>(options.label, file, options.maxEntries, map, shmem.segment().buffer(),
                countOffset);
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new PgException("could not open shared hash table \"" + options.label + "\" in file \"" + file
                + "\": " + ex.getMessage(), null,
                "If the file is damaged, stop the cluster and move it away; the hash starts empty.", ex);
        }
    }
}
