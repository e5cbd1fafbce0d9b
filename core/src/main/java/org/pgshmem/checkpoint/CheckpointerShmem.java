package org.pgshmem.checkpoint;

import static org.pgshmem.checkpoint.CheckpointerShmemDescriptor.*;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.lock.LWLock;
import org.pgshmem.module.ShmemModule;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.proc.ProcSlotDescriptor;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemStruct;
import org.pgshmem.util.Elog;
import org.pgshmem.wal.CheckPoint;
import org.pgshmem.wal.Wal;

/**
 * The checkpointer's shared state, a module (PostgreSQL's CheckpointerShmem, checkpointer.c and
 * sync.c): checkpoint requests any process can make and wait for, the statistics of
 * pg_stat_checkpointer, and the sync-request queue through which processes that wrote a relation
 * file leave its fsync to the next checkpoint. Layout: {@link CheckpointerShmemDescriptor}.
 *
 * <pre>{@code
 * CheckpointerShmem checkpointer = backend.module(CheckpointerShmem.class);
 * checkpointer.requestCheckpoint(CheckPoint.IMMEDIATE | CheckPoint.FORCE, true, 60_000);
 * }</pre>
 *
 * <p>The queue's per-process state (what this process queued, what it must fsync) is one
 * thread's, as the buffer manager that forwards to it is.
 */
public final class CheckpointerShmem implements ShmemModule
{
    /** The module's name. */
    public static final String NAME = "checkpointer";
    /** The label of its structure. */
    public static final String LABEL = "Checkpointer Data";
    /** The name of the LWLock that guards the sync-request queue. */
    public static final String COMM_LOCK_NAME = "CheckpointerComm";
    /** CHECKPOINT_WAIT: the requester waits for the checkpoint (in Request Flags, for the log). */
    public static final int WAIT = 0x0020;
    /** CHECKPOINT_REQUESTED: set with every request, so that a request without flags is seen. */
    public static final int REQUESTED = 0x0040;

    private AtomicBuffer buffer;
    private CheckpointRequests requests;
    private SyncRequestQueue queue;
    private PendingSyncs pending;
    private ProcArray procArray;
    private boolean fsync;
    private boolean absorbsOwnWrites;
    private final Runnable absorb = this::absorbSyncRequests;

    @Override
    public String name()
    {
        return NAME;
    }

    /** Room in the sync-request queue: one per shared buffer, as PostgreSQL sizes it. */
    static int maxRequests(final Settings settings)
    {
        return settings.getInt("shared_buffers");
    }

    @Override
    public long shmemSize(final Settings settings)
    {
        return length(maxRequests(settings));
    }

    @Override
    public void shmemInit(final Shmem shmem)
    {
        final int max = maxRequests(shmem.settings());
        wrap(shmem, shmem.initStruct(LABEL, length(max), region ->
        {
            region.putInt(MAX_REQUESTS_OFFSET, max);
            region.putLong(STATS_RESET_OFFSET, System.currentTimeMillis());
        }));
        // the buffer manager finds the queue here at its first write, whatever the module order
        shmem.processLocal(CheckpointerShmem.class, () -> this);
        final Wal wal = shmem.processLocal(Wal.class, () -> null);
        if (wal != null)
        {
            // CreateCheckPoint fsyncs through this process's queue; the WAL asks for checkpoints by volume
            wal.syncRequestProcessor(this::processSyncRequests);
            wal.onCheckpointNeeded(() -> requestCheckpoint(CheckPoint.CAUSE_XLOG, false, 0));
        }
    }

    /**
     * The module's state in a segment mapped without attaching ({@code Backend.inspect}), for
     * tools: to request a checkpoint or read the statistics. It forwards and absorbs nothing.
     */
    public static CheckpointerShmem of(final Shmem shmem)
    {
        final CheckpointerShmem module = new CheckpointerShmem();
        module.wrap(shmem, shmem.findStruct(LABEL));
        return module;
    }

    private void wrap(final Shmem shmem, final ShmemStruct struct)
    {
        this.buffer = struct.buffer();
        this.procArray = ProcArray.of(shmem.findStruct(ProcArray.LABEL));
        this.requests = new CheckpointRequests(buffer, procArray);
        this.queue = new SyncRequestQueue(buffer,
            LWLock.embedded(shmem, (int)struct.offset() + COMM_LOCK_OFFSET, COMM_LOCK_NAME));
        this.pending = new PendingSyncs(shmem.dataDirectory());
        this.fsync = shmem.settings().getBoolean("fsync");
    }

    /**
     * RegisterSyncRequest / ForwardSyncRequest: this process wrote to relation {@code relation}'s
     * file; the next checkpoint must fsync it. Returns false when the queue is full even after
     * compaction: the caller must fsync the file itself (counted as backend_fsync). In the
     * checkpointer the request goes straight to its own pending set.
     */
    public boolean forwardSyncRequest(final int relation)
    {
        if (absorbsOwnWrites)
        {
            pending.set().add(relation);
            return true;
        }
        final int queued = queue.forward(relation);
        if (queued < 0 || queued >= queue.capacity() / 2)
        {
            // half full: the checkpointer absorbs early rather than let writers fsync themselves
            procArray.setLatch(ProcSlotDescriptor.CHECKPOINTER_SLOT);
        }
        if (queued < 0)
        {
            buffer.getAndAddLong(BACKEND_FSYNC_OFFSET, 1);
            return false;
        }
        return true;
    }

    /** AbsorbSyncRequests: moves the queued requests into this process's pending set; returns how many. */
    public int absorbSyncRequests()
    {
        return queue.takeInto(pending.set());
    }

    /**
     * ProcessSyncRequests: absorbs, then fsyncs every pending relation file (a file that vanished
     * is skipped; nothing is fsynced with {@code fsync = off}); returns how many were fsynced.
     * For the process running the checkpoint, after its buffer writes and before its record.
     *
     * @throws org.pgshmem.util.PgException "could not fsync file ...": those not yet fsynced stay pending
     */
    public int processSyncRequests()
    {
        absorbSyncRequests();
        return pending.syncAll(fsync, absorb);
    }

    /**
     * This process is the checkpointer: its own writes go to its pending set, not through the
     * queue. A checkpointer that takes the place of one that died lost what that one had absorbed
     * and not yet fsynced: this one fsyncs every relation file at its first checkpoint, as
     * PostgreSQL fsyncs the data directory after a crash.
     */
    public void attachAsCheckpointer()
    {
        this.absorbsOwnWrites = true;
        if (buffer.getAndAddLong(CHECKPOINTER_STARTS_OFFSET, 1) > 0)
        {
            final int files = pending.addEveryFile();
            Elog.log("checkpointer restarted: the next checkpoint fsyncs all " + files + " relation files");
        }
    }

    /**
     * RequestCheckpoint, from any process: ORs {@code flags} ({@link CheckPoint#IMMEDIATE},
     * {@link CheckPoint#FORCE}, {@link CheckPoint#CAUSE_XLOG} ...) into the request and wakes the
     * checkpointer; cheap when the same flags are already requested. With {@code wait}, returns
     * once a checkpoint that began after the request has ended.
     *
     * @throws org.pgshmem.util.PgException with {@code wait}: "checkpoint request failed",
     *     "could not signal for checkpoint: checkpointer is not running", or a timeout after {@code timeoutMs}
     */
    public void requestCheckpoint(final int flags, final boolean wait, final long timeoutMs)
    {
        requests.request(flags, wait, timeoutMs);
    }

    /**
     * The flags a CHECKPOINT_REQUEST message asks for: its payload's int (little-endian), or
     * IMMEDIATE | FORCE, PostgreSQL's CHECKPOINT command, when it has none.
     */
    public static int messageFlags(final DirectBuffer buffer, final int offset, final int length)
    {
        return length >= Integer.BYTES ? buffer.getInt(offset) : CheckPoint.IMMEDIATE | CheckPoint.FORCE;
    }

    /** The checkpointer: takes and clears the requested flags (0: no request). */
    public int takeRequestFlags()
    {
        return requests.take();
    }

    /** The requested flags, not cleared: whether a request waits, whether it is IMMEDIATE. */
    public int requestFlags()
    {
        return requests.pending();
    }

    /**
     * The checkpointer, after {@link #takeRequestFlags}: a checkpoint begins; counts it in
     * num_timed and/or num_requested and returns its number for {@link #checkpointEnded}.
     */
    public long checkpointStarting(final boolean timed, final boolean requested)
    {
        if (timed)
        {
            buffer.getAndAddLong(NUM_TIMED_OFFSET, 1);
        }
        if (requested)
        {
            buffer.getAndAddLong(NUM_REQUESTED_OFFSET, 1);
        }
        return requests.start();
    }

    /**
     * The checkpointer: checkpoint {@code number} ended with {@code result}, or failed when it is
     * null; its waiters are released.
     */
    public void checkpointEnded(final long number, final CheckPoint.Result result)
    {
        if (result != null && !result.skipped())
        {
            buffer.getAndAddLong(NUM_DONE_OFFSET, 1);
            buffer.getAndAddLong(BUFFERS_WRITTEN_OFFSET, result.buffersWritten());
            buffer.getAndAddLong(WRITE_TIME_OFFSET, result.writeMillis());
            buffer.getAndAddLong(SYNC_TIME_OFFSET, result.syncMillis());
        }
        requests.end(number, result == null);
    }

    /** pg_stat_checkpointer and the request counters, now. */
    public CheckpointerStats stats()
    {
        return CheckpointerStats.read(buffer);
    }

    /** Requests in the sync-request queue now. */
    public int queuedSyncRequests()
    {
        return queue.queued();
    }

    /** Relation files this process will fsync at its next {@link #processSyncRequests}. */
    public int pendingSyncs()
    {
        return pending.set().size();
    }
}
