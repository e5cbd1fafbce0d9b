package org.pgshmem.checkpoint;

import java.util.Locale;

import org.pgshmem.control.ControlFile;
import org.pgshmem.wal.CheckPoint;

/**
 * The checkpointer's log lines, as PostgreSQL's log_checkpoints writes them (LogCheckpointStart,
 * LogCheckpointEnd), and its pacing rule (IsCheckpointOnSchedule), kept here to be tested alone.
 */
public final class CheckpointLog
{
    private CheckpointLog()
    {
    }

    /** {@code checkpoint starting: immediate force wait}: the flags' words in PostgreSQL's order. */
    public static String starting(final int flags)
    {
        final StringBuilder sb = new StringBuilder("checkpoint starting:");
        word(sb, flags, CheckPoint.IS_SHUTDOWN, " shutdown");
        word(sb, flags, CheckPoint.END_OF_RECOVERY, " end-of-recovery");
        word(sb, flags, CheckPoint.IMMEDIATE, " immediate");
        word(sb, flags, CheckPoint.FORCE, " force");
        word(sb, flags, CheckpointerShmem.WAIT, " wait");
        word(sb, flags, CheckPoint.CAUSE_XLOG, " wal");
        word(sb, flags, CheckPoint.CAUSE_TIME, " time");
        return sb.toString();
    }

    private static void word(final StringBuilder sb, final int flags, final int flag, final String word)
    {
        if ((flags & flag) != 0)
        {
            sb.append(word);
        }
    }

    /**
     * {@code checkpoint complete: wrote 3 buffers (0.0%); 0 WAL file(s) added, 0 removed, 1 recycled;
     * write=0.002 s, sync=0.001 s, total=0.010 s; sync files=2; lsn=0/1549E50, redo lsn=0/1549DF8}.
     */
    public static String complete(final CheckPoint.Result r, final int nbuffers, final long totalMillis)
    {
        return String.format(Locale.ROOT, "checkpoint complete: wrote %d buffers (%.1f%%); %d WAL file(s) added,"
            + " %d removed, %d recycled; write=%s s, sync=%s s, total=%s s; sync files=%d; lsn=%s, redo lsn=%s",
            r.buffersWritten(), nbuffers == 0 ? 0.0 : 100.0 * r.buffersWritten() / nbuffers, r.segmentsAdded(),
            r.segmentsRemoved(), r.segmentsRecycled(), seconds(r.writeMillis()), seconds(r.syncMillis()),
            seconds(totalMillis), r.filesSynced(), ControlFile.formatLsn(r.lsn()), ControlFile.formatLsn(r.redo()));
    }

    private static String seconds(final long millis)
    {
        return String.format(Locale.ROOT, "%d.%03d", millis / 1000, millis % 1000);
    }

    /**
     * IsCheckpointOnSchedule, by time: whether the writes are ahead of schedule, {@code progress}
     * (0 to 1) of them done after {@code elapsedNanos} of a checkpoint that should finish them
     * within {@code completionTarget} of {@code intervalNanos}. Only then may the checkpointer sleep.
     */
    public static boolean onSchedule(final double progress, final long elapsedNanos, final long intervalNanos,
        final double completionTarget)
    {
        return progress * completionTarget >= (double)elapsedNanos / intervalNanos;
    }
}
