package org.pgshmem.backend;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.pgshmem.buffer.BufferManager;
import org.pgshmem.control.ControlFile;
import org.pgshmem.ipc.BroadcastChannel;
import org.pgshmem.ipc.IdleStrategies;
import org.pgshmem.ipc.Messenger;
import org.pgshmem.lock.LWLocks;
import org.pgshmem.lock.LockManager;
import org.pgshmem.module.Modules;
import org.pgshmem.module.RuntimeSettings;
import org.pgshmem.postmaster.DataDirectory;
import org.pgshmem.postmaster.PidFile;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.proc.ProcKind;
import org.pgshmem.proc.SlotHashMarks;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.shmem.StructInit;
import org.pgshmem.util.PgException;
import org.pgshmem.util.Processes;
import org.pgshmem.xact.Transaction;
import org.pgshmem.xact.Transactions;

/**
 * A process attached to a running cluster: any JVM that calls {@link #attach(Path)}.
 * Attaching checks that a postmaster runs, maps its segment, checks the segment against the
 * control file, runs every module's shmemInit (which attaches to what the postmaster created)
 * and takes a slot in the proc array. {@link #close()} gives the slot back and unmaps.
 *
 * <pre>{@code
 * try (Backend backend = Backend.attach(Path.of("/srv/cluster")))
 * {
 *     ShmemStruct counters = backend.shmem().initStruct("my counters", 64, StructInit.ZEROED);
 *     counters.buffer().getAndAddLong(0, 1);
 * }
 * }</pre>
 */
public final class Backend implements AutoCloseable
{
    private static final long HEADER_WAIT_MS = 10_000;

    private final Shmem shmem;
    private final Modules modules;
    private final ProcArray procArray;
    private final int slot;
    private final ProcKind kind;
    private final long postmasterPid;
    private final long heartbeatMillis;
    private final Messenger messenger;
    private final Thread heartbeat;
    private volatile boolean postmasterDead;
    private volatile boolean closing;
    private boolean closed;

    private Backend(final Shmem shmem, final Modules modules, final ProcArray procArray, final int slot,
        final ProcKind kind, final long postmasterPid)
    {
        this.shmem = shmem;
        this.modules = modules;
        this.procArray = procArray;
        this.slot = slot;
        this.kind = kind;
        this.postmasterPid = postmasterPid;
        this.heartbeatMillis = shmem.settings().getMillis("heartbeat_interval");
        this.messenger = new Messenger(procArray, slot, modules.get(BroadcastChannel.class),
            IdleStrategies.of(shmem.settings().getString("latch_idle_strategy")), () -> postmasterDead,
            shmem.segment()::processDeaths);
        modules.get(LockManager.class).terminateWaitsWhen(() -> postmasterDead);
        this.heartbeat = new Thread(this::heartbeatLoop, "pgshmem-heartbeat");
        heartbeat.setDaemon(true);
        heartbeat.start();
    }

    /**
     * Proves this process alive every heartbeat_interval and watches the postmaster's heartbeat;
     * when that stops and the postmaster process is gone, every later call fails.
     */
    private void heartbeatLoop()
    {
        final ShmemSegment segment = shmem.segment();
        final long stale = Math.max(5 * heartbeatMillis, 1_000);
        while (!closing)
        {
            final long now = System.currentTimeMillis();
            procArray.heartbeat(slot, now);
            // a hash under recovery is let go as soon as no thread of ours is inside it
            shmem.closeQuarantinedHashes();
            if (!postmasterDead && now - segment.postmasterHeartbeat() > stale && !postmasterAlive())
            {
                postmasterDead = true;
            }
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(heartbeatMillis));
        }
    }

    /** Attaches this process to the cluster running in {@code dataDir} as a backend. */
    public static Backend attach(final Path dataDir)
    {
        return attachAs(dataDir, ProcKind.BACKEND);
    }

    /**
     * Attaches as {@code kind}: the bgwriter and checkpointer use this to take their fixed
     * slots, and may attach while the postmaster is still starting.
     */
    public static Backend attachAs(final Path dataDir, final ProcKind kind)
    {
        final DataDirectory dd = DataDirectory.of(dataDir);
        final PidFile pidFile = runningPostmaster(dd);
        if (kind == ProcKind.BACKEND && !PidFile.READY.equals(pidFile.status()))
        {
            throw new PgException(PidFile.STOPPING.equals(pidFile.status())
                ? "the database system is shutting down" : "the database system is starting up");
        }
        final ShmemSegment segment = mapSegment(dd, pidFile);
        Shmem shmem = null;
        final int[] claimed = {-1};
        try
        {
            if (kind == ProcKind.BACKEND && segment.postmasterState() != ShmemSegment.PM_RUNNING)
            {
                throw new PgException("the database system is shutting down");
            }
            shmem = Shmem.open(segment, Settings.defaults(), dd.path());
            final Settings settings = RuntimeSettings.read(shmem.initStruct(RuntimeSettings.LABEL,
                new RuntimeSettings().shmemSize(Settings.defaults()), StructInit.ZEROED));
            shmem = shmem.withSettings(settings);
            final Modules modules = Modules.load(settings);
            final Shmem attached = shmem;
            modules.shmemInit(shmem, () ->
            {
                // the slot first, so that every hash a module opens records its operations in it
                final ProcArray procs = modules.get(ProcArray.class);
                claimed[0] = kind == ProcKind.BACKEND ? procs.claimBackend() : procs.claimFixed(kind);
                attached.hashOperationMarks(new SlotHashMarks(procs, claimed[0]));
            });
            final ProcArray procArray = modules.get(ProcArray.class);
            final int slot = claimed[0];
            return new Backend(shmem, modules, procArray, slot, kind, pidFile.pid());
        }
        catch (final RuntimeException ex)
        {
            if (shmem != null)
            {
                if (claimed[0] >= 0)
                {
                    ProcArray.of(shmem.findStruct(ProcArray.LABEL)).release(claimed[0]);
                }
                shmem.close();
            }
            else
            {
                segment.close();
            }
            throw ex;
        }
    }

    /**
     * Maps the segment of the cluster running in {@code dataDir} without attaching as a process
     * (no slot, no modules): what read-only tools such as {@code pgshmem shmem} use.
     */
    public static ShmemSegment mapSegment(final Path dataDir)
    {
        final DataDirectory dd = DataDirectory.of(dataDir);
        return mapSegment(dd, runningPostmaster(dd));
    }

    /**
     * A read-only look at the running cluster's shared memory, without attaching as a process:
     * the allocations view, the proc array, module structures. Closing it unmaps the segment.
     */
    public static Shmem inspect(final Path dataDir)
    {
        final ShmemSegment segment = mapSegment(dataDir);
        return Shmem.open(segment, Settings.defaults(), DataDirectory.of(dataDir).path());
    }

    private static PidFile runningPostmaster(final DataDirectory dd)
    {
        final PidFile pidFile = PidFile.read(dd.pidFile());
        if (pidFile == null || !pidFile.postmasterAlive())
        {
            throw new PgException("could not attach to the cluster in \"" + dd.path() + "\": no postmaster is running",
                pidFile == null ? "There is no " + DataDirectory.PID_FILE + "."
                    : "The postmaster (PID " + pidFile.pid() + ") named in " + DataDirectory.PID_FILE + " is gone.",
                "Start the server with \"pgshmem start -D " + dd.path() + "\".");
        }
        return pidFile;
    }

    /** Maps the segment the pid file names and checks it against the control file and the postmaster. */
    private static ShmemSegment mapSegment(final DataDirectory dd, final PidFile pidFile)
    {
        final ControlFile control = ControlFile.read(dd.path());
        final Path segmentFile = Path.of(pidFile.segmentFile());
        final ShmemSegment segment = ShmemSegment.attach(segmentFile, HEADER_WAIT_MS);
        try
        {
            if (segment.systemIdentifier() != control.systemIdentifier())
            {
                throw new PgException("could not attach to shared memory segment \"" + segmentFile + "\": system"
                    + " identifier " + Long.toUnsignedString(segment.systemIdentifier())
                    + " does not match the control file (" + Long.toUnsignedString(control.systemIdentifier()) + ")",
                    null, "The segment belongs to another cluster; restart this one.");
            }
            if (segment.creatorPid() != pidFile.pid())
            {
                throw new PgException("could not attach to shared memory segment \"" + segmentFile + "\": it was"
                    + " made by process " + segment.creatorPid() + ", not by the postmaster (PID " + pidFile.pid()
                    + ")", null, "Try again: the server may be restarting.");
            }
            return segment;
        }
        catch (final RuntimeException ex)
        {
            segment.close();
            throw ex;
        }
    }

    /** Shared memory: structures and hash tables by label. */
    public Shmem shmem()
    {
        checkPostmaster();
        return shmem;
    }

    /** This process's messaging endpoint: inboxes, broadcast, latch. */
    public Messenger messenger()
    {
        return messenger;
    }

    /**
     * This process's heavyweight locks: lock, unlock and advisory locks on tags, held until
     * released or until the backend closes (PostgreSQL's session locks). One thread at a time.
     */
    public LockManager locks()
    {
        checkPostmaster();
        return modules.get(LockManager.class);
    }

    /**
     * The shared buffers: read, lock, change and mark dirty pages of relation files. One thread
     * at a time, as a PostgreSQL backend.
     */
    public BufferManager buffers()
    {
        checkPostmaster();
        return modules.get(BufferManager.class);
    }

    /**
     * This process's transaction, the same object for every transaction it runs (reused, so that
     * writes allocate nothing): {@link Transaction#inProgress} says whether one was begun.
     */
    public Transaction transaction()
    {
        checkPostmaster();
        return modules.get(Transactions.class).transaction();
    }

    /**
     * BEGIN: starts a transaction, whose writes stay in this process until its
     * {@link Transaction#commit}, and returns it.
     *
     * @throws PgException "there is already a transaction in progress"
     */
    public Transaction begin()
    {
        final Transaction t = transaction();
        t.begin();
        return t;
    }

    /**
     * Writes {@code bytes} at byte {@code offset} (past the 24-byte page header) of block
     * {@code block} of relation {@code relation}: in the transaction in progress, or else in a
     * transaction of its own that commits at once (autocommit), extending the relation up to the
     * block. Returns the commit's LSN, or {@link org.pgshmem.wal.Wal#INVALID_LSN} when the write
     * went to the transaction in progress.
     */
    public long write(final int relation, final int block, final int offset, final byte[] bytes)
    {
        final Transaction t = transaction();
        if (t.inProgress())
        {
            t.write(relation, block, offset, bytes);
            return org.pgshmem.wal.Wal.INVALID_LSN;
        }
        t.begin();
        try
        {
            t.write(relation, block, offset, bytes);
        }
        catch (final RuntimeException ex)
        {
            t.abort();
            throw ex;
        }
        return t.commit();
    }

    /**
     * Reads {@code into.length} bytes at byte {@code offset} of the block: what is committed, with
     * the writes of this process's transaction in progress over it.
     */
    public void read(final int relation, final int block, final int offset, final byte[] into)
    {
        transaction().read(relation, block, offset, into);
    }

    /** pg_xact_status: {@code Clog.IN_PROGRESS}, {@code COMMITTED} or {@code ABORTED} for transaction {@code xid}. */
    public int transactionStatus(final long xid)
    {
        checkPostmaster();
        return modules.get(Transactions.class).transactionStatus(xid);
    }

    /** Whether the heartbeat found the postmaster dead; once true, calls fail. */
    public boolean postmasterDead()
    {
        return postmasterDead;
    }

    private void checkPostmaster()
    {
        if (postmasterDead)
        {
            throw new PgException("terminating connection due to unexpected postmaster exit", null,
                "Close this backend; attach again once the cluster is restarted.");
        }
    }

    /** This process's instance of a loaded module. */
    public <T extends org.pgshmem.module.ShmemModule> T module(final Class<T> type)
    {
        return modules.get(type);
    }

    /** This process's slot in the proc array. */
    public int slot()
    {
        return slot;
    }

    /** What this process attached as. */
    public ProcKind kind()
    {
        return kind;
    }

    /** This process's pid. */
    public long pid()
    {
        return Processes.selfPid();
    }

    /** The pid of the postmaster this process attached to. */
    public long postmasterPid()
    {
        return postmasterPid;
    }

    /** Whether the postmaster has begun shutting down (backends should detach). */
    public boolean shutdownRequested()
    {
        return shmem.segment().postmasterState() >= ShmemSegment.PM_STOPPING;
    }

    /** The proc array of the cluster. */
    public ProcArray procArray()
    {
        return procArray;
    }

    /** Whether the postmaster this process attached to still runs. */
    public boolean postmasterAlive()
    {
        final ShmemSegment segment = shmem.segment();
        return Processes.isAlive(segment.creatorPid(), segment.creatorStartToken());
    }

    /**
     * Gives the proc-array slot back and unmaps shared memory. Idempotent. No thread of this
     * process may touch this backend's memory afterwards: reading an unmapped segment crashes the JVM.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        // the heartbeat thread writes to the segment: it must be gone before the unmap
        closing = true;
        LockSupport.unpark(heartbeat);
        try
        {
            heartbeat.join();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        try
        {
            if (!postmasterDead)
            {
                modules.get(Transactions.class).abortOpenTransaction();
            }
        }
        catch (final RuntimeException ex)
        {
            org.pgshmem.util.Elog.warning("could not abort the transaction in progress at detach: " + ex.getMessage());
        }
        try
        {
            if (!postmasterDead)
            {
                // PostgreSQL's AtProcExit_Buffers and LockReleaseAll at backend exit: others go ahead
                // now, not after the reaper
                modules.get(BufferManager.class).detach();
                modules.get(LockManager.class).unlockAll();
                modules.get(LWLocks.class).releaseAllHeldBy(slot, Processes.selfPid());
            }
        }
        catch (final RuntimeException ex)
        {
            org.pgshmem.util.Elog.warning("could not release locks at detach: " + ex.getMessage());
        }
        try
        {
            procArray.release(slot);
        }
        finally
        {
            shmem.close();
        }
    }
}
