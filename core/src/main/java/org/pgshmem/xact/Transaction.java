package org.pgshmem.xact;

import static org.pgshmem.buffer.PageHeaderDescriptor.PAGE_SIZE;
import static org.pgshmem.xact.XactRecordDescriptor.*;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.buffer.BufferManager;
import org.pgshmem.buffer.PageHeaderDescriptor;
import org.pgshmem.control.ControlFile;
import org.pgshmem.lock.LWLockMode;
import org.pgshmem.lock.LockManager;
import org.pgshmem.util.Elog;
import org.pgshmem.util.PgException;
import org.pgshmem.wal.Wal;
import org.pgshmem.wal.WalRecordType;

/**
 * A backend's transaction (PostgreSQL's transaction block): {@link #begin}, writes that stay in
 * the process until {@link #commit} (at most {@link XactRecordDescriptor#MAX_BLOCKS} blocks),
 * reads that see them, and {@link #abort}. The first write takes a transaction id; a transaction
 * that wrote nothing commits without a record. One object per process, reused; one thread at a
 * time, as a PostgreSQL backend.
 *
 * <p>A commit is one WAL record holding every change, so that it is all or nothing whenever the
 * process dies: the blocks are pinned and locked exclusively in (relation, block) order, the
 * record is built (a block gets a full-page image at its first change after a checkpoint, when it
 * was never logged, or when its changes would take more than half a page) and inserted, the WAL is
 * flushed up to it (with synchronous_commit), and only then are the pages changed, their LSNs
 * set, and the commit recorded in the commit log. From the insertion on, the record is applied
 * again by the postmaster if the process dies; a failure there is a PANIC: the process halts and
 * the postmaster applies the record.
 */
public final class Transaction
{
    /** The exit code of a process that halted in a commit (a PANIC, or the test hook). */
    public static final int PANIC_EXIT_CODE = 134;
    /**
     * Test-only: with this system property set to true, a process halts as soon as its commit
     * record is inserted, holding its pins and content locks, as if it were killed there.
     */
    public static final String HALT_AFTER_COMMIT_INSERT_PROPERTY = "pgshmem.test.haltAfterCommitInsert";
    /** Test-only: what runs right after a commit record is inserted (the property's halt, or a unit test's). */
    static Runnable afterCommitInsert = Boolean.getBoolean(HALT_AFTER_COMMIT_INSERT_PROPERTY)
        ? () -> Runtime.getRuntime().halt(PANIC_EXIT_CODE) : null;

    private final Transactions transactions;
    private final Clog clog;
    private final Wal wal;
    private final BufferManager buffers;
    private final LockManager locks;
    private final boolean synchronousCommit;
    private final WriteSet writeSet = new WriteSet();
    private final UnsafeBuffer record = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_COMMIT_LENGTH));
    private final CommitRecord commitRecord = new CommitRecord();
    private final UnsafeBuffer wrapped = new UnsafeBuffer(new byte[0]);
    private final int[] order = new int[MAX_BLOCKS];
    private final int[] held = new int[MAX_BLOCKS];
    private boolean inProgress;
    private long xid;
    private int images;

    Transaction(final Transactions transactions, final Clog clog, final Wal wal, final BufferManager buffers,
        final LockManager locks, final boolean synchronousCommit)
    {
        this.transactions = transactions;
        this.clog = clog;
        this.wal = wal;
        this.buffers = buffers;
        this.locks = locks;
        this.synchronousCommit = synchronousCommit;
    }

    /** BEGIN. */
    public void begin()
    {
        if (inProgress)
        {
            throw new PgException("there is already a transaction in progress");
        }
        inProgress = true;
    }

    /** Whether a transaction was begun and has not ended. */
    public boolean inProgress()
    {
        return inProgress;
    }

    /** The transaction's id, 0 while it has written nothing (txid_current_if_assigned). */
    public long xid()
    {
        return xid;
    }

    private void requireInProgress()
    {
        if (!inProgress)
        {
            throw new PgException("there is no transaction in progress");
        }
    }

    /**
     * Checks a page address as {@link #write} and {@link #read} do: relation and block from 0, and
     * {@code length} bytes at {@code offset} inside the page's contents (past its 24-byte header).
     *
     * @throws PgException "invalid page address: ...", "offset N and length M do not fit in a page"
     */
    public static void checkAddress(final int relation, final int block, final int offset, final int length)
    {
        WriteSet.check(relation, block, offset, length);
    }

    /** {@link #write(int, int, int, DirectBuffer, int, int)} of a whole array. */
    public void write(final int relation, final int block, final int offset, final byte[] bytes)
    {
        wrapped.wrap(bytes);
        write(relation, block, offset, wrapped, 0, bytes.length);
    }

    /**
     * Writes {@code src[srcOffset, srcOffset + length)} at byte {@code offset} of block {@code block}
     * of relation {@code relation}, in this transaction only: others see it once it commits. The
     * offset lies past the page header (24 bytes); the block may lie past the relation's end (the
     * commit extends the relation up to it).
     *
     * @throws PgException "there is no transaction in progress", "too many blocks changed in one
     *     transaction", an address that does not fit a page; nothing is written then
     */
    public void write(final int relation, final int block, final int offset, final DirectBuffer src,
        final int srcOffset, final int length)
    {
        requireInProgress();
        writeSet.write(relation, block, offset, src, srcOffset, length);
        if (xid == 0)
        {
            xid = transactions.assignXid(transactions.mySlot());
        }
    }

    /** {@link #read(int, int, int, MutableDirectBuffer, int, int)} into a whole array. */
    public void read(final int relation, final int block, final int offset, final byte[] into)
    {
        wrapped.wrap(into);
        read(relation, block, offset, wrapped, 0, into.length);
    }

    /**
     * Reads {@code length} bytes at {@code offset} of the block into {@code dst}: the committed page
     * under its shared content lock, with this transaction's own writes over it. A block this
     * transaction adds past the relation's end reads as an empty page with its writes. Works
     * outside a transaction too (the committed page alone).
     */
    public void read(final int relation, final int block, final int offset, final MutableDirectBuffer dst,
        final int dstOffset, final int length)
    {
        WriteSet.check(relation, block, offset, length);
        final int index = inProgress ? writeSet.find(relation, block) : -1;
        if (index >= 0 && block >= buffers.nblocks(relation))
        {
            dst.setMemory(dstOffset, length, (byte)0);
        }
        else
        {
            final int buf = buffers.readBuffer(relation, block);
            try
            {
                buffers.lockBuffer(buf, LWLockMode.SHARED);
                try
                {
                    buffers.page(buf).getBytes(offset, dst, dstOffset, length);
                }
                finally
                {
                    buffers.unlockBuffer(buf, LWLockMode.SHARED);
                }
            }
            finally
            {
                buffers.releaseBuffer(buf);
            }
        }
        if (index >= 0)
        {
            writeSet.overlay(index, offset, offset + length, dst, dstOffset);
        }
    }

    /**
     * COMMIT: makes the writes durable (with synchronous_commit) and visible together, and ends the
     * transaction; returns the commit record's end LSN, or {@link Wal#INVALID_LSN} when nothing
     * was written. A failure before the record is inserted (a relation that cannot be extended, a
     * corrupt page) aborts the transaction and is thrown.
     */
    public long commit()
    {
        requireInProgress();
        if (xid == 0)
        {
            end();
            return Wal.INVALID_LSN;
        }
        final int n = writeSet.count();
        int pinned = 0;
        int locked = 0;
        long end;
        int length;
        try
        {
            extendRelations(n);
            sortBlocks(n);
            for (; pinned < n; pinned++)
            {
                held[pinned] = buffers.readBuffer(writeSet.relation(order[pinned]), writeSet.block(order[pinned]));
            }
            for (; locked < n; locked++)
            {
                buffers.lockBuffer(held[locked], LWLockMode.EXCLUSIVE);
            }
            do
            {
                final long redo = wal.redoRecPtr();
                length = buildCommitRecord(n, redo, wal.fullPageWrites());
                end = wal.insert(WalRecordType.XACT_COMMIT, xid, record, 0, length, redo, true);
            }
            while (end == Wal.INVALID_LSN);
            wal.countFullPageImages(images);
        }
        catch (final RuntimeException ex)
        {
            release(locked, pinned);
            try
            {
                abort();
            }
            catch (final RuntimeException abortFailure)
            {
                ex.addSuppressed(abortFailure);
            }
            throw ex;
        }
        if (afterCommitInsert != null)
        {
            afterCommitInsert.run();
        }
        finishCommit(n, end, length);
        release(n, n);
        end();
        return end;
    }

    /** Step a of a commit: blocks past a relation's end are added, outside any content lock. */
    private void extendRelations(final int n)
    {
        for (int i = 0; i < n; i++)
        {
            final int relation = writeSet.relation(i);
            while (buffers.nblocks(relation) <= writeSet.block(i))
            {
                buffers.releaseBuffer(buffers.extend(relation, locks));
            }
        }
    }

    /** The write set's blocks in (relation, block) order, the order every committer locks them in. */
    private void sortBlocks(final int n)
    {
        for (int i = 0; i < n; i++)
        {
            int j = i;
            while (j > 0 && before(i, order[j - 1]))
            {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }
    }

    private boolean before(final int a, final int b)
    {
        final int ra = writeSet.relation(a);
        final int rb = writeSet.relation(b);
        return ra != rb ? ra < rb : writeSet.block(a) < writeSet.block(b);
    }

    /** Step c: the payload of the commit record, blocks in lock order; returns its length. */
    private int buildCommitRecord(final int n, final long redo, final boolean fullPageWrites)
    {
        CommitRecord.putHeader(record, TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()), n);
        images = 0;
        int at = CommitRecord.firstBlock();
        for (int i = 0; i < n; i++)
        {
            final int index = order[i];
            final AtomicBuffer page = buffers.page(held[i]);
            final long pageLsn = page.getLong(PageHeaderDescriptor.LSN_OFFSET);
            final int data = at + BLOCK_HEADER_LENGTH;
            // a page never logged, or not since the checkpoint began, could be torn on disk: log it whole
            if (pageLsn == Wal.INVALID_LSN || fullPageWrites && pageLsn <= redo
                || writeSet.deltaBytes(index) > MAX_DELTA_BYTES)
            {
                record.putBytes(data, page, 0, PAGE_SIZE);
                writeSet.overlay(index, 0, PAGE_SIZE, record, data);
                images++;
                at = CommitRecord.putBlock(record, at, writeSet.relation(index), writeSet.block(index), true, 0,
                    PAGE_SIZE);
            }
            else
            {
                final int dataEnd = writeSet.putDeltas(index, record, data);
                at = CommitRecord.putBlock(record, at, writeSet.relation(index), writeSet.block(index), false,
                    writeSet.deltaCount(index), dataEnd - data);
            }
        }
        return at;
    }

    /**
     * Steps e to g, the critical section: the record is in the WAL, so the commit happens whatever
     * fails here; a failure halts the process, whose cleanup applies the record (a PANIC).
     */
    private void finishCommit(final int n, final long end, final int length)
    {
        try
        {
            if (synchronousCommit)
            {
                wal.flush(end);
            }
            commitRecord.wrap(record, length);
            int at = CommitRecord.firstBlock();
            for (int i = 0; i < n; i++)
            {
                commitRecord.apply(at, buffers.page(held[i]), end);
                buffers.markDirty(held[i]);
                at = commitRecord.nextBlock(at);
            }
            clog.setStatus(xid, Clog.COMMITTED, synchronousCommit ? Wal.INVALID_LSN : end);
            wal.endApply();
            transactions.endXid(transactions.mySlot());
        }
        catch (final Throwable t)
        {
            Elog.fatal("PANIC: could not finish the commit of transaction " + xid + ": " + t,
                "Its commit record, ending at " + ControlFile.formatLsn(end) + ", is in the WAL.",
                "The postmaster applies it once this process is gone.");
            Runtime.getRuntime().halt(PANIC_EXIT_CODE);
        }
    }

    /** Unlocks the first {@code locked} blocks and releases the first {@code pinned}. */
    private void release(final int locked, final int pinned)
    {
        for (int i = 0; i < locked; i++)
        {
            buffers.unlockBuffer(held[i], LWLockMode.EXCLUSIVE);
        }
        for (int i = 0; i < pinned; i++)
        {
            buffers.releaseBuffer(held[i]);
        }
    }

    /**
     * ROLLBACK: forgets the writes and ends the transaction; one that had taken an id logs its
     * abort (not flushed: an abort lost in a crash reads as aborted anyway) and records it.
     */
    public void abort()
    {
        requireInProgress();
        final long aborting = xid;
        end();
        if (aborting == 0)
        {
            return;
        }
        try
        {
            record.putLong(TIME_OFFSET, TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()));
            long lsn;
            do
            {
                lsn = wal.insert(WalRecordType.XACT_ABORT, aborting, record, 0, ABORT_LENGTH, wal.redoRecPtr(), false);
            }
            while (lsn == Wal.INVALID_LSN);
        }
        finally
        {
            try
            {
                clog.setStatus(aborting, Clog.ABORTED, Wal.INVALID_LSN);
            }
            finally
            {
                transactions.endXid(transactions.mySlot());
            }
        }
    }

    private void end()
    {
        writeSet.clear();
        xid = 0;
        inProgress = false;
    }
}
