package org.pgshmem.postmaster;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

import org.pgshmem.control.ControlFile;
import org.pgshmem.settings.Settings;
import org.pgshmem.util.PgException;

/**
 * A data directory (PostgreSQL's PGDATA): where each file lives, and the checks a server
 * makes before it trusts one (miscinit.c's checkDataDir).
 */
public final class DataDirectory
{
    /** The lock file a running postmaster owns. */
    public static final String PID_FILE = "postmaster.pid";
    /** Where a background postmaster's log goes unless {@code -l} says otherwise. */
    public static final String LOG_FILE = "log/postmaster.log";

    private final Path path;

    private DataDirectory(final Path path)
    {
        this.path = path;
    }

    /** A data directory at {@code path}, unchecked. */
    public static DataDirectory of(final Path path)
    {
        return new DataDirectory(path.toAbsolutePath().normalize());
    }

    /** The directory. */
    public Path path()
    {
        return path;
    }

    /** {@code postmaster.pid}. */
    public Path pidFile()
    {
        return path.resolve(PID_FILE);
    }

    /** The default server log. */
    public Path logFile()
    {
        return path.resolve(LOG_FILE);
    }

    /** Persisted hash tables. */
    public Path hashDirectory()
    {
        return path.resolve("shm");
    }

    /**
     * The directory of the main segment: {@code shm_dir}/pgshmem.SYSID when set; else
     * /dev/shm/pgshmem.SYSID where /dev/shm is tmpfs, so the kernel never writes the segment
     * back to disk; else DATA/shm/segment. It is the cluster's own and wiped at every start.
     */
    public Path segmentDirectory(final Settings settings, final long systemIdentifier)
    {
        final String configured = settings.getString("shm_dir");
        final String name = "pgshmem." + Long.toUnsignedString(systemIdentifier);
        if (!configured.isEmpty())
        {
            return Path.of(configured).toAbsolutePath().resolve(name);
        }
        final Path devShm = Path.of("/dev/shm");
        if (Files.isDirectory(devShm) && Files.isWritable(devShm))
        {
            try
            {
                final FileStore store = Files.getFileStore(devShm);
                if ("tmpfs".equals(store.type()))
                {
                    return devShm.resolve(name);
                }
            }
            catch (final IOException ignored)
            {
                // fall through to the data directory
            }
        }
        return path.resolve("shm").resolve("segment");
    }

    /**
     * Checks that the directory exists, is ours alone (0700: no group or other access) and holds
     * a control file, as the postmaster does before it starts.
     */
    public void check()
    {
        if (!Files.isDirectory(path))
        {
            throw new PgException("data directory \"" + path + "\" does not exist", null,
                "Create it with \"pgshmem initdb -D " + path + "\".");
        }
        final Set<PosixFilePermission> perms;
        try
        {
            perms = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
        }
        catch (final IOException ex)
        {
            throw new PgException("could not read permissions of directory \"" + path + "\": " + ex.getMessage());
        }
        for (final PosixFilePermission p : perms)
        {
            if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))
            {
                throw new PgException("data directory \"" + path + "\" has invalid permissions",
                    "Permissions should be u=rwx (0700).",
                    "Run \"chmod 0700 " + path + "\".");
            }
        }
        if (!Files.exists(path.resolve(ControlFile.PATH)))
        {
            throw new PgException("\"" + path + "\" is not a valid data directory",
                "File \"" + path.resolve(ControlFile.PATH) + "\" is missing.",
                "Create a data directory with \"pgshmem initdb\".");
        }
    }
}
