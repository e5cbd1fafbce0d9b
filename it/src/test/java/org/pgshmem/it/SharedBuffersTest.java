package org.pgshmem.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.pgshmem.backend.Backend;
import org.pgshmem.buffer.BufferStatsView;
import org.pgshmem.buffer.Page;
import org.pgshmem.buffer.PageHeaderDescriptor;
import org.pgshmem.cli.LineProcess;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.testing.TestCluster;
import org.pgshmem.util.DurableFiles;

/**
 * The shared buffer manager with real processes: counters in pages of a relation ten times larger
 * than the 16 buffers, so that every few reads evict; one read for a page two processes miss
 * together; a process killed holding pins and a content lock; a corrupt page; and the background
 * writer cleaning ahead of the clock and hibernating.
 */
class SharedBuffersTest extends ClusterTestSupport
{
    private static final Duration WAIT = TestCluster.WAIT;
    private static final int REL = 16384;

    private LineProcess child(final String name) throws Exception
    {
        final LineProcess p = LineProcess.startJvm(name, BufferChild.class.getName(), List.of(dir()));
        assertEquals("ready", p.readLine(WAIT), name + ": " + p.stderrTail());
        return p;
    }

    private BufferStatsView stats()
    {
        try (Shmem shmem = Backend.inspect(cluster.dataDir()))
        {
            return BufferStatsView.read(shmem);
        }
    }

    private long[] relationStats(final int relation)
    {
        for (final long[] r : stats().relations())
        {
            if (r[0] == relation)
            {
                return r;
            }
        }
        return new long[] {relation, 0, 0, 0};
    }

    /** The counters of every page of the relation file, each page's checksum verified first. */
    private long sumOnDisk(final int relation, final int blocks) throws Exception
    {
        final byte[] file = Files.readAllBytes(cluster.dataDir().resolve("base").resolve(Integer.toString(relation)));
        assertEquals((long)blocks * PageHeaderDescriptor.PAGE_SIZE, file.length);
        long sum = 0;
        for (int block = 0; block < blocks; block++)
        {
            final ByteBuffer page = ByteBuffer.wrap(file, block * PageHeaderDescriptor.PAGE_SIZE,
                PageHeaderDescriptor.PAGE_SIZE).slice().order(ByteOrder.LITTLE_ENDIAN);
            assertTrue(Page.verify(page, block), "block " + block + " verifies");
            sum += page.getLong(BufferChild.COUNTER);
        }
        return sum;
    }

    @Test
    void fourProcessesIncrementingPagesOfARelationTenTimesLargerThanSharedBuffersLoseNothing() throws Exception
    {
        newCluster().initdb("shared_buffers=16").start();
        final int blocks = 160;
        final int each = 3_000;
        try (LineProcess setup = child("setup"))
        {
            assertEquals("extended " + blocks, setup.ask("extend " + REL + " " + blocks, WAIT));
        }
        final List<LineProcess> writers = new ArrayList<>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                writers.add(child("writer " + i));
            }
            for (int i = 0; i < 4; i++)
            {
                writers.get(i).send("increment " + REL + " " + blocks + " " + each + " " + (42 + i));
            }
            for (final LineProcess w : writers)
            {
                assertEquals("done", w.readLine(WAIT), w.stderrTail());
            }
            assertEquals("sum " + 4 * each, writers.get(0).ask("sum " + REL + " " + blocks, WAIT));
        }
        finally
        {
            writers.forEach(LineProcess::close);
        }
        final BufferStatsView during = stats();
        assertTrue(during.buffersAlloc() > 4 * each / 2, "evictions happened: " + during.buffersAlloc() + " allocations");

        cluster.stop("fast");
        assertEquals(4 * each, sumOnDisk(REL, blocks), "the shutdown wrote every dirty buffer");
        cluster.start();
        try (LineProcess reader = child("reader"))
        {
            assertEquals("sum " + 4 * each, reader.ask("sum " + REL + " " + blocks, WAIT));
        }
    }

    @Test
    void twoProcessesMissingOnTheSamePageReadItOnce() throws Exception
    {
        newCluster().initdb("shared_buffers=16").start();
        try (LineProcess setup = child("setup"))
        {
            assertEquals("extended 1", setup.ask("extend " + REL + " 1", WAIT));
        }
        cluster.stop("fast");
        cluster.start();
        try (LineProcess a = child("a"); LineProcess b = child("b"))
        {
            a.send("read " + REL + " 0");
            b.send("read " + REL + " 0");
            assertEquals("value 0", a.readLine(WAIT));
            assertEquals("value 0", b.readLine(WAIT));
            assertEquals("sent", a.ask("stats", WAIT));
            assertEquals("sent", b.ask("stats", WAIT));
        }
        final long[] r = relationStats(REL);
        assertEquals(1, r[2], "one read");
        assertEquals(1, r[1], "the other process hit, after waiting for that read if it came during it");
    }

    @Test
    void aProcessKilledHoldingPinsAndAContentLockGivesThemBackWithinOneSecond() throws Exception
    {
        newCluster().initdb("shared_buffers=16").start();
        try (LineProcess setup = child("setup"))
        {
            assertEquals("extended 40", setup.ask("extend " + REL + " 40", WAIT));
        }
        try (LineProcess holder = child("holder"); LineProcess other = child("other"))
        {
            for (int block = 0; block < 15; block++)
            {
                assertEquals("pinned", holder.ask("pin " + REL + " " + block, WAIT));
            }
            assertEquals("locked", holder.ask("lockx " + REL + " 15", WAIT));
            assertEquals("error: no unpinned buffers available", other.ask("read " + REL + " 20", WAIT),
                "all 16 buffers are pinned");
            other.send("read " + REL + " 15");
            holder.process().destroyForcibly();
            assertTrue(holder.process().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
            final long start = System.nanoTime();
            assertEquals("value 0", other.readLine(WAIT), "the content lock was released");
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms < 1_000, "the page was usable " + ms + " ms after the holder died");
            System.out.println("buffer page usable " + ms + " ms after the pin and content-lock holder was killed");
            assertEquals("done", other.ask("increment " + REL + " 40 200 7", WAIT), "every buffer is usable again");
            TestCluster.await("the release to be logged",
                () -> logContains("released 16 buffer pin(s) and 0 I/O(s) in progress of terminated process "
                    + holder.pid()));
        }
    }

    @Test
    void aCorruptPageOnDiskIsReportedAndNeitherUsedNorOverwritten() throws Exception
    {
        newCluster().initdb("shared_buffers=16").start();
        try (LineProcess s = cluster.backend("writer"))
        {
            assertEquals("ok", s.ask("write " + REL + " 2 100 three pages", WAIT));
        }
        cluster.stop("fast");
        final Path file = cluster.dataDir().resolve("base/" + REL);
        final byte[] bytes = Files.readAllBytes(file);
        bytes[PageHeaderDescriptor.PAGE_SIZE + 4000] ^= 0x40;
        Files.write(file, bytes);
        cluster.start();
        try (LineProcess s = cluster.backend("reader"))
        {
            assertEquals("error: invalid page in block 1 of relation " + REL, s.ask("read " + REL + " 1 100 5", WAIT));
            assertEquals("error: invalid page in block 1 of relation " + REL, s.ask("read " + REL + " 1 100 5", WAIT),
                "still refused: the bad page was not taken into the buffer");
            assertEquals("ok three pages", s.ask("read " + REL + " 2 100 11", WAIT), "other pages are fine");
            assertEquals("ok 0", s.ask("flush", WAIT));
        }
        cluster.stop("fast");
        assertArrayEquals(bytes, Files.readAllBytes(file), "nothing was written over the corrupt page");
    }

    @Test
    void theBackgroundWriterCleansAheadOfTheClockSoBackendsWriteLessAndHibernatesWhenIdle() throws Exception
    {
        final long withoutBgwriter = backendWrites("bgwriter_lru_maxpages=0");
        cluster.close();
        DurableFiles.deleteTree(cluster.dataDir());
        final long withBgwriter = backendWrites("bgwriter_lru_maxpages=100");
        final BufferStatsView s = stats();
        assertTrue(s.buffersClean() > 0, "the background writer wrote buffers: " + s);
        assertTrue(withBgwriter < withoutBgwriter, "backends wrote " + withBgwriter + " buffers with the background"
            + " writer and " + withoutBgwriter + " without");
        TestCluster.await("the background writer to hibernate", () -> stats().bgwriterHibernating());
        System.out.println("backend writes with the background writer: " + withBgwriter + ", without: "
            + withoutBgwriter + "; " + s);
    }

    @Test
    void aHibernatingBackgroundWriterIsWokenByTheNextBufferAllocation() throws Exception
    {
        // hibernation sleeps 50 × 200 ms = 10 s: cleaning within 5 s means an allocation woke it
        newCluster().initdb("shared_buffers=16", "bgwriter_delay=200ms").start();
        try (LineProcess w = child("writer"))
        {
            assertEquals("extended 64", w.ask("extend " + REL + " 64", WAIT));
            TestCluster.await("the background writer to hibernate", () -> stats().bgwriterHibernating());
            final long cleaned = stats().buffersClean();
            final long start = System.nanoTime();
            w.send("increment " + REL + " 64 2000 5 8 10");
            final long deadline = start + TimeUnit.SECONDS.toNanos(5);
            while (stats().buffersClean() == cleaned && System.nanoTime() < deadline)
            {
                Thread.sleep(10);
            }
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(stats().buffersClean() > cleaned, "the background writer cleaned nothing within " + ms + " ms");
            System.out.println("the hibernating background writer cleaned its first buffer " + ms + " ms after"
                + " the workload began");
            assertEquals("done", w.readLine(WAIT));
        }
    }

    /** A paced workload over 64 pages with 16 buffers; returns buffers written by backends. */
    private long backendWrites(final String bgwriter) throws Exception
    {
        newCluster().initdb("shared_buffers=16", "bgwriter_delay=10ms", bgwriter).start();
        try (LineProcess w = child("writer"))
        {
            assertEquals("extended 64", w.ask("extend " + REL + " 64", WAIT));
            final long before = stats().buffersBackend();
            assertEquals("done", w.ask("increment " + REL + " 64 1500 3 8 20", WAIT));
            return stats().buffersBackend() - before;
        }
    }
}
