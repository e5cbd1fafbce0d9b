package org.pgshmem.xact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgshmem.xact.ClogDescriptor.NUM_BUFFERS;
import static org.pgshmem.xact.ClogDescriptor.PAGES_PER_SEGMENT;
import static org.pgshmem.xact.ClogDescriptor.PAGE_SIZE;
import static org.pgshmem.xact.ClogDescriptor.XACTS_PER_PAGE;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.lock.LWLock;
import org.pgshmem.lock.LWLockMode;
import org.pgshmem.lock.LWLockTranche;
import org.pgshmem.module.BootstrapContext;
import org.pgshmem.module.Modules;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.util.PgException;
import org.pgshmem.wal.Wal;

/**
 * The commit log alone: a segment with the proc array and the clog module, two handles on it
 * standing for two processes A and B (each its own MyProc and slot), and the data directory's
 * {@code clog} files. The WAL is an unattached module: no status here carries a commit LSN.
 */
class ClogTest
{
    private static final Settings SETTINGS = Settings.defaults().with("max_connections", "4").with("inbox_size", "4");

    @TempDir
    Path dir;

    private final List<Shmem> handles = new ArrayList<>();

    private record Proc(Shmem shmem, Clog clog, int slot)
    {
        /** The clog's mapping lock as this process sees it. */
        LWLock mappingLock()
        {
            return LWLockTranche.init(shmem, Clog.TRANCHE, 1).get(0);
        }
    }

    private Path segmentFile()
    {
        return dir.resolve("segment");
    }

    private Proc create() throws IOException
    {
        Files.createDirectories(dir.resolve("data"));
        final long size = ShmemSegment.overhead() + Modules.SLACK + new ProcArray().shmemSize(SETTINGS)
            + new Clog(new Wal()).shmemSize(SETTINGS);
        return attach(Shmem.open(ShmemSegment.create(segmentFile(), size, 42), SETTINGS, dir.resolve("data")));
    }

    private Proc attachAnother()
    {
        return attach(Shmem.open(ShmemSegment.attach(segmentFile(), 10_000), SETTINGS, dir.resolve("data")));
    }

    private Proc attach(final Shmem shmem)
    {
        handles.add(shmem);
        final ProcArray procs = new ProcArray();
        procs.shmemInit(shmem);
        final Clog clog = new Clog(new Wal());
        clog.shmemInit(shmem);
        return new Proc(shmem, clog, procs.claimBackend());
    }

    /** A restart: the segment is made again, the clog files stay. */
    private Proc restart() throws IOException
    {
        closeAll();
        Files.delete(segmentFile());
        return create();
    }

    @AfterEach
    void closeAll()
    {
        for (int i = handles.size() - 1; i >= 0; i--)
        {
            handles.get(i).close();
        }
        handles.clear();
    }

    /** A status for every xid that mixes the outcomes within each byte and word. */
    private static int expected(final long xid)
    {
        return (int)(xid * 7 % 3);
    }

    /** Xids around every page boundary of the first {@code pages} pages, and some in between. */
    private static List<Long> xidsOver(final int pages)
    {
        final List<Long> xids = new ArrayList<>();
        for (long page = 0; page < pages; page++)
        {
            final long first = page * XACTS_PER_PAGE;
            for (long xid = Math.max(1, first - 3); xid < first + 4; xid++)
            {
                xids.add(xid);
            }
            for (long xid = first + 101; xid < first + XACTS_PER_PAGE - 4; xid += 997)
            {
                xids.add(xid);
            }
        }
        return xids;
    }

    @Test
    void statusesOfTransactionsOnMorePagesThanTheBuffersHoldReadBackAfterEvictionAndRestart() throws IOException
    {
        final int pages = NUM_BUFFERS + 8;
        final Proc a = create();
        final List<Long> xids = xidsOver(pages);
        for (final long xid : xids)
        {
            a.clog().setStatus(xid, expected(xid), 0);
        }
        for (final long xid : xids)
        {
            assertEquals(expected(xid), a.clog().status(xid), "xid " + xid + " read back, its page maybe evicted");
        }
        assertEquals(Clog.IN_PROGRESS, a.clog().status(XACTS_PER_PAGE + 50), "a neighbour never set");
        a.clog().checkpoint();
        assertTrue(Files.exists(dir.resolve("data/clog/0000")));
        assertTrue(Files.exists(dir.resolve("data/clog/0001")), "pages 32 and on live in the second segment file");

        final Proc again = restart();
        for (final long xid : xids)
        {
            assertEquals(expected(xid), again.clog().status(xid), "xid " + xid + " after a restart");
        }
    }

    @Test
    void aStatusIsTwoBitsAtPostgresqlsPlaceInTheSegmentFile() throws IOException
    {
        final Proc a = create();
        final long xid = 40L * XACTS_PER_PAGE + 4 * 1000 + 2;
        a.clog().setStatus(xid, Clog.ABORTED, 0);
        a.clog().setStatus(xid + 1, Clog.COMMITTED, 0);
        assertEquals(1, a.clog().checkpoint(), "one dirty page");
        assertEquals(0, a.clog().checkpoint(), "nothing dirty after it");
        final byte[] file = Files.readAllBytes(dir.resolve("data/clog/0001"));
        assertEquals((40 - PAGES_PER_SEGMENT + 1) * PAGE_SIZE, file.length, "the file ends with the page");
        final int b = file[(40 - PAGES_PER_SEGMENT) * PAGE_SIZE + 1000] & 0xFF;
        assertEquals(Clog.ABORTED << 4 | Clog.COMMITTED << 6, b, "xid % 4 == 2 at bits 4-5, xid % 4 == 3 at bits 6-7");
    }

    @Test
    void aPageNeverWrittenReadsAsInProgressAndCreatesNoFile() throws IOException
    {
        final Proc a = create();
        assertEquals(Clog.IN_PROGRESS, a.clog().status(1_000L * XACTS_PER_PAGE + 17));
        assertEquals(0, a.clog().checkpoint());
        try (var files = Files.list(dir.resolve("data")))
        {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().equals("clog")), "nothing was written");
        }
        assertThrows(PgException.class, () -> a.clog().status(0), "0 is no transaction");
    }

    @Test
    void bootstrapWritesAnEmptyFirstPage() throws IOException
    {
        final Path data = dir.resolve("bootstrapped");
        Files.createDirectories(data);
        new Clog(new Wal()).bootstrap(new BootstrapContext(data, SETTINGS, 42));
        final byte[] file = Files.readAllBytes(data.resolve("clog/0000"));
        assertEquals(PAGE_SIZE, file.length);
        for (final byte b : file)
        {
            assertEquals(0, b);
        }
    }

    @Test
    void fourProcessesSettingNeighbouringTransactionsInTheSameWordsLoseNoStatus() throws Exception
    {
        final Proc a = create();
        final int threads = 4;
        final int each = 50_000;
        // a thread each, as a process each (a handle, MyProc and slot of its own): backends are single-threaded
        final List<Proc> procs = new ArrayList<>(List.of(a));
        for (int t = 1; t < threads; t++)
        {
            procs.add(attachAnother());
        }
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try
        {
            final List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final int first = t + 1;
                final Clog clog = procs.get(t).clog();
                // thread t sets every 4th xid: the four share each byte and word of the page
                done.add(pool.submit(() ->
                {
                    for (long xid = first; xid < (long)threads * each; xid += threads)
                    {
                        clog.setStatus(xid, expected(xid) == 0 ? Clog.COMMITTED : expected(xid), 0);
                    }
                }));
            }
            for (final Future<?> f : done)
            {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        finally
        {
            // no thread may touch the segment once the test unmaps it
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
        }
        for (long xid = 1; xid < (long)threads * each; xid++)
        {
            assertEquals(expected(xid) == 0 ? Clog.COMMITTED : expected(xid), a.clog().status(xid), "xid " + xid);
        }
    }

    @Test
    void anOutcomeOnceRecordedIsNotOverwrittenByACleanup() throws IOException
    {
        final Proc a = create();
        a.clog().setStatus(10, Clog.COMMITTED, 0);
        assertEquals(Clog.COMMITTED, a.clog().setStatusIfInProgress(10, Clog.ABORTED));
        assertEquals(Clog.COMMITTED, a.clog().status(10));
        assertEquals(Clog.IN_PROGRESS, a.clog().setStatusIfInProgress(11, Clog.ABORTED));
        assertEquals(Clog.ABORTED, a.clog().status(11));
    }

    @Test
    void aCleanupTakesOverTheMappingLockADeadProcessHeldExclusively() throws IOException
    {
        final Proc a = create();
        final Proc b = attachAnother();
        final LWLock bLock = b.mappingLock();
        bLock.acquire(LWLockMode.EXCLUSIVE);
        // b "dies" holding it: a's cleanup must neither wait nor leave it held
        assertEquals(Clog.IN_PROGRESS, a.clog().setStatusForDeadProcess(5L * XACTS_PER_PAGE, Clog.ABORTED, b.slot()));
        assertFalse(a.mappingLock().isHeld(), "taken over, then released");
        assertEquals(Clog.ABORTED, a.clog().status(5L * XACTS_PER_PAGE));
    }

    @Test
    void aCleanupDoesNotWaitForAShareOfTheMappingLockADeadProcessHeld() throws IOException
    {
        final Proc a = create();
        final Proc b = attachAnother();
        a.clog().setStatus(3, Clog.COMMITTED, 0);
        final LWLock bLock = b.mappingLock();
        bLock.acquire(LWLockMode.SHARED);
        try
        {
            assertEquals(Clog.IN_PROGRESS, a.clog().setStatusForDeadProcess(4, Clog.ABORTED, b.slot()),
                "page 0 is in a buffer: a share is enough");
            assertEquals(-1, a.clog().setStatusForDeadProcess(7L * XACTS_PER_PAGE, Clog.ABORTED, b.slot()),
                "loading page 7 needs the lock exclusively, which b's share keeps: given up, not waited for");
        }
        finally
        {
            bLock.release(LWLockMode.SHARED);
        }
        assertEquals(Clog.ABORTED, a.clog().status(4));
        assertEquals(Clog.IN_PROGRESS, a.clog().status(7L * XACTS_PER_PAGE));
    }
}
