package org.pgshmem.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgshmem.buffer.BufferDescriptorLayout.*;
import static org.pgshmem.buffer.PageHeaderDescriptor.PAGE_SIZE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.agrona.concurrent.AtomicBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.lock.LWLock;
import org.pgshmem.lock.LWLockMode;
import org.pgshmem.lock.LWLockTranche;
import org.pgshmem.lock.LockManager;
import org.pgshmem.module.Modules;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.util.PgException;
import org.pgshmem.util.Processes;

/**
 * The buffer manager in one JVM: two handles on one segment, each with its own modules, MyProc
 * and backend slot, stand for two processes A and B sharing 16 buffers and one data directory.
 * A "dead" B is one whose slot the postmaster's cleanup is run for while its records are still
 * in place.
 */
class BufferManagerSingleProcessTest
{
    private static final int REL = 16384;
    private static final int OTHER_REL = 16385;
    private static final long PID = Processes.selfPid();

    /** One attached "process". */
    private record Proc(Shmem shmem, Modules modules, int slot, BufferManager bm, LockManager locks)
    {
        static Proc attach(final Shmem shmem)
        {
            final Modules modules = Modules.load(shmem.settings());
            modules.shmemInit(shmem);
            final int slot = modules.get(ProcArray.class).claimBackend();
            return new Proc(shmem, modules, slot, modules.get(BufferManager.class), modules.get(LockManager.class));
        }

        ProcArray procArray()
        {
            return modules.get(ProcArray.class);
        }
    }

    @TempDir
    Path dir;

    private Path data;
    private Proc a;
    private Proc b;

    @BeforeEach
    void twoProcessesAttached() throws IOException
    {
        attachBoth(16);
    }

    private void attachBoth(final int sharedBuffers) throws IOException
    {
        data = Files.createTempDirectory(dir, "data");
        final Settings settings = Settings.defaults().with("shared_buffers", Integer.toString(sharedBuffers))
            .with("max_connections", "2").with("inbox_size", "4");
        final long size = Modules.load(settings).calculateShmemSize(settings);
        final Path file = data.resolve("segment");
        a = Proc.attach(Shmem.open(ShmemSegment.create(file, size, 42), settings, data));
        b = Proc.attach(Shmem.open(ShmemSegment.attach(file, 10_000), settings, data));
    }

    @AfterEach
    void detach()
    {
        a.bm().detach();
        b.shmem().close();
        a.shmem().close();
    }

    private long state(final int buf)
    {
        return a.bm().state(buf);
    }

    private int refcount(final int buf)
    {
        return BufferDescriptorLayout.refcount(state(buf));
    }

    private void extendTo(final Proc p, final int relation, final int blocks)
    {
        while (p.bm().nblocks(relation) < blocks)
        {
            p.bm().releaseBuffer(p.bm().extend(relation, p.locks()));
        }
    }

    /** The buffer holding a valid copy of the page, or -1. */
    private int cached(final int relation, final int block)
    {
        for (int buf = 0; buf < a.bm().nbuffers(); buf++)
        {
            if ((state(buf) & (TAG_VALID | VALID)) == (TAG_VALID | VALID) && a.bm().relation(buf) == relation
                && a.bm().block(buf) == block)
            {
                return buf;
            }
        }
        return -1;
    }

    private void assertNoBufferPinned()
    {
        for (int buf = 0; buf < a.bm().nbuffers(); buf++)
        {
            assertEquals(0, refcount(buf), "buffer " + buf + " is unpinned");
        }
    }

    private ByteBuffer pageOnDisk(final int relation, final int block) throws IOException
    {
        final byte[] file = Files.readAllBytes(data.resolve("base").resolve(Integer.toString(relation)));
        return ByteBuffer.wrap(file, block * PAGE_SIZE, PAGE_SIZE).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The pin records of a slot: {buffer, count} of the used ones. */
    private List<int[]> pinRecords(final int slot)
    {
        final AtomicBuffer pins = a.shmem().findStruct(BufferManager.PINS_LABEL).buffer();
        final List<int[]> records = new ArrayList<>();
        for (int i = 0; i < BufferManager.MAX_PINNED; i++)
        {
            final int record = (slot * BufferManager.MAX_PINNED + i) * 8;
            if (pins.getInt(record) != 0)
            {
                records.add(new int[] {pins.getInt(record) - 1, pins.getInt(record + 4)});
            }
        }
        return records;
    }

    private void cleanUpAfterDeathOfB()
    {
        a.bm().cleanupProcess(b.slot(), PID);
    }

    @Test
    void anExtendedPageChangedAndFlushedIsInTheFileWithItsChecksum() throws IOException
    {
        final int buf = a.bm().extend(REL, a.locks());
        assertEquals(1, a.bm().nblocks(REL));
        assertEquals(REL, a.bm().relation(buf));
        assertEquals(0, a.bm().block(buf));
        assertEquals(1, refcount(buf));
        final AtomicBuffer page = a.bm().page(buf);
        assertEquals(24, page.getShort(PageHeaderDescriptor.LOWER_OFFSET), "an extension is an initialized page");

        a.bm().lockBuffer(buf, LWLockMode.EXCLUSIVE);
        page.putLong(100, 42);
        a.bm().markDirty(buf);
        a.bm().unlockBuffer(buf, LWLockMode.EXCLUSIVE);
        assertEquals(VALID | TAG_VALID | DIRTY | JUST_DIRTIED, state(buf) & ~(REFCOUNT_MASK | USAGE_MASK));
        a.bm().releaseBuffer(buf);
        assertEquals(0, refcount(buf));
        assertEquals(0, pageOnDisk(REL, 0).getLong(100), "not written yet");

        final int seenByB = b.bm().readBuffer(REL, 0);
        assertEquals(buf, seenByB, "B finds the page in the same shared buffer");
        assertEquals(42, b.bm().page(seenByB).getLong(100));
        b.bm().releaseBuffer(seenByB);

        assertEquals(1, a.bm().flushAll());
        assertEquals(0, state(buf) & (DIRTY | JUST_DIRTIED | IO_IN_PROGRESS));
        final ByteBuffer onDisk = pageOnDisk(REL, 0);
        assertEquals(42, onDisk.getLong(100));
        assertTrue(Page.verify(onDisk, 0), "written with the checksum of block 0");
        assertNotEquals(0, onDisk.getShort(PageHeaderDescriptor.CHECKSUM_OFFSET));
        assertEquals(0, a.bm().flushAll(), "nothing dirty any more");
    }

    @Test
    void aPageReadAgainAfterEvictionComesBackFromTheFile()
    {
        extendTo(a, REL, 1);
        int buf = a.bm().readBuffer(REL, 0);
        a.bm().lockBuffer(buf, LWLockMode.EXCLUSIVE);
        a.bm().page(buf).putLong(200, 7);
        a.bm().markDirty(buf);
        a.bm().unlockBuffer(buf, LWLockMode.EXCLUSIVE);
        a.bm().releaseBuffer(buf);

        extendTo(b, OTHER_REL, 40);
        assertEquals(-1, cached(REL, 0), "evicted by 40 other pages, written first since it was dirty");

        buf = b.bm().readBuffer(REL, 0);
        assertEquals(7, b.bm().page(buf).getLong(200));
        b.bm().releaseBuffer(buf);
    }

    @Test
    void readingPastTheEndOfTheFileFailsAndLeavesNoPin()
    {
        extendTo(a, REL, 1);
        final PgException ex = assertThrows(PgException.class, () -> a.bm().readBuffer(REL, 5));
        assertEquals("could not read block 5 in file \"base/16384\": read only 0 of 8192 bytes", ex.getMessage());
        assertNoBufferPinned();
        assertEquals(-1, cached(REL, 5));
    }

    @Test
    void readingARelationWithoutAFileSaysNoSuchFileOrDirectory()
    {
        final PgException ex = assertThrows(PgException.class, () -> a.bm().readBuffer(999, 0));
        assertEquals("could not open file \"base/999\": No such file or directory", ex.getMessage());
        assertNoBufferPinned();
    }

    @Test
    void negativeRelationsAndBlocksAreRefused()
    {
        final PgException ex = assertThrows(PgException.class, () -> a.bm().readBuffer(REL, -1));
        assertEquals("invalid page address: block -1 of relation 16384", ex.getMessage());
    }

    @Test
    void extendingANegativeRelationIsRefusedBeforeAnyFileIsWritten()
    {
        final PgException ex = assertThrows(PgException.class, () -> a.bm().extend(-1, a.locks()));
        assertEquals("invalid relation number -1", ex.getMessage());
        assertFalse(Files.exists(data.resolve("base").resolve("4294967295")));
        assertNoBufferPinned();
    }

    @Test
    void aCorruptPageIsRefusedLeftInvalidAndReadAgainOnceRepaired()
    {
        final ByteBuffer page = Page.allocate();
        Page.init(page);
        page.putLong(100, 5);
        Page.setChecksum(page, 0);
        page.put(4000, (byte)1);
        try (RelationFiles files = new RelationFiles(data))
        {
            files.write(REL, 0, page);
        }

        final PgException ex = assertThrows(PgException.class, () -> a.bm().readBuffer(REL, 0));
        assertEquals("invalid page in block 0 of relation 16384", ex.getMessage());
        assertEquals("Restore the relation file from a backup.", ex.hint());
        assertNoBufferPinned();
        assertEquals(-1, cached(REL, 0));
        int tagged = -1;
        for (int buf = 0; buf < a.bm().nbuffers(); buf++)
        {
            if ((state(buf) & TAG_VALID) != 0 && a.bm().relation(buf) == REL && a.bm().block(buf) == 0)
            {
                tagged = buf;
            }
        }
        assertTrue(tagged >= 0, "the buffer keeps the tag");
        assertEquals(TAG_VALID | IO_ERROR, state(tagged) & ~USAGE_MASK, "invalid, with I/O Error, unpinned");
        assertThrows(PgException.class, () -> b.bm().readBuffer(REL, 0), "B is refused too");

        page.put(4000, (byte)0);
        try (RelationFiles files = new RelationFiles(data))
        {
            files.write(REL, 0, page);
        }
        final int buf = b.bm().readBuffer(REL, 0);
        assertEquals(tagged, buf, "the same buffer, read again");
        assertEquals(5, b.bm().page(buf).getLong(100));
        assertEquals(0, state(buf) & IO_ERROR);
        b.bm().releaseBuffer(buf);
    }

    @Test
    void withEveryBufferPinnedAReadOfAnotherPageFindsNoVictim()
    {
        extendTo(a, REL, 20);
        final Set<Integer> pinned = new HashSet<>();
        for (int block = 0; block < 16; block++)
        {
            pinned.add(a.bm().readBuffer(REL, block));
        }
        assertEquals(16, pinned.size());

        final PgException ex = assertThrows(PgException.class, () -> a.bm().readBuffer(REL, 16));
        assertEquals("no unpinned buffers available", ex.getMessage());
        assertEquals("All 16 shared buffers are pinned.", ex.detail());
        assertEquals("no unpinned buffers available",
            assertThrows(PgException.class, () -> b.bm().readBuffer(REL, 17)).getMessage());
        for (final int buf : pinned)
        {
            assertEquals(1, refcount(buf), "the failed reads pinned nothing");
        }

        final int freed = a.bm().readBuffer(REL, 3);
        a.bm().releaseBuffer(freed);
        assertEquals(1, refcount(freed), "A's second pin of block 3 went, its first stays");
        a.bm().releaseBuffer(freed);
        final int got = b.bm().readBuffer(REL, 16);
        assertEquals(freed, got, "the one unpinned buffer is the victim");
        assertEquals(16, b.bm().block(got));
        b.bm().releaseBuffer(got);
    }

    @Test
    void aProcessMayPin64BuffersAtOnce() throws IOException
    {
        detach();
        attachBoth(72);
        extendTo(a, REL, 66);
        for (int block = 0; block < BufferManager.MAX_PINNED; block++)
        {
            a.bm().readBuffer(REL, block);
        }
        assertEquals(64, pinRecords(a.slot()).size());
        final PgException ex = assertThrows(PgException.class, () -> a.bm().readBuffer(REL, 64));
        assertEquals("too many pinned buffers", ex.getMessage());
        assertEquals("A process may pin 64 buffers at once.", ex.detail());
        assertThrows(PgException.class, () -> a.bm().readBuffer(REL, 65), "a miss as well as a hit");
        int pinnedBuffers = 0;
        for (int buf = 0; buf < 72; buf++)
        {
            pinnedBuffers += refcount(buf);
        }
        assertEquals(64, pinnedBuffers, "the refused reads pinned nothing");
        final int again = a.bm().readBuffer(REL, 10);
        assertEquals(64, pinRecords(a.slot()).size(), "a second pin of a pinned buffer needs no record");
        a.bm().releaseBuffer(again);
        final int other = b.bm().readBuffer(REL, 64);
        b.bm().releaseBuffer(other);
    }

    @Test
    void theUsageCountRisesWithEachPinUpToFive()
    {
        extendTo(a, REL, 1);
        final int buf = cached(REL, 0);
        assertEquals(1, usageCount(state(buf)), "the extension's read");
        for (int i = 2; i <= 8; i++)
        {
            final int again = a.bm().readBuffer(REL, 0);
            assertEquals(buf, again);
            assertEquals(Math.min(i, MAX_USAGE_COUNT), usageCount(state(buf)), "read " + i);
            a.bm().releaseBuffer(again);
        }
    }

    @Test
    void aSecondPinByTheSameProcessAddsNeitherRefcountNorUsage()
    {
        extendTo(a, REL, 1);
        final int buf = a.bm().readBuffer(REL, 0);
        final long usage = usageCount(state(buf));
        assertEquals(buf, a.bm().readBuffer(REL, 0));
        assertEquals(1, refcount(buf), "the shared refcount counts processes");
        assertEquals(usage, usageCount(state(buf)));
        assertEquals(List.of(buf, 2), List.of(pinRecords(a.slot()).get(0)[0], pinRecords(a.slot()).get(0)[1]));
        final int byB = b.bm().readBuffer(REL, 0);
        assertEquals(2, refcount(byB));
        b.bm().releaseBuffer(byB);
        a.bm().releaseBuffer(buf);
        assertEquals(1, refcount(buf));
        a.bm().releaseBuffer(buf);
        assertEquals(0, refcount(buf));
        assertEquals(List.of(), pinRecords(a.slot()));
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> a.bm().releaseBuffer(buf));
        assertEquals("buffer " + buf + " is not pinned by this process", ex.getMessage());
    }

    @Test
    void theClockSweepKeepsAPageUsedOftenAndEvictsOnesUsedOnce()
    {
        extendTo(a, REL, 40);
        for (int i = 0; i < 5; i++)
        {
            a.bm().releaseBuffer(a.bm().readBuffer(REL, 0));
        }
        assertEquals(MAX_USAGE_COUNT, usageCount(state(cached(REL, 0))));
        for (int block = 1; block <= 20; block++)
        {
            a.bm().releaseBuffer(a.bm().readBuffer(REL, block));
        }
        assertTrue(cached(REL, 0) >= 0, "20 misses in 16 buffers did not evict the page used 5 times");
        assertEquals(-1, cached(REL, 1), "the first page used once was evicted");
        assertTrue(usageCount(state(cached(REL, 0))) < MAX_USAGE_COUNT, "the passing hand lowered its usage");
    }

    @Test
    void cleanupReleasesTheDeadProcessesPinsAndOnlyThose()
    {
        extendTo(a, REL, 4);
        final int b0 = b.bm().readBuffer(REL, 0);
        b.bm().readBuffer(REL, 0);
        final int b1 = b.bm().readBuffer(REL, 1);
        final int shared = b.bm().readBuffer(REL, 2);
        assertEquals(shared, a.bm().readBuffer(REL, 2));
        assertEquals(List.of(1, 1, 2), List.of(refcount(b0), refcount(b1), refcount(shared)));
        assertEquals(3, pinRecords(b.slot()).size());

        cleanUpAfterDeathOfB();

        assertEquals(List.of(0, 0, 1), List.of(refcount(b0), refcount(b1), refcount(shared)));
        assertEquals(List.of(), pinRecords(b.slot()), "the dead slot's records are cleared");
        assertEquals(1, pinRecords(a.slot()).size(), "A's record stays");
        a.bm().releaseBuffer(shared);
        assertNoBufferPinned();
    }

    @Test
    void cleanupReleasesTheDeadProcessesShareWhateverTheOthersPinCountsAre()
    {
        // a record stands for one share of the refcount however many pins it counts
        extendTo(a, REL, 1);
        final int buf = a.bm().readBuffer(REL, 0);
        a.bm().readBuffer(REL, 0);
        b.bm().readBuffer(REL, 0);
        b.bm().readBuffer(REL, 0);
        b.bm().readBuffer(REL, 0);
        assertEquals(2, refcount(buf));

        cleanUpAfterDeathOfB();

        assertEquals(1, refcount(buf), "A's share stays, B's goes");
        a.bm().releaseBuffer(buf);
        a.bm().releaseBuffer(buf);
        assertEquals(0, refcount(buf));
    }

    @Test
    void cleanupOfAPinRecordWithoutItsSharedCountLeavesTheCountAlone()
    {
        // B recorded the pin and died before its compare-and-set: the refcount is A's alone
        extendTo(a, REL, 1);
        final int buf = a.bm().readBuffer(REL, 0);
        final AtomicBuffer pins = a.shmem().findStruct(BufferManager.PINS_LABEL).buffer();
        final int record = b.slot() * BufferManager.MAX_PINNED * 8;
        pins.putInt(record + 4, 1);
        pins.putInt(record, buf + 1);

        cleanUpAfterDeathOfB();

        assertEquals(1, refcount(buf));
        assertEquals(List.of(), pinRecords(b.slot()));
        a.bm().releaseBuffer(buf);
        assertEquals(0, refcount(buf));
    }

    @Test
    void cleanupEndsTheDeadProcessesReadSoTheNextReaderReadsAgain() throws IOException
    {
        extendTo(a, REL, 2);
        final int buf = b.bm().readBuffer(REL, 0);
        final int busy = a.bm().readBuffer(REL, 1);
        // B is reading the page (I/O In Progress, its slot the owner); A is writing another
        final long s = state(buf);
        assertTrue(b.bm().casState(buf, s, withIoOwner(s & ~VALID | IO_IN_PROGRESS, b.slot())));
        final long t = state(busy);
        assertTrue(a.bm().casState(busy, t, withIoOwner(t | IO_IN_PROGRESS, a.slot())));
        assertEquals(b.slot(), ioOwner(state(buf)));

        cleanUpAfterDeathOfB();

        assertEquals(TAG_VALID | IO_ERROR, state(buf) & ~USAGE_MASK, "no I/O, no owner, not valid, unpinned");
        assertEquals(-1, ioOwner(state(buf)));
        assertEquals(IO_IN_PROGRESS, state(busy) & IO_IN_PROGRESS, "A's I/O is A's business");
        assertEquals(a.slot(), ioOwner(state(busy)));
        final long u = state(busy);
        assertTrue(a.bm().casState(busy, u, u & ~(IO_IN_PROGRESS | IO_OWNER_MASK)));
        a.bm().releaseBuffer(busy);

        final int again = a.bm().readBuffer(REL, 0);
        assertEquals(buf, again);
        assertEquals(VALID, state(buf) & (VALID | IO_ERROR | IO_IN_PROGRESS), "read again, valid");
        assertEquals(24, a.bm().page(buf).getShort(PageHeaderDescriptor.LOWER_OFFSET));
        a.bm().releaseBuffer(again);
    }

    @Test
    void cleanupAdoptsAMappingPartitionTheDeadProcessHeldAndDropsEntriesNoBufferBacks()
    {
        extendTo(a, REL, 3);
        final int capacity = BufferMappingTable.partitionCapacity(16);
        final BufferMappingTable mapping = new BufferMappingTable(
            a.shmem().findStruct(BufferManager.MAPPING_LABEL).buffer(), capacity);
        final LWLockTranche locks = LWLockTranche.init(b.shmem(), BufferManager.MAPPING_TRANCHE, BufferMappingTable.PARTITIONS);

        // B died retagging: it held partition p exclusively and left an entry for a page no buffer holds
        final long stale = BufferMappingTable.tag(REL, 999);
        final int p = BufferMappingTable.partition(stale);
        final LWLock lock = locks.get(p);
        lock.acquire(LWLockMode.EXCLUSIVE);
        mapping.insert(p, stale, cached(REL, 1));
        // and an entry in a partition it did not hold is not its doing
        long untouched = BufferMappingTable.tag(REL, 1000);
        for (int block = 1001; BufferMappingTable.partition(untouched) == p; block++)
        {
            untouched = BufferMappingTable.tag(REL, block);
        }
        final int q = BufferMappingTable.partition(untouched);
        mapping.insert(q, untouched, cached(REL, 2));

        cleanUpAfterDeathOfB();

        assertEquals(-1, mapping.lookup(p, stale), "repaired");
        assertEquals(cached(REL, 2), mapping.lookup(q, untouched), "left alone");
        final LWLock lockOfA = LWLockTranche.init(a.shmem(), BufferManager.MAPPING_TRANCHE,
            BufferMappingTable.PARTITIONS).get(p);
        assertTrue(lockOfA.tryAcquire(LWLockMode.EXCLUSIVE), "the adopted partition lock was released");
        lockOfA.release(LWLockMode.EXCLUSIVE);
        for (int block = 0; block < 3; block++)
        {
            final long tag = BufferMappingTable.tag(REL, block);
            assertEquals(cached(REL, block), mapping.lookup(BufferMappingTable.partition(tag), tag),
                "the real entries stay: block " + block);
        }
        mapping.delete(q, untouched);
    }

    @Test
    void theNextAllocationWakesAHibernatingBackgroundWriter()
    {
        extendTo(a, REL, 2);
        a.bm().releaseBuffer(a.bm().readBuffer(REL, 0));
        a.bm().hibernate(b.slot());
        assertTrue(a.bm().strategy().bgwriterHibernating());
        b.procArray().resetLatch(b.slot());

        a.bm().releaseBuffer(a.bm().readBuffer(REL, 0));
        assertTrue(a.bm().strategy().bgwriterHibernating(), "a hit allocates nothing");
        assertFalse(b.procArray().isLatchSet(b.slot()));

        extendTo(a, OTHER_REL, 1);
        assertFalse(a.bm().strategy().bgwriterHibernating(), "an allocation");
        assertTrue(b.procArray().isLatchSet(b.slot()), "set the background writer's latch");

        a.bm().hibernate(b.slot());
        b.bm().stopHibernating(b.slot());
        assertFalse(a.bm().strategy().bgwriterHibernating());
        a.bm().hibernate(b.slot());
        cleanUpAfterDeathOfB();
        assertFalse(a.bm().strategy().bgwriterHibernating(), "a dead background writer is not woken");
    }

    @Test
    void aDirtyVictimThatCannotBeWrittenStaysDirtyAndUnpinned() throws IOException
    {
        final int buf = a.bm().extend(REL, a.locks());
        a.bm().lockBuffer(buf, LWLockMode.EXCLUSIVE);
        a.bm().page(buf).putLong(100, 1);
        a.bm().markDirty(buf);
        a.bm().unlockBuffer(buf, LWLockMode.EXCLUSIVE);
        a.bm().releaseBuffer(buf);
        // B cannot open the file to write the page back: where it was is now a directory
        final Path file = data.resolve("base").resolve(Integer.toString(REL));
        Files.move(file, file.resolveSibling("moved"));
        Files.createDirectory(file);

        PgException failure = null;
        for (int block = 0; block < 40 && failure == null; block++)
        {
            try
            {
                b.bm().releaseBuffer(b.bm().extend(OTHER_REL, b.locks()));
            }
            catch (final PgException ex)
            {
                failure = ex;
            }
        }
        assertTrue(failure != null && failure.getMessage().startsWith("could not open file \"base/16384\""),
            String.valueOf(failure));
        assertEquals(DIRTY | IO_ERROR, state(buf) & (DIRTY | IO_ERROR | IO_IN_PROGRESS), "still dirty, not lost");
        assertNoBufferPinned();
    }
}
