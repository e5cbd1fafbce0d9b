package org.pgshmem.wal;

import java.io.IOException;
import java.time.Instant;

import org.pgshmem.control.ControlFile;
import org.pgshmem.control.DbState;
import org.pgshmem.module.Modules;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.util.Elog;
import org.pgshmem.util.PgException;

/**
 * StartupXLOG, run by the postmaster after shared memory is made and before any other process
 * starts: finds the latest checkpoint, and if the cluster was not shut down cleanly replays the
 * WAL from its redo location (with progress on long replays), ends recovery with a checkpoint,
 * and sets the WAL up to go on where it ends.
 */
public final class StartupXlog
{
    /** How often a long replay reports progress (log_startup_progress_interval). */
    static final long PROGRESS_INTERVAL_NANOS = 10_000_000_000L;

    private StartupXlog()
    {
    }

    /** Runs startup; returns the control file as it is afterwards. */
    public static ControlFile run(final Shmem shmem, final Modules modules, final ControlFile control)
    {
        final Wal wal = modules.get(Wal.class);
        final int segmentSize = control.walSegmentSize();
        final long checkpointLsn = control.checkpointLsn();
        try (WalReader reader = wal.newReader(segmentSize))
        {
            if (!reader.read(checkpointLsn) || (reader.type() != WalRecordType.CHECKPOINT_SHUTDOWN
                && reader.type() != WalRecordType.CHECKPOINT_ONLINE))
            {
                throw new PgException("could not locate a valid checkpoint record at " + fmt(checkpointLsn),
                    reader.error() != null ? reader.error() : "The record there is not a checkpoint.",
                    "The WAL under \"" + WalSegments.DIRECTORY + "\" does not match the control file; restore the data"
                        + " directory from a backup.");
            }
            final long redo = CheckPointRecord.redo(reader.payload());
            final boolean shutdownRecord = reader.type() == WalRecordType.CHECKPOINT_SHUTDOWN;
            long endOfLog = reader.nextLsn();
            final boolean moreAfter = reader.read(endOfLog);
            final boolean crashed = control.state() != DbState.SHUT_DOWN || !shutdownRecord || moreAfter;
            if (!crashed)
            {
                wal.startAt(endOfLog, redo, segmentSize);
                wal.lastCheckpointEnd(WalAddress.toEndLsn(WalAddress.toPos(endOfLog)));
                return control;
            }
            if (control.state() == DbState.SHUT_DOWN)
            {
                Elog.log("database system was shut down at " + Instant.ofEpochSecond(control.timeSeconds())
                    + ", but WAL follows the shutdown checkpoint");
            }
            else
            {
                Elog.log("database system was interrupted; last known up at " + Instant.ofEpochSecond(control.timeSeconds()));
            }
            Elog.log("database system was not properly shut down; automatic recovery in progress");
            writeState(shmem, control.state(DbState.IN_CRASH_RECOVERY));
            endOfLog = replay(wal, reader, redo);
            wal.startAt(endOfLog, redo, segmentSize);
            final CheckPoint.Result result = CheckPoint.create(shmem, modules,
                CheckPoint.END_OF_RECOVERY | CheckPoint.IMMEDIATE, CheckPoint.Pacer.IMMEDIATE);
            Elog.log("end-of-recovery checkpoint complete: wrote " + result.buffersWritten() + " buffers; redo "
                + fmt(result.redo()) + ", location " + fmt(result.lsn()));
            return ControlFile.read(shmem.dataDirectory());
        }
    }

    /** The redo loop; returns the end of the WAL (where the next record goes). */
    private static long replay(final Wal wal, final WalReader reader, final long redo)
    {
        Elog.log("redo starts at " + fmt(redo));
        final long start = System.nanoTime();
        long nextProgress = start + PROGRESS_INTERVAL_NANOS;
        long lsn = redo;
        long lastRecord = 0;
        long records = 0;
        while (reader.read(lsn))
        {
            final int type = reader.type();
            final RedoHandler handler = wal.redoHandler(type);
            if (handler != null)
            {
                handler.redo(reader);
            }
            else if (type != WalRecordType.NOOP && type != WalRecordType.CHECKPOINT_ONLINE
                && type != WalRecordType.CHECKPOINT_SHUTDOWN)
            {
                throw new PgException("WAL record at " + fmt(lsn) + " has unknown type " + WalRecordType.name(type),
                    "No module of this server replays it.", "Start the server with the modules the cluster was run with"
                        + " (preload_modules).");
            }
            lastRecord = lsn;
            lsn = reader.nextLsn();
            records++;
            if ((records & 1023) == 0 && System.nanoTime() - nextProgress > 0)
            {
                nextProgress += PROGRESS_INTERVAL_NANOS;
                Elog.log(String.format("redo in progress, elapsed time: %.2f s, current LSN: %s",
                    (System.nanoTime() - start) / 1e9, fmt(lsn)));
            }
        }
        final String why = reader.error();
        if (reader.failure() != WalReader.Failure.END)
        {
            final long after = reader.validPageAfter(lsn);
            if (after >= 0)
            {
                throw new PgException("WAL is damaged at " + fmt(lsn) + ": " + why, "Valid WAL follows at " + fmt(after)
                    + ", so this is not the end of the log: replaying past the damage could lose committed transactions.",
                    "Restore the data directory from a backup.");
            }
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        Elog.log(why + " (end of WAL)");
        if (lastRecord == 0)
        {
            Elog.log("redo is not required");
        }
        else
        {
            Elog.log(String.format("redo done at %s: %d records, %.1f MB in %.2f s", fmt(lastRecord), records,
                (lsn - redo) / 1048576.0, seconds));
        }
        return lsn;
    }

    private static void writeState(final Shmem shmem, final ControlFile control)
    {
        try
        {
            control.write(shmem.dataDirectory());
        }
        catch (final IOException ex)
        {
            throw new PgException("could not write control file: " + ex.getMessage(), null, null, ex);
        }
    }

    private static String fmt(final long lsn)
    {
        return ControlFile.formatLsn(lsn);
    }
}
