package org.pgshmem.checkpoint;

import static org.pgshmem.checkpoint.CheckpointerShmemDescriptor.*;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.proc.ProcSlotDescriptor;
import org.pgshmem.util.Elog;
import org.pgshmem.util.PgException;
import org.pgshmem.wal.CheckPoint;

/**
 * Checkpoint requests and their completion (PostgreSQL's RequestCheckpoint and the ckpt_* fields
 * of CheckpointerShmem), without a spinlock: requesters OR their flags into Request Flags; the
 * checkpointer takes them all with one atomic exchange and only then adds one to Started, so a
 * checkpoint numbered above the Started a requester read before its OR began after the request
 * or carries its flags. Done is set to the number of each checkpoint that ends, Failed counted
 * before it, so that a waiter that sees Done also sees the failure.
 */
final class CheckpointRequests
{
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** What a requester may ask for: a shutdown or end-of-recovery checkpoint is the server's own. */
    private static final int REQUESTABLE = CheckPoint.IMMEDIATE | CheckPoint.FORCE | CheckPoint.CAUSE_XLOG
        | CheckPoint.CAUSE_TIME | CheckpointerShmem.WAIT;

    private final AtomicBuffer buffer;
    private final ProcArray procArray;

    CheckpointRequests(final AtomicBuffer buffer, final ProcArray procArray)
    {
        this.buffer = buffer;
        this.procArray = procArray;
    }

    /**
     * ORs {@code flags} (those a requester may ask for; others are ignored) and
     * {@link CheckpointerShmem#REQUESTED} into Request Flags; a no-op when they are there.
     */
    void or(final int flags)
    {
        final int wanted = flags & REQUESTABLE | CheckpointerShmem.REQUESTED;
        while (true)
        {
            final int old = buffer.getIntVolatile(REQUEST_FLAGS_OFFSET);
            if ((old & wanted) == wanted || buffer.compareAndSetInt(REQUEST_FLAGS_OFFSET, old, old | wanted))
            {
                return;
            }
        }
    }

    /** Request Flags, left as they are. */
    int pending()
    {
        return buffer.getIntVolatile(REQUEST_FLAGS_OFFSET);
    }

    /** Takes Request Flags and clears them. */
    int take()
    {
        return buffer.getAndSetInt(REQUEST_FLAGS_OFFSET, 0);
    }

    long started()
    {
        return buffer.getLongVolatile(STARTED_OFFSET);
    }

    long done()
    {
        return buffer.getLongVolatile(DONE_OFFSET);
    }

    long failed()
    {
        return buffer.getLongVolatile(FAILED_OFFSET);
    }

    /** A checkpoint begins (after {@link #take}): returns its number. */
    long start()
    {
        return buffer.getAndAddLong(STARTED_OFFSET, 1) + 1;
    }

    /** Checkpoint {@code number} ended, well or not. */
    void end(final long number, final boolean failed)
    {
        if (failed)
        {
            buffer.getAndAddLong(FAILED_OFFSET, 1);
        }
        buffer.putLongVolatile(DONE_OFFSET, number);
    }

    /**
     * RequestCheckpoint: ORs {@code flags}, wakes the checkpointer and, with {@code wait}, returns
     * once a checkpoint that began after the request has ended, or fails after {@code timeoutMs}.
     * Without {@code wait}, a checkpointer that is not running gets the request when it starts.
     */
    void request(final int flags, final boolean wait, final long timeoutMs)
    {
        final long oldStarted = started();
        final long oldFailed = failed();
        or(wait ? flags | CheckpointerShmem.WAIT : flags);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        // the postmaster restarts a checkpointer that died: give it the time it is allowed
        while (procArray.pid(ProcSlotDescriptor.CHECKPOINTER_SLOT) == 0)
        {
            if (!wait)
            {
                Elog.log("could not signal for checkpoint: checkpointer is not running");
                return;
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new PgException("could not signal for checkpoint: checkpointer is not running", null,
                    "The postmaster restarts it; see the server log.");
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        procArray.setLatch(ProcSlotDescriptor.CHECKPOINTER_SLOT);
        if (!wait)
        {
            return;
        }
        while (done() - (oldStarted + 1) < 0)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new PgException("checkpoint request timed out after " + timeoutMs + " ms",
                    "No checkpoint started after the request has ended yet (started " + started() + ", done "
                        + done() + ").", "The checkpoint goes on; see the server log.");
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        if (failed() != oldFailed)
        {
            throw new PgException("checkpoint request failed", null,
                "Consult recent messages in the server log for details.");
        }
    }
}
