package org.pgshmem.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.pgshmem.wal.CheckPoint;

/** The log_checkpoints lines and the pacing rule. */
class CheckpointLogTest
{
    private static final long SECOND = 1_000_000_000L;

    @Test
    void theStartLineNamesTheFlagsInPostgresOrder()
    {
        assertEquals("checkpoint starting: immediate force wait", CheckpointLog.starting(CheckPoint.FORCE
            | CheckpointerShmem.WAIT | CheckPoint.IMMEDIATE | CheckpointerShmem.REQUESTED));
        assertEquals("checkpoint starting: shutdown immediate",
            CheckpointLog.starting(CheckPoint.IS_SHUTDOWN | CheckPoint.IMMEDIATE));
        assertEquals("checkpoint starting: wal time", CheckpointLog.starting(CheckPoint.CAUSE_TIME | CheckPoint.CAUSE_XLOG));
        assertEquals("checkpoint starting: end-of-recovery", CheckpointLog.starting(CheckPoint.END_OF_RECOVERY));
    }

    @Test
    void theCompleteLineSaysWhatTheCheckpointDid()
    {
        final CheckPoint.Result r = new CheckPoint.Result(false, 0x1549E50L, 0x1_0000_0028L, 3, 1234, 12, 2, 1, 0, 4);
        assertEquals("checkpoint complete: wrote 3 buffers (18.8%); 1 WAL file(s) added, 0 removed, 4 recycled;"
            + " write=1.234 s, sync=0.012 s, total=1.300 s; sync files=2; lsn=0/1549E50, redo lsn=1/28",
            CheckpointLog.complete(r, 16, 1300));
    }

    @Test
    void writesAreOnScheduleWhileTheyAreAheadOfTheTargetFractionOfTheInterval()
    {
        // target 0.5 of 100 s: half the buffers are due at 25 s
        assertTrue(CheckpointLog.onSchedule(0.5, 20 * SECOND, 100 * SECOND, 0.5));
        assertTrue(CheckpointLog.onSchedule(0.5, 25 * SECOND, 100 * SECOND, 0.5));
        assertFalse(CheckpointLog.onSchedule(0.5, 26 * SECOND, 100 * SECOND, 0.5));
        assertFalse(CheckpointLog.onSchedule(1.0, 91 * SECOND, 100 * SECOND, 0.9), "behind: write at full speed");
        assertFalse(CheckpointLog.onSchedule(0.1, 1, 100 * SECOND, 0.0), "target 0: never sleep");
    }
}
