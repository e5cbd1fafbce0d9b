package org.pgshmem.checkpoint;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Pattern;

import org.agrona.collections.IntHashSet;
import org.pgshmem.buffer.RelationFiles;
import org.pgshmem.util.DurableFiles;
import org.pgshmem.util.PgException;

/**
 * The relation files this process must fsync at its next checkpoint (PostgreSQL's pendingOps of
 * sync.c and ProcessSyncRequests): a set of relation numbers, filled by absorbing the shared
 * queue and by this process's own writes when it is the checkpointer. One thread's.
 */
final class PendingSyncs
{
    /** FSYNCS_PER_ABSORB of sync.c: the queue is absorbed again every this many fsyncs. */
    static final int FSYNCS_PER_ABSORB = 10;

    /** A relation file's name: its number, 0 to 2147483647, in decimal. */
    private static final Pattern RELATION_NAME = Pattern.compile("0|[1-9][0-9]{0,9}");

    private final IntHashSet pending = new IntHashSet(64, 0.65f, true);
    private final RelationFiles files;
    private final Path base;
    private int[] batch = new int[64];

    PendingSyncs(final Path dataDir)
    {
        this.files = new RelationFiles(dataDir);
        this.base = dataDir.resolve(RelationFiles.BASE);
    }

    /** The set absorbed requests go into. */
    IntHashSet set()
    {
        return pending;
    }

    /**
     * Fsyncs every pending file and empties the set, then the directory of relation files once so
     * that files created since are found after a crash too. Requests absorbed meanwhile (every
     * {@value #FSYNCS_PER_ABSORB} files, by {@code absorb}) stay for the next time. A file that
     * no longer exists is not an error (its relation was dropped). With {@code fsync} off the
     * set is emptied and nothing is fsynced, as PostgreSQL's enableFsync does. Returns how many
     * files were fsynced.
     *
     * @throws PgException "could not fsync file": the files not yet fsynced stay pending
     */
    int syncAll(final boolean fsync, final Runnable absorb)
    {
        final int n = pending.size();
        if (batch.length < n)
        {
            batch = new int[Math.max(n, batch.length * 2)];
        }
        final IntHashSet.IntIterator it = pending.iterator();
        for (int i = 0; i < n; i++)
        {
            batch[i] = it.nextValue();
        }
        pending.clear();
        if (!fsync)
        {
            return 0;
        }
        int synced = 0;
        for (int i = 0; i < n; i++)
        {
            if (i > 0 && i % FSYNCS_PER_ABSORB == 0)
            {
                absorb.run();
            }
            try
            {
                if (fsync(files.path(batch[i])))
                {
                    synced++;
                }
            }
            catch (final IOException ex)
            {
                for (int j = i; j < n; j++)
                {
                    pending.add(batch[j]);
                }
                throw new PgException("could not fsync file \"" + RelationFiles.BASE + "/"
                    + Integer.toUnsignedString(batch[i]) + "\": " + ex.getMessage(), null, null, ex);
            }
        }
        if (synced > 0)
        {
            try
            {
                DurableFiles.fsyncDirectory(base);
            }
            catch (final IOException ex)
            {
                throw new PgException("could not fsync directory \"" + RelationFiles.BASE + "\": " + ex.getMessage(),
                    null, null, ex);
            }
        }
        return synced;
    }

    /** Adds every relation file there is (a name that is a relation number); returns how many. */
    int addEveryFile()
    {
        int added = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(base))
        {
            for (final Path file : files)
            {
                final String name = file.getFileName().toString();
                if (RELATION_NAME.matcher(name).matches() && Long.parseLong(name) <= Integer.MAX_VALUE)
                {
                    pending.add(Integer.parseInt(name));
                    added++;
                }
            }
        }
        catch (final NoSuchFileException ex)
        {
            return 0;
        }
        catch (final IOException ex)
        {
            throw new PgException("could not open directory \"" + RelationFiles.BASE + "\": " + ex.getMessage(),
                null, null, ex);
        }
        return added;
    }

    /** Fsyncs one file; false when it does not exist. */
    private static boolean fsync(final Path file) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.force(true);
            return true;
        }
        catch (final NoSuchFileException ex)
        {
            return false;
        }
    }
}
