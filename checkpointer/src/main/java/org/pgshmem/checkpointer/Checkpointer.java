package org.pgshmem.checkpointer;

import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.pgshmem.backend.Backend;
import org.pgshmem.checkpoint.CheckpointLog;
import org.pgshmem.checkpoint.CheckpointerShmem;
import org.pgshmem.ipc.MessageTypes;
import org.pgshmem.postmaster.AuxiliaryProcess;
import org.pgshmem.proc.ProcKind;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.util.Elog;
import org.pgshmem.wal.CheckPoint;

/**
 * The checkpointer process (PostgreSQL's checkpointer.c): started by the postmaster, attached in
 * its fixed slot. Each round it absorbs the sync-request queue, takes the requested flags (a
 * {@link CheckpointerShmem#requestCheckpoint} from any process, or a CHECKPOINT_REQUEST message
 * in its inbox) and runs a checkpoint when one was requested or {@code checkpoint_timeout} has
 * passed since the last one began. A checkpoint's buffer writes are paced to end at
 * {@code checkpoint_completion_target} of the interval, unless it is IMMEDIATE or something
 * wants it over with. On a smart or fast stop, once the backends are gone, it runs the shutdown
 * checkpoint.
 */
public final class Checkpointer
{
    /** CheckpointWriteDelay's sleep while the writes are ahead of schedule. */
    static final long WRITE_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** WRITES_PER_ABSORB: the queue is absorbed at least every this many buffer writes. */
    static final int WRITES_PER_ABSORB = 1000;
    /** Flags under which a checkpoint is never paced. */
    private static final int UNPACED = CheckPoint.IS_SHUTDOWN | CheckPoint.END_OF_RECOVERY | CheckPoint.IMMEDIATE;

    private final Backend self;
    private final CheckpointerShmem checkpointer;
    private final ShmemSegment segment;
    private final long timeoutNanos;
    private final double completionTarget;
    private final int nbuffers;
    private final Pacer pacer = new Pacer();
    private final MessageHandler inbox = this::onMessage;
    /** When the last checkpoint began (not ended), so that timed ones keep their spacing. */
    private long lastCheckpointNanos;

    private Checkpointer(final Backend self)
    {
        this.self = self;
        this.checkpointer = self.module(CheckpointerShmem.class);
        this.segment = self.shmem().segment();
        final Settings settings = self.shmem().settings();
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(settings.getMillis("checkpoint_timeout"));
        this.completionTarget = settings.getReal("checkpoint_completion_target");
        this.nbuffers = self.buffers().nbuffers();
        self.buffers().countWritesAsCheckpointer();
        checkpointer.attachAsCheckpointer();
        this.lastCheckpointNanos = System.nanoTime();
    }

    /** {@code -D DATADIR}. */
    public static void main(final String[] args)
    {
        final Checkpointer[] process = new Checkpointer[1];
        System.exit(AuxiliaryProcess.run(args, ProcKind.CHECKPOINTER, self -> process[0].round(),
            self -> process[0].shutdown(), self ->
            {
                process[0] = new Checkpointer(self);
                return process[0].inbox;
            }));
    }

    /** A CHECKPOINT_REQUEST in the inbox is a request like any other. */
    private void onMessage(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
    {
        if (msgTypeId == MessageTypes.CHECKPOINT_REQUEST)
        {
            checkpointer.requestCheckpoint(CheckpointerShmem.messageFlags(buffer, offset, length), false, 0);
        }
    }

    /** One round of CheckpointerMain's loop; returns how long to sleep. */
    private long round()
    {
        checkpointer.absorbSyncRequests();
        self.messenger().poll(inbox, 64);
        final long now = System.nanoTime();
        int flags = checkpointer.takeRequestFlags();
        final boolean requested = flags != 0;
        final boolean timed = now - lastCheckpointNanos >= timeoutNanos;
        if (timed)
        {
            flags |= CheckPoint.CAUSE_TIME;
        }
        if (requested || timed)
        {
            lastCheckpointNanos = now;
            try
            {
                checkpoint(flags, timed && !requested, requested, pacer);
            }
            catch (final RuntimeException ex)
            {
                // as PostgreSQL's checkpointer after an ERROR: its waiters were told, the loop goes on
                Elog.warning("checkpoint failed: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            }
        }
        if (checkpointer.requestFlags() != 0)
        {
            // requested meanwhile; the pacer may have consumed the latch that said so
            return 0;
        }
        final long left = timeoutNanos - (System.nanoTime() - lastCheckpointNanos);
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(left) + 1);
    }

    /** The shutdown checkpoint, once the backends are gone; a failure makes the exit code say so. */
    private void shutdown()
    {
        checkpoint(CheckPoint.IS_SHUTDOWN | CheckPoint.IMMEDIATE, false, false, CheckPoint.Pacer.IMMEDIATE);
    }

    /**
     * Runs one checkpoint: counts it, logs it as log_checkpoints does, and releases its waiters
     * whether it succeeds or throws. A timed checkpoint that finds nothing to do logs nothing.
     */
    private void checkpoint(final int flags, final boolean timed, final boolean requested,
        final CheckPoint.Pacer paceWith)
    {
        final boolean quietUntilWriting = flags == CheckPoint.CAUSE_TIME;
        if (!quietUntilWriting)
        {
            Elog.log(CheckpointLog.starting(flags));
        }
        pacer.begin(flags, quietUntilWriting);
        final long number = checkpointer.checkpointStarting(timed, requested);
        final long start = System.nanoTime();
        CheckPoint.Result result = null;
        try
        {
            result = CheckPoint.create(self, flags, paceWith);
            // logged before the checkpoint counts as done, as LogCheckpointEnd comes before
            // ckpt_done: whoever waited for it finds the line in the log
            if (!result.skipped())
            {
                pacer.logStart();
                Elog.log(CheckpointLog.complete(result, nbuffers,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)));
            }
            else if (!quietUntilWriting)
            {
                Elog.log("checkpoint skipped because the system is idle");
            }
        }
        finally
        {
            checkpointer.checkpointEnded(number, result);
        }
    }

    /**
     * CheckpointWriteDelay: after each buffer the checkpoint writes, sleeps 100 ms on the latch
     * while the writes are ahead of schedule (IsCheckpointOnSchedule, by time), absorbing the
     * sync-request queue and reading the inbox; stops sleeping for good once the checkpoint must
     * end soon: it is IMMEDIATE, an IMMEDIATE request came, a shutdown began, or the postmaster died.
     */
    private final class Pacer implements CheckPoint.Pacer
    {
        private int flags;
        private long startNanos;
        private int writesSinceAbsorb;
        private boolean startToLog;

        void begin(final int checkpointFlags, final boolean logStartWhenWriting)
        {
            this.flags = checkpointFlags;
            this.startNanos = System.nanoTime();
            this.writesSinceAbsorb = 0;
            this.startToLog = logStartWhenWriting;
        }

        /** The start of a checkpoint whose flags said it might be skipped: it was not. */
        void logStart()
        {
            if (startToLog)
            {
                startToLog = false;
                Elog.log(CheckpointLog.starting(flags));
            }
        }

        @Override
        public void written(final int done, final int total)
        {
            logStart();
            if (mayPace())
            {
                // a request by message may make this checkpoint an immediate one
                self.messenger().poll(inbox, 64);
                if (mayPace() && CheckpointLog.onSchedule(total == 0 ? 1.0 : (double)done / total,
                    System.nanoTime() - startNanos, timeoutNanos, completionTarget))
                {
                    checkpointer.absorbSyncRequests();
                    writesSinceAbsorb = 0;
                    self.messenger().waitLatch(WRITE_DELAY_NANOS);
                    return;
                }
            }
            if (++writesSinceAbsorb >= WRITES_PER_ABSORB)
            {
                writesSinceAbsorb = 0;
                checkpointer.absorbSyncRequests();
            }
        }

        private boolean mayPace()
        {
            return (flags & UNPACED) == 0 && (checkpointer.requestFlags() & CheckPoint.IMMEDIATE) == 0
                && segment.postmasterState() < ShmemSegment.PM_STOPPING && !self.postmasterDead();
        }
    }
}
