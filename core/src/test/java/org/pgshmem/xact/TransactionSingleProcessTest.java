package org.pgshmem.xact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.buffer.BufferManager;
import org.pgshmem.buffer.PageHeaderDescriptor;
import org.pgshmem.control.ControlFile;
import org.pgshmem.initdb.InitDb;
import org.pgshmem.module.Modules;
import org.pgshmem.proc.MyProc;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.proc.ProcKind;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.util.PgException;
import org.pgshmem.util.Processes;
import org.pgshmem.wal.CheckPoint;
import org.pgshmem.wal.StartupXlog;
import org.pgshmem.wal.Wal;
import org.pgshmem.wal.WalRecordType;

/**
 * Transactions in one JVM: a "postmaster" handle that ran startup, and "backend" handles A and
 * B on the same segment, each with its own modules and slot. A "dead" B is one whose slot the
 * postmaster's cleanup runs for while its locks, pins and WAL insertion state are still in place;
 * a "crash" drops the segment without a checkpoint, and the next startup replays the WAL.
 */
class TransactionSingleProcessTest
{
    private static final int REL = 16384;

    @TempDir
    Path dir;

    private final List<Shmem> handles = new ArrayList<>();
    private Path data;
    private Settings settings;

    private record Proc(Shmem shmem, Modules modules)
    {
        Transaction transaction()
        {
            return modules.get(Transactions.class).transaction();
        }

        Transactions transactions()
        {
            return modules.get(Transactions.class);
        }

        Wal wal()
        {
            return modules.get(Wal.class);
        }

        BufferManager buffers()
        {
            return modules.get(BufferManager.class);
        }

        int slot()
        {
            return shmem.processLocal(MyProc.class, MyProc::new).slot();
        }

        /** An autocommitted write. */
        long write(final int block, final int offset, final String text)
        {
            return begin(block, offset, text).commit();
        }

        /** A transaction begun with one write, not committed. */
        Transaction begin(final int block, final int offset, final String text)
        {
            final Transaction t = transaction();
            t.begin();
            t.write(REL, block, offset, text.getBytes(StandardCharsets.UTF_8));
            return t;
        }

        String read(final int block, final int offset, final int length)
        {
            final byte[] bytes = new byte[length];
            transaction().read(REL, block, offset, bytes);
            return new String(bytes, StandardCharsets.UTF_8).replace("\0", "");
        }
    }

    private Path segmentFile()
    {
        return dir.resolve("segment");
    }

    private Proc postmaster() throws IOException
    {
        if (data == null)
        {
            data = dir.resolve("data");
            InitDb.run(data, List.of("wal_buffers=64", "max_connections=4", "shared_buffers=128kB"),
                new PrintStream(java.io.OutputStream.nullOutputStream()));
            settings = Settings.load(data, List.of());
        }
        final Modules modules = Modules.load(settings);
        final Shmem shmem = Shmem.open(ShmemSegment.create(segmentFile(), modules.calculateShmemSize(settings),
            ControlFile.read(data).systemIdentifier()), settings, data);
        handles.add(shmem);
        modules.shmemInit(shmem);
        modules.get(ProcArray.class).claimFixed(ProcKind.POSTMASTER);
        StartupXlog.run(shmem, modules, ControlFile.read(data));
        return new Proc(shmem, modules);
    }

    private Proc backend()
    {
        final Shmem shmem = Shmem.open(ShmemSegment.attach(segmentFile(), 10_000), settings, data);
        handles.add(shmem);
        final Modules modules = Modules.load(settings);
        modules.shmemInit(shmem);
        modules.get(ProcArray.class).claimBackend();
        return new Proc(shmem, modules);
    }

    /** A crash: every handle goes, nothing is written or checkpointed; the data directory stays. */
    private void crash() throws IOException
    {
        closeAll();
        Files.delete(segmentFile());
    }

    @AfterEach
    void closeAll()
    {
        Transaction.afterCommitInsert = null;
        for (int i = handles.size() - 1; i >= 0; i--)
        {
            handles.get(i).close();
        }
        handles.clear();
    }

    /** The commit record this process inserted last. */
    private static CommitRecord lastCommit(final Proc p)
    {
        final var record = p.wal().readRecord(p.wal().lastInsertLsn());
        assertEquals(WalRecordType.XACT_COMMIT, record.type());
        return new CommitRecord().wrap(record.payload(), record.payloadLength());
    }

    @Test
    void othersSeeATransactionsWritesOnlyOnceItCommitsAndItSeesThemAtOnce() throws IOException
    {
        postmaster();
        final Proc a = backend();
        final Proc b = backend();
        a.write(0, 100, "old");
        final Transaction t = a.transaction();
        t.begin();
        assertEquals(0, t.xid(), "no id before the first write");
        t.write(REL, 0, 100, "new".getBytes(StandardCharsets.UTF_8));
        t.write(REL, 3, 200, "a block past the end".getBytes(StandardCharsets.UTF_8));
        final long xid = t.xid();
        assertTrue(xid > 0);
        assertEquals(Clog.IN_PROGRESS, b.transactions().transactionStatus(xid));
        assertEquals(xid, b.transactions().xidOf(a.slot()));
        assertEquals("new", a.read(0, 100, 3), "read your own writes");
        assertEquals("a block past the end", a.read(3, 200, 20), "even on a block the relation does not have yet");
        assertEquals("old", b.read(0, 100, 3));
        assertEquals(1, b.buffers().nblocks(REL), "nothing is extended before the commit");

        final long lsn = t.commit();
        assertFalse(t.inProgress());
        assertTrue(lsn > 0);
        assertTrue(b.wal().flushedUpTo() >= lsn, "synchronous_commit: flushed before commit returns");
        assertEquals("new", b.read(0, 100, 3));
        assertEquals("a block past the end", b.read(3, 200, 20));
        assertEquals(Clog.COMMITTED, b.transactions().transactionStatus(xid));
        assertEquals(0, b.transactions().xidOf(a.slot()));
        final int buf = b.buffers().readBuffer(REL, 3);
        assertEquals(lsn, b.buffers().page(buf).getLong(PageHeaderDescriptor.LSN_OFFSET), "the page LSN is the commit's end");
        b.buffers().releaseBuffer(buf);
    }

    @Test
    void anAbortedTransactionLeavesNothingAndAReadOnlyOneNoRecord() throws IOException
    {
        postmaster();
        final Proc a = backend();
        final Proc b = backend();
        a.write(0, 100, "kept");
        final Transaction t = a.begin(0, 100, "gone");
        final long xid = t.xid();
        t.abort();
        assertEquals(0, t.xid());
        assertEquals("kept", a.read(0, 100, 4));
        assertEquals("kept", b.read(0, 100, 4));
        assertEquals(Clog.ABORTED, b.transactions().transactionStatus(xid));
        assertEquals(WalRecordType.XACT_ABORT, a.wal().readRecord(a.wal().lastInsertLsn()).type());

        final long before = a.wal().insertPosition();
        t.begin();
        assertEquals("kept", a.read(0, 100, 4));
        assertEquals(Wal.INVALID_LSN, t.commit());
        assertEquals(before, a.wal().insertPosition(), "a transaction that wrote nothing logs nothing");
        assertEquals("there is no transaction in progress", assertThrows(PgException.class, t::commit).getMessage());
        assertEquals("there is no transaction in progress", assertThrows(PgException.class, t::abort).getMessage());
        t.begin();
        assertEquals("there is already a transaction in progress", assertThrows(PgException.class, t::begin).getMessage());
        assertThrows(PgException.class, () -> b.transactions().transactionStatus(b.transactions().nextXid()),
            "an id not given yet is in the future");
    }

    @Test
    void aPageGetsAFullImageAtItsFirstChangeAfterACheckpointAndDeltasAfterThat() throws IOException
    {
        final Proc pm = postmaster();
        final Proc a = backend();
        a.write(0, 100, "first");
        assertTrue(lastCommit(a).hasImage(CommitRecord.firstBlock()), "a page never logged is logged whole");
        a.write(0, 100, "second");
        assertFalse(lastCommit(a).hasImage(CommitRecord.firstBlock()), "then its changes");
        CheckPoint.create(pm.shmem(), pm.modules(), CheckPoint.IMMEDIATE | CheckPoint.FORCE, CheckPoint.Pacer.IMMEDIATE);
        a.write(0, 100, "third");
        assertTrue(lastCommit(a).hasImage(CommitRecord.firstBlock()), "the first change after a checkpoint");
        final byte[] big = new byte[5000];
        java.util.Arrays.fill(big, (byte)'z');
        final Transaction t = a.transaction();
        t.begin();
        t.write(REL, 0, 1000, big);
        t.commit();
        assertTrue(lastCommit(a).hasImage(CommitRecord.firstBlock()), "changes larger than half a page");
    }

    @Test
    void sixteenBlocksCommitTogetherAndASeventeenthIsRefusedWithoutEndingTheTransaction() throws IOException
    {
        postmaster();
        final Proc a = backend();
        final Proc b = backend();
        final Transaction t = a.transaction();
        t.begin();
        for (int block = 15; block >= 0; block--)
        {
            t.write(REL, block, 24, ("block " + block).getBytes(StandardCharsets.UTF_8));
        }
        assertThrows(PgException.class, () -> t.write(REL, 16, 24, "x".getBytes(StandardCharsets.UTF_8)));
        assertTrue(t.inProgress());
        t.commit();
        assertEquals(16, lastCommit(a).blockCount());
        for (int block = 0; block < 16; block++)
        {
            assertEquals("block " + block, b.read(block, 24, ("block " + block).length()));
        }
    }

    @Test
    void aCommitThatDiedAfterItsRecordIsAppliedByThePostmastersCleanup() throws IOException
    {
        final Proc pm = postmaster();
        final Proc a = backend();
        final Proc b = backend();
        a.write(0, 100, "before");
        a.write(1, 100, "before");
        final Transaction t = b.begin(1, 100, "AFTER!");
        t.write(REL, 0, 100, "AFTER!".getBytes(StandardCharsets.UTF_8));
        final long xid = t.xid();
        final class Killed extends RuntimeException
        {
        }
        Transaction.afterCommitInsert = () ->
        {
            throw new Killed();
        };
        assertThrows(Killed.class, t::commit);
        Transaction.afterCommitInsert = null;
        assertEquals(Wal.INSERT_APPLYING, pm.wal().insertState(b.slot()), "b holds its locks and pins, applying");
        final long start = pm.wal().insertStartOf(b.slot());

        pm.modules().cleanupProcess(b.slot(), Processes.selfPid());
        assertEquals(Wal.INSERT_IDLE, pm.wal().insertState(b.slot()));
        assertEquals("AFTER!", a.read(0, 100, 6));
        assertEquals("AFTER!", a.read(1, 100, 6));
        assertEquals(Clog.COMMITTED, a.transactions().transactionStatus(xid));
        final int buf = a.buffers().readBuffer(REL, 0);
        assertEquals(pm.wal().readRecord(start).endLsn(), a.buffers().page(buf).getLong(PageHeaderDescriptor.LSN_OFFSET));
        a.buffers().releaseBuffer(buf);
        a.write(0, 100, "later ");
        assertEquals("later ", a.read(0, 100, 6), "its content locks were released");
    }

    @Test
    void aTransactionWhoseProcessDiedBeforeCommittingIsAbortedAndLeavesNothing() throws IOException
    {
        final Proc pm = postmaster();
        final Proc a = backend();
        final Proc b = backend();
        a.write(0, 100, "before");
        final Transaction t = b.begin(0, 100, "never!");
        final long xid = t.xid();
        pm.modules().cleanupProcess(b.slot(), Processes.selfPid());
        assertEquals(Clog.ABORTED, a.transactions().transactionStatus(xid));
        assertEquals(0, a.transactions().xidOf(b.slot()));
        assertEquals("before", a.read(0, 100, 6));
    }

    @Test
    void recoveryReplaysCommitsAbortsAndTheNextXidAndHealsATornPageFromItsImage() throws IOException
    {
        postmaster();
        Proc a = backend();
        a.write(0, 100, "one");
        a.write(0, 200, "two");
        a.write(2, 100, "three");
        final Transaction t = a.begin(1, 100, "aborted");
        final long abortedXid = t.xid();
        t.abort();
        // an abort is not flushed; this commit's flush takes it to disk too
        a.write(2, 300, "four");
        final long next = a.transactions().nextXid();
        // the commits only reached the WAL: the relation file holds the empty pages extend wrote
        crash();
        try (RandomAccessFile file = new RandomAccessFile(data.resolve("base/" + REL).toFile(), "rw"))
        {
            // block 2 torn: half of it garbage; its commit carries its image
            file.seek(2L * PageHeaderDescriptor.PAGE_SIZE + 4096);
            file.write(new byte[] {1, 2, 3, 4, 5});
        }

        postmaster();
        a = backend();
        assertEquals("one", a.read(0, 100, 3));
        assertEquals("two", a.read(0, 200, 3));
        assertEquals("three", a.read(2, 100, 5));
        assertEquals("four", a.read(2, 300, 4));
        assertEquals("", a.read(1, 100, 7));
        assertEquals(Clog.ABORTED, a.modules().get(Clog.class).status(abortedXid), "the abort was replayed");
        assertEquals(Clog.COMMITTED, a.modules().get(Clog.class).status(abortedXid - 1));
        assertEquals(Clog.COMMITTED, a.transactions().transactionStatus(abortedXid + 1));
        assertEquals(next, a.transactions().nextXid(), "past every id replayed: none is given twice");
    }
}
