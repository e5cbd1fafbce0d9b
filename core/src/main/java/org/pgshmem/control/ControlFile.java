package org.pgshmem.control;

import static org.pgshmem.control.ControlFileDescriptor.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.CRC32C;

import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.util.DurableFiles;
import org.pgshmem.util.PgException;
import org.pgshmem.util.Platform;

/**
 * The control file (PostgreSQL's pg_control): what a cluster is and the state it was left in.
 * A value object: {@link #read} checks size, magic, CRC and version; {@link #write} replaces
 * the file durably and atomically.
 */
public final class ControlFile
{
    /** Where it lives under the data directory. */
    public static final String PATH = "global/control";
    /** Block size of relation pages, recorded for tools. */
    public static final int BLOCK_SIZE = 8192;
    /** WAL segment size recorded until the WAL issue makes it a setting. */
    public static final int DEFAULT_WAL_SEGMENT_SIZE = 16 * 1024 * 1024;

    private final long systemIdentifier;
    private DbState state;
    private long timeSeconds;
    private long checkpointLsn;
    private long redoLsn;
    private long checkpointTimeSeconds;
    private long nextXid;
    private int walSegmentSize = DEFAULT_WAL_SEGMENT_SIZE;

    /** A new control file for a cluster being made by initdb. */
    public ControlFile(final long systemIdentifier, final DbState state)
    {
        this.systemIdentifier = systemIdentifier;
        this.state = state;
        this.nextXid = 1;
    }

    /**
     * A system identifier as PostgreSQL makes one in BootStrapXLOG: seconds since the epoch in
     * the upper 32 bits, microseconds in the next 20, the low 12 bits of the pid in the rest.
     */
    public static long newSystemIdentifier()
    {
        final java.time.Instant now = java.time.Instant.now();
        final long seconds = now.getEpochSecond();
        final long micros = now.getNano() / 1_000L;
        return (seconds << 32) | (micros << 12) | (ProcessHandle.current().pid() & 0xFFF);
    }

    /** Reads and verifies {@code DATA/global/control}. */
    public static ControlFile read(final Path dataDir)
    {
        final Path file = dataDir.resolve(PATH);
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            throw new PgException("could not open file \"" + file + "\": No such file or directory", null,
                "Is \"" + dataDir + "\" a data directory made by \"pgshmem initdb\"?");
        }
        catch (final IOException ex)
        {
            throw new PgException("could not read file \"" + file + "\": " + ex.getMessage());
        }
        if (bytes.length != FILE_SIZE)
        {
            throw new PgException("control file \"" + file + "\" has the wrong size",
                "It is " + bytes.length + " bytes; a control file is " + FILE_SIZE + " bytes.",
                "The file is damaged or not a pgshmem control file.");
        }
        final UnsafeBuffer buf = new UnsafeBuffer(bytes);
        // the version first, as PostgreSQL's ReadControlFile: another version's file is not "damaged"
        final int version = buf.getInt(VERSION_OFFSET);
        if (version != CONTROL_VERSION)
        {
            throw new PgException("database files are incompatible with server",
                "The database cluster was initialized with control version " + version
                    + ", but the server was compiled with control version " + CONTROL_VERSION + ".",
                "It looks like you need to initdb.");
        }
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, CRC_OFFSET);
        if ((int)crc.getValue() != buf.getInt(CRC_OFFSET))
        {
            throw new PgException("incorrect checksum in control file \"" + file + "\"",
                "Calculated CRC checksum does not match value stored in file.",
                "The control file is damaged; restore the data directory from a backup.");
        }
        if (buf.getLong(MAGIC_OFFSET) != MAGIC)
        {
            throw new PgException("control file \"" + file + "\" contains invalid data: not a pgshmem control file");
        }
        if (buf.getInt(BLOCK_SIZE_OFFSET) != BLOCK_SIZE)
        {
            throw new PgException("database files are incompatible with server",
                "The database cluster was initialized with a block size of " + buf.getInt(BLOCK_SIZE_OFFSET)
                    + ", but the server was compiled with a block size of " + BLOCK_SIZE + ".",
                "It looks like you need to initdb.");
        }
        final DbState state = DbState.ofCode(buf.getInt(STATE_OFFSET));
        if (state == null)
        {
            throw new PgException("control file \"" + file + "\" contains invalid data: unknown state "
                + buf.getInt(STATE_OFFSET));
        }
        final ControlFile cf = new ControlFile(buf.getLong(SYSTEM_IDENTIFIER_OFFSET), state);
        cf.timeSeconds = buf.getLong(TIME_OFFSET);
        cf.checkpointLsn = buf.getLong(CHECKPOINT_LSN_OFFSET);
        cf.redoLsn = buf.getLong(REDO_LSN_OFFSET);
        cf.checkpointTimeSeconds = buf.getLong(CHECKPOINT_TIME_OFFSET);
        cf.nextXid = buf.getLong(NEXT_XID_OFFSET);
        cf.walSegmentSize = buf.getInt(WAL_SEGMENT_SIZE_OFFSET);
        return cf;
    }

    /** Writes the file durably: a temporary file, fsync, rename over the old one, fsync the directory. */
    public void write(final Path dataDir) throws IOException
    {
        Platform.requireLittleEndian();
        timeSeconds = System.currentTimeMillis() / 1000;
        final byte[] bytes = new byte[FILE_SIZE];
        final UnsafeBuffer buf = new UnsafeBuffer(bytes);
        buf.putLong(MAGIC_OFFSET, MAGIC);
        buf.putInt(VERSION_OFFSET, CONTROL_VERSION);
        buf.putInt(STATE_OFFSET, state.code());
        buf.putLong(SYSTEM_IDENTIFIER_OFFSET, systemIdentifier);
        buf.putLong(TIME_OFFSET, timeSeconds);
        buf.putLong(CHECKPOINT_LSN_OFFSET, checkpointLsn);
        buf.putLong(REDO_LSN_OFFSET, redoLsn);
        buf.putLong(CHECKPOINT_TIME_OFFSET, checkpointTimeSeconds);
        buf.putLong(NEXT_XID_OFFSET, nextXid);
        buf.putInt(BLOCK_SIZE_OFFSET, BLOCK_SIZE);
        buf.putInt(WAL_SEGMENT_SIZE_OFFSET, walSegmentSize);
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, CRC_OFFSET);
        buf.putInt(CRC_OFFSET, (int)crc.getValue());
        DurableFiles.write(dataDir.resolve(PATH), bytes);
    }

    /** The cluster's system identifier. */
    public long systemIdentifier()
    {
        return systemIdentifier;
    }

    /** The state it was left in. */
    public DbState state()
    {
        return state;
    }

    /** Sets the state; {@link #write} makes it durable. */
    public ControlFile state(final DbState newState)
    {
        this.state = newState;
        return this;
    }

    /**
     * Points the file at a new checkpoint (its record's location, its redo location, when it was
     * made and the next transaction id it recorded); {@link #write} makes it durable.
     */
    public ControlFile checkpoint(final long checkpointLsn, final long redoLsn, final long timeSeconds,
        final long nextXid)
    {
        this.checkpointLsn = checkpointLsn;
        this.redoLsn = redoLsn;
        this.checkpointTimeSeconds = timeSeconds;
        this.nextXid = nextXid;
        return this;
    }

    /** When the file was last written, epoch seconds. */
    public long timeSeconds()
    {
        return timeSeconds;
    }

    /** Location of the latest checkpoint record. */
    public long checkpointLsn()
    {
        return checkpointLsn;
    }

    /** Where replay starts after a crash: the latest checkpoint's redo location. */
    public long redoLsn()
    {
        return redoLsn;
    }

    /** When the latest checkpoint started, epoch seconds. */
    public long checkpointTimeSeconds()
    {
        return checkpointTimeSeconds;
    }

    /** The next transaction id as of the latest checkpoint. */
    public long nextXid()
    {
        return nextXid;
    }

    public int blockSize()
    {
        return BLOCK_SIZE;
    }

    public int walSegmentSize()
    {
        return walSegmentSize;
    }

    /** An LSN as PostgreSQL prints one: two hex halves, {@code 0/16B3740}. */
    public static String formatLsn(final long lsn)
    {
        return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
    }
}
