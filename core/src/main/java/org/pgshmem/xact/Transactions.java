package org.pgshmem.xact;

import static org.pgshmem.xact.TransamVariablesDescriptor.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.buffer.BufferManager;
import org.pgshmem.buffer.PageHeaderDescriptor;
import org.pgshmem.control.ControlFile;
import org.pgshmem.lock.LWLockMode;
import org.pgshmem.lock.LockManager;
import org.pgshmem.module.ShmemModule;
import org.pgshmem.proc.MyProc;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.util.Elog;
import org.pgshmem.util.PgException;
import org.pgshmem.wal.Wal;
import org.pgshmem.wal.WalRecord;
import org.pgshmem.wal.WalRecordType;

/**
 * Transactions (PostgreSQL's xact.c and varsup.c), a module: struct "Transam Variables" with the
 * next transaction id and the id each process runs ({@link TransamVariablesDescriptor}), the
 * process's one {@link Transaction}, the replay of commit and abort records, and the cleanup
 * after a process that died in the middle of a transaction.
 *
 * <p>Transaction ids are 64-bit and never wrap. The postmaster seeds Next XID from the control
 * file; recovery raises it past every id it replays ({@link #advanceNextXid}).
 */
public final class Transactions implements ShmemModule
{
    /** The module's name. */
    public static final String NAME = "xact";
    /** The label of struct "Transam Variables". */
    public static final String LABEL = "Transam Variables";
    /** The first transaction id of a new cluster (the control file of initdb says 1). */
    public static final long FIRST_XID = 1;

    private static final long ASSIGNING_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Clog clog;
    private final Wal wal;
    private final BufferManager buffers;
    private final LockManager locks;
    private final CommitRecord replayed = new CommitRecord();
    private AtomicBuffer vars;
    private int slots;
    private MyProc me;
    private boolean synchronousCommit;
    private Transaction transaction;

    /** The transactions of a process whose commit log, WAL, buffers and heavyweight locks are these. */
    public Transactions(final Clog clog, final Wal wal, final BufferManager buffers, final LockManager locks)
    {
        this.clog = clog;
        this.wal = wal;
        this.buffers = buffers;
        this.locks = locks;
    }

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public long shmemSize(final Settings settings)
    {
        return TransamVariablesDescriptor.length(ProcArray.slotCount(settings));
    }

    @Override
    public void shmemInit(final Shmem shmem)
    {
        final Settings settings = shmem.settings();
        this.slots = ProcArray.slotCount(settings);
        this.vars = shmem.initStruct(LABEL, TransamVariablesDescriptor.length(slots),
            region -> region.putLongVolatile(NEXT_XID_OFFSET, firstXid(shmem.dataDirectory()))).buffer();
        this.me = shmem.processLocal(MyProc.class, MyProc::new);
        this.synchronousCommit = settings.getBoolean("synchronous_commit");
        wal.registerRedo(WalRecordType.XACT_COMMIT, this::redoCommit);
        wal.registerRedo(WalRecordType.XACT_ABORT, this::redoAbort);
        wal.nextXidSource(this::nextXid);
    }

    /** Next XID as the last checkpoint recorded it; a bare data directory (tests) starts at {@link #FIRST_XID}. */
    private static long firstXid(final Path dataDirectory)
    {
        if (!Files.exists(dataDirectory.resolve(ControlFile.PATH)))
        {
            return FIRST_XID;
        }
        return Math.max(FIRST_XID, ControlFile.read(dataDirectory).nextXid());
    }

    /** This process's transaction: the same object for every transaction it runs. */
    public Transaction transaction()
    {
        if (transaction == null)
        {
            transaction = new Transaction(this, clog, wal, buffers, locks, synchronousCommit);
        }
        return transaction;
    }

    /** AbortOutOfAnyTransaction, at a process's detach: rolls back the transaction it left open, if any. */
    public void abortOpenTransaction()
    {
        if (transaction != null && transaction.inProgress())
        {
            transaction.abort();
        }
    }

    /** ReadNextTransactionId: the id the next transaction to write will get. */
    public long nextXid()
    {
        return vars.getLongVolatile(NEXT_XID_OFFSET);
    }

    /** GetNewTransactionId: takes the next id; see {@link #assignXid(int)} for one a process records as its own. */
    public long assignXid()
    {
        return vars.getAndAddLong(NEXT_XID_OFFSET, 1);
    }

    /**
     * Takes the next id and records it as the one slot {@code slot} runs; the slot says
     * {@link TransamVariablesDescriptor#ASSIGNING} first, so that a reader never sees an id below
     * Next XID that is neither running nor finished.
     */
    long assignXid(final int slot)
    {
        final int at = slotXidOffset(slot);
        vars.putLongVolatile(at, ASSIGNING);
        final long xid = assignXid();
        vars.putLongVolatile(at, xid);
        return xid;
    }

    /** The running transaction of slot {@code slot} has ended (ProcArrayEndTransaction). */
    void endXid(final int slot)
    {
        vars.putLongVolatile(slotXidOffset(slot), 0);
    }

    /** This process's slot, which its transaction records its id in. */
    int mySlot()
    {
        me.requireSlot("a transaction id");
        return me.slot();
    }

    /**
     * Recovery saw transaction {@code xid}: Next XID becomes at least {@code xid + 1}
     * (PostgreSQL's AdvanceNextFullTransactionIdPastXid).
     */
    public void advanceNextXid(final long xid)
    {
        long next;
        while ((next = vars.getLongVolatile(NEXT_XID_OFFSET)) <= xid
            && !vars.compareAndSetLong(NEXT_XID_OFFSET, next, xid + 1))
        {
            Thread.onSpinWait();
        }
    }

    /** The id the process in slot {@code slot} runs, 0 for none (PGPROC->xid). */
    public long xidOf(final int slot)
    {
        final long xid = vars.getLongVolatile(slotXidOffset(slot));
        return xid == ASSIGNING ? 0 : xid;
    }

    /**
     * TransactionIdIsInProgress: whether a process runs {@code xid}. A slot in the middle of taking
     * an id is waited for, briefly: its id may be this one.
     */
    public boolean isRunning(final long xid)
    {
        final long deadline = System.nanoTime() + ASSIGNING_WAIT_NANOS;
        while (true)
        {
            boolean assigning = false;
            for (int slot = 0; slot < slots; slot++)
            {
                final long running = vars.getLongVolatile(slotXidOffset(slot));
                if (running == xid)
                {
                    return true;
                }
                assigning |= running == ASSIGNING;
            }
            // a slot stuck in ASSIGNING belongs to a process that died taking its id: that id never ran
            if (!assigning || System.nanoTime() - deadline > 0)
            {
                return false;
            }
            Thread.onSpinWait();
        }
    }

    /**
     * pg_xact_status: {@link Clog#IN_PROGRESS} while a process runs {@code xid}, else
     * {@link Clog#COMMITTED} or {@link Clog#ABORTED}; a transaction that no process runs and whose
     * outcome was never recorded (its process or the server crashed) was aborted. Checks the
     * running ones first: a committer records its outcome before it stops running.
     */
    public int transactionStatus(final long xid)
    {
        if (xid <= 0)
        {
            throw new PgException("invalid transaction ID " + xid, null, "Transaction IDs start at " + FIRST_XID + ".");
        }
        if (xid >= nextXid())
        {
            throw new PgException("transaction ID " + xid + " is in the future");
        }
        if (isRunning(xid))
        {
            return Clog.IN_PROGRESS;
        }
        final int status = clog.status(xid);
        return status == Clog.COMMITTED ? Clog.COMMITTED : Clog.ABORTED;
    }

    /** Redo of XACT_COMMIT: the pages, then the commit log, then Next XID. */
    private void redoCommit(final WalRecord record)
    {
        replayCommit(record, -1);
        advanceNextXid(record.xid());
    }

    /** Redo of XACT_ABORT: the commit log and Next XID. */
    private void redoAbort(final WalRecord record)
    {
        clog.setStatus(record.xid(), Clog.ABORTED, 0);
        advanceNextXid(record.xid());
    }

    /**
     * Applies the blocks of a commit record whose LSN is older than its end, then records the
     * commit. In recovery ({@code deadSlot} -1) each page is read for redo and locked; for the
     * repair of a commit that the process in {@code deadSlot} left half-applied the pages are in
     * buffers it pinned and locked exclusively, and stay locked by it until its LWLocks are
     * released after this: they are written without taking their locks.
     */
    private void replayCommit(final WalRecord record, final int deadSlot)
    {
        final CommitRecord commit = replayed.wrap(record.payload(), record.payloadLength());
        final long end = record.endLsn();
        int at = CommitRecord.firstBlock();
        for (int i = 0; i < commit.blockCount(); i++)
        {
            final int buf = deadSlot < 0 ? buffers.readBufferForRedo(commit.relation(at), commit.block(at),
                commit.hasImage(at)) : buffers.readBuffer(commit.relation(at), commit.block(at));
            try
            {
                if (deadSlot < 0)
                {
                    buffers.lockBuffer(buf, LWLockMode.EXCLUSIVE);
                }
                try
                {
                    if (buffers.page(buf).getLong(PageHeaderDescriptor.LSN_OFFSET) < end)
                    {
                        commit.apply(at, buffers.page(buf), end);
                        buffers.markDirty(buf);
                    }
                }
                finally
                {
                    if (deadSlot < 0)
                    {
                        buffers.unlockBuffer(buf, LWLockMode.EXCLUSIVE);
                    }
                }
            }
            finally
            {
                buffers.releaseBuffer(buf);
            }
            at = commit.nextBlock(at);
        }
        if (deadSlot < 0)
        {
            clog.setStatus(record.xid(), Clog.COMMITTED, 0);
        }
        else if (clog.setStatusForDeadProcess(record.xid(), Clog.COMMITTED, deadSlot) < 0)
        {
            Elog.warning("could not record the commit of transaction " + record.xid() + " in the commit log: the"
                + " terminated process held its mapping lock; recovery records it at the next start");
        }
    }

    /**
     * In the postmaster, for a process that died in {@code slot}: a commit it had inserted and was
     * applying is applied again from the WAL and recorded as committed; a transaction it ran that
     * had not inserted its commit is recorded as aborted. Runs before the WAL's cleanup (which
     * ends an insertion left incomplete) and before its pins and LWLocks are released.
     */
    @Override
    public void cleanupProcess(final int slot, final long pid)
    {
        final long xid = xidOf(slot);
        try
        {
            if (wal.insertState(slot) == Wal.INSERT_APPLYING)
            {
                final long start = wal.insertStartOf(slot);
                // durable before visible, as for a live commit
                wal.flushForRepair(slot);
                final WalRecord record = wal.readRecord(start);
                if (record.type() == WalRecordType.XACT_COMMIT)
                {
                    replayCommit(record, slot);
                    Elog.log("applied the commit of transaction " + record.xid() + " at "
                        + ControlFile.formatLsn(start) + " that terminated process " + pid + " left half-applied");
                }
            }
            else if (xid > 0 && clog.setStatusForDeadProcess(xid, Clog.ABORTED, slot) == Clog.IN_PROGRESS)
            {
                Elog.log("transaction " + xid + " of terminated process " + pid + " aborted");
            }
        }
        finally
        {
            endXid(slot);
        }
    }
}
