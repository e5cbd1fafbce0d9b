package org.pgshmem.xact;

import static org.pgshmem.xact.ClogDescriptor.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.buffer.Page;
import org.pgshmem.lock.LWLock;
import org.pgshmem.lock.LWLockMode;
import org.pgshmem.lock.LWLockTranche;
import org.pgshmem.module.BootstrapContext;
import org.pgshmem.module.ShmemModule;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.proc.ProcSlotDescriptor;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSize;
import org.pgshmem.shmem.StructInit;
import org.pgshmem.util.PgException;
import org.pgshmem.wal.Wal;

/**
 * The commit log (PostgreSQL's clog.c over slru.c), a module: the status of every transaction,
 * two bits each, on 8 KiB pages cached in {@link ClogDescriptor#NUM_BUFFERS} shared page buffers
 * and kept in {@code DATA/clog}. A status is set with one compare-and-set on the long that holds
 * it, under the mapping LWLock held shared; loading and writing pages takes it exclusive. The
 * layouts are in {@link ClogDescriptor} and docs/LAYOUTS.md.
 *
 * <p>Like PostgreSQL's, a page is not WAL-logged: the commit and abort records set the statuses
 * again in recovery, so a checkpoint ({@link #checkpoint}) must make every page durable that
 * holds a status whose record precedes its redo point. A page holding the status of a commit whose
 * record may not be flushed yet (synchronous_commit off) is written only after flushing the WAL up
 * to that record (PostgreSQL's group_lsn).
 */
public final class Clog implements ShmemModule
{
    /** The module's name. */
    public static final String NAME = "clog";
    /** The label of the control structure. */
    public static final String CTL_LABEL = "CLOG Ctl";
    /** The label of the page buffers. */
    public static final String BUFFERS_LABEL = "CLOG Buffers";
    /** The tranche of the mapping lock (PostgreSQL's XactSLRU). */
    public static final String TRANCHE = "XactSLRU";

    /** TRANSACTION_STATUS_IN_PROGRESS: no outcome recorded (also every transaction never written down). */
    public static final int IN_PROGRESS = 0;
    /** TRANSACTION_STATUS_COMMITTED. */
    public static final int COMMITTED = 1;
    /** TRANSACTION_STATUS_ABORTED. */
    public static final int ABORTED = 2;
    /** TRANSACTION_STATUS_SUB_COMMITTED. */
    public static final int SUB_COMMITTED = 3;

    private static final int READ = 0;
    private static final int SET = 1;
    private static final int SET_IF_IN_PROGRESS = 2;
    private static final long DEAD_SHARE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Wal wal;
    private AtomicBuffer ctl;
    private AtomicBuffer pages;
    private LWLock lock;
    private AtomicBuffer procs;
    private ClogFiles files;
    private ByteBuffer io;
    private int lastBuffer;

    /**
     * The commit log of a process whose WAL is {@code wal}: flushed up to a commit before a page
     * holding its status is written, and whose checkpoints write the log ({@link #checkpoint}).
     */
    public Clog(final Wal wal)
    {
        this.wal = wal;
    }

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public long shmemSize(final Settings settings)
    {
        return ShmemSize.addSize(ShmemSize.addSize(ShmemSize.alignUp(CTL_LENGTH), ShmemSize.alignUp(BUFFERS_LENGTH)),
            ShmemSize.alignUp(LWLockTranche.shmemSize(1)));
    }

    @Override
    public void shmemInit(final Shmem shmem)
    {
        this.ctl = shmem.initStruct(CTL_LABEL, CTL_LENGTH, region ->
        {
            region.putLong(LOWEST_WRITTEN_OFFSET, Long.MAX_VALUE);
            region.putLong(HIGHEST_WRITTEN_OFFSET, -1);
        }).buffer();
        this.pages = shmem.initStruct(BUFFERS_LABEL, BUFFERS_LENGTH, StructInit.ZEROED).buffer();
        this.lock = LWLockTranche.init(shmem, TRANCHE, 1).get(0);
        this.procs = shmem.findStruct(ProcArray.LABEL).buffer();
        this.files = new ClogFiles(shmem.dataDirectory());
        // CheckPointGuts: the commit log before the buffers
        wal.onCheckPoint(this::checkpoint);
    }

    /**
     * BootStrapCLOG, at initdb: writes the first page, all zeros, to {@code DATA/clog/0000} and
     * makes it durable.
     */
    @Override
    public void bootstrap(final BootstrapContext context) throws IOException
    {
        final ClogFiles bootstrapFiles = new ClogFiles(context.dataDirectory());
        bootstrapFiles.write(0, ByteBuffer.allocate(PAGE_SIZE));
        bootstrapFiles.sync(0);
        bootstrapFiles.syncDirectory();
    }

    /** The name pg_xact_status would print for a status: {@code in progress}, {@code committed}, ... */
    public static String statusName(final int status)
    {
        return switch (status)
        {
            case IN_PROGRESS -> "in progress";
            case COMMITTED -> "committed";
            case ABORTED -> "aborted";
            case SUB_COMMITTED -> "sub-committed";
            default -> throw new IllegalArgumentException("no transaction status " + status);
        };
    }

    /** TransactionIdGetStatus: the recorded status of transaction {@code xid}. */
    public int status(final long xid)
    {
        return access(xid, READ, 0, 0);
    }

    /**
     * TransactionIdSetTreeStatus for one transaction: records {@code status} for {@code xid}. A
     * page holding it is written to disk only after the WAL is flushed up to {@code commitLsn}
     * ({@code 0}: the record is known to be flushed, or there is none).
     */
    public void setStatus(final long xid, final int status, final long commitLsn)
    {
        checkStatus(status);
        access(xid, SET, status, commitLsn);
    }

    /** Records {@code status} unless another outcome is recorded already; returns the status found before. */
    int setStatusIfInProgress(final long xid, final int status)
    {
        checkStatus(status);
        return access(xid, SET_IF_IN_PROGRESS, status, 0);
    }

    private static void checkStatus(final int status)
    {
        if (status < IN_PROGRESS || status > SUB_COMMITTED)
        {
            throw new IllegalArgumentException("no transaction status " + status);
        }
    }

    private static void checkXid(final long xid)
    {
        if (xid <= 0)
        {
            throw new PgException("invalid transaction ID " + xid, null, "Transaction IDs start at 1.");
        }
    }

    private int access(final long xid, final int op, final int status, final long lsn)
    {
        checkXid(xid);
        final long page = page(xid);
        lock.acquire(LWLockMode.SHARED);
        final int found = find(page);
        if (found >= 0)
        {
            // the shared hold keeps the page in its buffer: the bits need no lock of their own
            final int result = apply(found, xid, op, status, lsn);
            lock.release(LWLockMode.SHARED);
            return result;
        }
        lock.release(LWLockMode.SHARED);
        lock.acquire(LWLockMode.EXCLUSIVE);
        try
        {
            return apply(load(page), xid, op, status, lsn);
        }
        finally
        {
            lock.release(LWLockMode.EXCLUSIVE);
        }
    }

    /**
     * For the postmaster's cleanup after a process that died in {@code deadSlot}: records
     * {@code status} for {@code xid} unless another outcome is recorded, without waiting for the
     * mapping lock the dead process may hold, and returns the status found before. If it held the
     * lock exclusively, the cleanup takes it over (a page it was loading is left empty, so the
     * entries are consistent). If it held a share and the page must be loaded, the status cannot
     * be recorded before that share is released: returns -1 then, and the transaction stays
     * "in progress" in the log, which readers take for aborted once no process runs it (as
     * PostgreSQL's pg_xact_status does).
     */
    int setStatusForDeadProcess(final long xid, final int status, final int deadSlot)
    {
        checkXid(xid);
        checkStatus(status);
        final long page = page(xid);
        if (lock.adoptExclusive(deadSlot))
        {
            try
            {
                return apply(load(page), xid, SET_IF_IN_PROGRESS, status, 0);
            }
            finally
            {
                lock.release(LWLockMode.EXCLUSIVE);
            }
        }
        lock.acquire(LWLockMode.SHARED);
        final int found = find(page);
        if (found >= 0)
        {
            final int before = apply(found, xid, SET_IF_IN_PROGRESS, status, 0);
            lock.release(LWLockMode.SHARED);
            return before;
        }
        lock.release(LWLockMode.SHARED);
        while (!lock.tryAcquire(LWLockMode.EXCLUSIVE))
        {
            if (holdsShare(deadSlot))
            {
                return -1;
            }
            // a live holder: it lets go once its one page I/O is done
            LockSupport.parkNanos(DEAD_SHARE_POLL_NANOS);
        }
        try
        {
            return apply(load(page), xid, SET_IF_IN_PROGRESS, status, 0);
        }
        finally
        {
            lock.release(LWLockMode.EXCLUSIVE);
        }
    }

    /** Whether process slot {@code slot} records a shared hold of the mapping lock (its record is the lock's offset). */
    private boolean holdsShare(final int slot)
    {
        final int first = ProcSlotDescriptor.slotOffset(slot) + ProcSlotDescriptor.HELD_LWLOCKS_OFFSET;
        for (int i = 0; i < ProcSlotDescriptor.MAX_HELD_LWLOCKS; i++)
        {
            if (procs.getIntVolatile(first + i * Integer.BYTES) == lock.offset())
            {
                return true;
            }
        }
        return false;
    }

    /** Reads or sets the bits of {@code xid} in buffer {@code buf}, with the lock held in either mode. */
    private int apply(final int buf, final long xid, final int op, final int status, final long lsn)
    {
        touch(buf);
        final int word = buf * PAGE_SIZE + wordOffset(xid);
        final int shift = shift(xid);
        int current;
        while (true)
        {
            final long old = pages.getLongVolatile(word);
            current = (int)(old >>> shift & STATUS_MASK);
            if (op == READ || op == SET_IF_IN_PROGRESS && current != IN_PROGRESS)
            {
                return current;
            }
            final long update = old & ~(STATUS_MASK << shift) | (long)status << shift;
            if (update == old || pages.compareAndSetLong(word, old, update))
            {
                break;
            }
        }
        final int entry = entryOffset(buf);
        long pageLsn;
        while (lsn > (pageLsn = ctl.getLongVolatile(entry + ENTRY_LSN_OFFSET))
            && !ctl.compareAndSetLong(entry + ENTRY_LSN_OFFSET, pageLsn, lsn))
        {
            Thread.onSpinWait();
        }
        // after the bits: a writer holds the lock exclusively, so it clears Dirty before it copies
        if (ctl.getIntVolatile(entry + ENTRY_DIRTY_OFFSET) == 0)
        {
            ctl.putIntVolatile(entry + ENTRY_DIRTY_OFFSET, 1);
        }
        return current;
    }

    /** SlruRecentlyUsed: a new stamp only if another page was used since, so a hot page costs no atomic add. */
    private void touch(final int buf)
    {
        final int at = entryOffset(buf) + ENTRY_LRU_OFFSET;
        if (ctl.getLongVolatile(at) != ctl.getLongVolatile(LRU_CLOCK_OFFSET))
        {
            ctl.putLongRelease(at, ctl.getAndAddLong(LRU_CLOCK_OFFSET, 1) + 1);
        }
    }

    /** The buffer holding {@code page}, or -1; with the lock held in either mode. */
    private int find(final long page)
    {
        final int hint = lastBuffer;
        if (holds(hint, page))
        {
            return hint;
        }
        for (int buf = 0; buf < NUM_BUFFERS; buf++)
        {
            if (holds(buf, page))
            {
                lastBuffer = buf;
                return buf;
            }
        }
        return -1;
    }

    private boolean holds(final int buf, final long page)
    {
        final int entry = entryOffset(buf);
        return ctl.getIntVolatile(entry + ENTRY_STATUS_OFFSET) == ENTRY_VALID
            && ctl.getLongVolatile(entry + ENTRY_PAGE_OFFSET) == page;
    }

    private ByteBuffer io()
    {
        if (io == null)
        {
            io = Page.allocate();
        }
        return io;
    }

    /**
     * SimpleLruReadPage, with the lock held exclusively: the buffer holding {@code page}, read
     * into the least recently used buffer (written first if dirty) if no buffer holds it.
     */
    private int load(final long page)
    {
        final int found = find(page);
        if (found >= 0)
        {
            return found;
        }
        int victim = -1;
        long oldest = Long.MAX_VALUE;
        for (int buf = 0; buf < NUM_BUFFERS && oldest > Long.MIN_VALUE; buf++)
        {
            final int entry = entryOffset(buf);
            if (ctl.getIntVolatile(entry + ENTRY_STATUS_OFFSET) == ENTRY_EMPTY)
            {
                victim = buf;
                oldest = Long.MIN_VALUE;
            }
            else if (ctl.getLongVolatile(entry + ENTRY_LRU_OFFSET) < oldest)
            {
                victim = buf;
                oldest = ctl.getLongVolatile(entry + ENTRY_LRU_OFFSET);
            }
        }
        final int entry = entryOffset(victim);
        if (ctl.getIntVolatile(entry + ENTRY_STATUS_OFFSET) == ENTRY_VALID
            && ctl.getIntVolatile(entry + ENTRY_DIRTY_OFFSET) != 0)
        {
            write(victim);
        }
        // empty before the bytes change: a death while reading leaves no page claiming to be loaded
        ctl.putIntVolatile(entry + ENTRY_STATUS_OFFSET, ENTRY_EMPTY);
        final ByteBuffer buffer = io();
        files.read(page, buffer);
        pages.putBytes(victim * PAGE_SIZE, buffer, 0, PAGE_SIZE);
        ctl.putLong(entry + ENTRY_PAGE_OFFSET, page);
        ctl.putLong(entry + ENTRY_LSN_OFFSET, 0);
        ctl.putInt(entry + ENTRY_DIRTY_OFFSET, 0);
        ctl.putIntVolatile(entry + ENTRY_STATUS_OFFSET, ENTRY_VALID);
        touch(victim);
        lastBuffer = victim;
        return victim;
    }

    /** SlruPhysicalWritePage, with the lock held exclusively: the WAL first, then the page, no fsync. */
    private void write(final int buf)
    {
        final int entry = entryOffset(buf);
        final long page = ctl.getLongVolatile(entry + ENTRY_PAGE_OFFSET);
        final long lsn = ctl.getLongVolatile(entry + ENTRY_LSN_OFFSET);
        if (lsn != 0)
        {
            wal.flush(lsn);
        }
        ctl.putIntVolatile(entry + ENTRY_DIRTY_OFFSET, 0);
        final ByteBuffer buffer = io();
        pages.getBytes(buf * PAGE_SIZE, buffer, 0, PAGE_SIZE);
        try
        {
            files.write(page, buffer);
        }
        catch (final RuntimeException ex)
        {
            ctl.putIntVolatile(entry + ENTRY_DIRTY_OFFSET, 1);
            throw ex;
        }
        noteWritten(page, page);
    }

    /** Widens the range of pages written since the last checkpoint; with the lock held exclusively. */
    private void noteWritten(final long lowest, final long highest)
    {
        if (lowest < ctl.getLong(LOWEST_WRITTEN_OFFSET))
        {
            ctl.putLongVolatile(LOWEST_WRITTEN_OFFSET, lowest);
        }
        if (highest > ctl.getLong(HIGHEST_WRITTEN_OFFSET))
        {
            ctl.putLongVolatile(HIGHEST_WRITTEN_OFFSET, highest);
        }
    }

    /**
     * CheckPointCLOG: writes every dirty page, then fsyncs every segment file written since the
     * last checkpoint (by any process) and the directory. Returns how many pages it wrote.
     */
    public int checkpoint()
    {
        int written = 0;
        final long lowest;
        final long highest;
        lock.acquire(LWLockMode.EXCLUSIVE);
        try
        {
            for (int buf = 0; buf < NUM_BUFFERS; buf++)
            {
                final int entry = entryOffset(buf);
                if (ctl.getIntVolatile(entry + ENTRY_STATUS_OFFSET) == ENTRY_VALID
                    && ctl.getIntVolatile(entry + ENTRY_DIRTY_OFFSET) != 0)
                {
                    write(buf);
                    written++;
                }
            }
            lowest = ctl.getLong(LOWEST_WRITTEN_OFFSET);
            highest = ctl.getLong(HIGHEST_WRITTEN_OFFSET);
            ctl.putLongVolatile(LOWEST_WRITTEN_OFFSET, Long.MAX_VALUE);
            ctl.putLongVolatile(HIGHEST_WRITTEN_OFFSET, -1);
        }
        finally
        {
            lock.release(LWLockMode.EXCLUSIVE);
        }
        try
        {
            if (highest >= 0)
            {
                for (long segment = segment(lowest); segment <= segment(highest); segment++)
                {
                    files.sync(segment);
                }
            }
            files.syncDirectory();
        }
        catch (final RuntimeException ex)
        {
            // the next checkpoint fsyncs these files again
            lock.acquire(LWLockMode.EXCLUSIVE);
            try
            {
                noteWritten(lowest, highest);
            }
            finally
            {
                lock.release(LWLockMode.EXCLUSIVE);
            }
            throw ex;
        }
        return written;
    }
}
