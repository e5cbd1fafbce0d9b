package org.pgshmem.shmem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import net.openhft.chronicle.map.ChronicleMap;
import org.agrona.concurrent.AtomicBuffer;
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

    /**
     * {@code label} as a file name, one-to-one: letters, digits, '-', '_' and a '.' that is not
     * the first character stay; every other character is written %XX (percent-encoding, so '%'
     * itself too), then ".cmap". Two labels never share a file, and none climbs out of the directory.
     */
    static String fileName(final String label)
    {
        final StringBuilder sb = new StringBuilder(label.length() + 8);
        for (int i = 0; i < label.length(); i++)
        {
            final char c = label.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                || (c == '.' && i > 0))
            {
                sb.append(c);
            }
            else
            {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4 & 0xF, 16)))
                    .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
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
            final AtomicBuffer segment = shmem.segment().buffer();
            final int countOffset = ShmemIndex.hashEntryCountOffset(entry);
            final long generation = segment.getLongVolatile(ShmemIndex.hashGenerationOffset(entry));
            final ChronicleMap<K, V> map = ChronicleHashes.open(options, file.toFile());
            Files.setPosixFilePermissions(file, DurableFiles.FILE_MODE);
            if (creator)
            {
                // a persisted file keeps its entries across restarts; the count starts from them
                segment.putLongVolatile(countOffset, map.longSize());
            }
            return new SharedHash<>(options, file, map, segment, entry, generation, shmem.hashOperationMarks());
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new PgException("could not open shared hash table \"" + options.label + "\" in file \"" + file
                + "\": " + ex.getMessage(), null,
                "If the file is damaged, stop the cluster and move it away; the hash starts empty.", ex);
        }
    }

    /** Maps the file again after a recovery. */
    static <K, V> ChronicleMap<K, V> reopen(final HashOptions<K, V> options, final Path file)
    {
        try
        {
            return ChronicleHashes.open(options, file.toFile());
        }
        catch (final IOException ex)
        {
            throw new PgException("could not reopen shared hash table \"" + options.label + "\" in file \""
                + file + "\" after its recovery: " + ex.getMessage(), null, null, ex);
        }
    }

    /**
     * Runs Chronicle's recovery on the file of the hash in {@code entry} and returns its entry
     * count. Blocks until every process has closed the file (Chronicle takes an exclusive file
     * lock); Chronicle reads the map's configuration from the file's own header.
     */
    static long recover(final Path file, final String label) throws IOException
    {
        try (ChronicleMap<Object, Object> map = ChronicleHashes.recover(label, file.toFile()))
        {
            return map.longSize();
        }
    }
}
