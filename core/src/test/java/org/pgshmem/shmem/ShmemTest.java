package org.pgshmem.shmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.util.PgException;

class ShmemTest
{
    @TempDir
    Path dir;

    @Test
    void firstCallerCreatesAndRunsInitLaterCallersAttach()
    {
        try (Shmem shmem = TestSegments.create(dir, 4096); Shmem other = TestSegments.attach(dir))
        {
            final AtomicInteger inits = new AtomicInteger();
            final ShmemStruct created = shmem.initStruct("counters", 100, region ->
            {
                inits.incrementAndGet();
                region.putLong(0, 77);
            });
            assertFalse(created.found());
            assertEquals(100, created.size());
            assertEquals(0, created.offset() % 64, "cache-line aligned");

            final ShmemStruct attached = other.initStruct("counters", 100, region -> inits.incrementAndGet());
            assertTrue(attached.found());
            assertEquals(created.offset(), attached.offset());
            assertEquals(77, attached.buffer().getLong(0));
            assertEquals(1, inits.get());

            attached.buffer().putLong(8, 5);
            assertEquals(5, created.buffer().getLong(8), "one memory, two mappings");
        }
    }

    @Test
    void sameLabelWithAnotherSizeIsAnErrorNamingBothSizes()
    {
        try (Shmem shmem = TestSegments.create(dir, 4096))
        {
            shmem.initStruct("thing", 128, StructInit.ZEROED);
            final PgException ex = assertThrows(PgException.class, () -> shmem.initStruct("thing", 256, StructInit.ZEROED));
            assertEquals("shared memory structure \"thing\" has the wrong size", ex.getMessage());
            assertEquals("It was created with 128 bytes; 256 bytes were requested.", ex.detail());
        }
    }

    @Test
    void outOfSharedMemoryNamesTheLabelAndTheBytes()
    {
        try (Shmem shmem = TestSegments.create(dir, 1024))
        {
            shmem.initStruct("first", 1000, StructInit.ZEROED);
            final PgException ex = assertThrows(PgException.class, () -> shmem.initStruct("second", 100, StructInit.ZEROED));
            assertEquals("out of shared memory", ex.getMessage());
            assertTrue(ex.detail().startsWith("Could not allocate 100 bytes for \"second\"; 0 of "), ex.detail());
            // nothing half-made: the label does not exist afterwards
            assertThrows(PgException.class, () -> shmem.findStruct("second"));
        }
    }

    @Test
    void labelsAreOneToSixtyThreePrintableAsciiCharacters()
    {
        try (Shmem shmem = TestSegments.create(dir, 4096))
        {
            shmem.initStruct("x".repeat(63), 8, StructInit.ZEROED);
            assertThrows(PgException.class, () -> shmem.initStruct("x".repeat(64), 8, StructInit.ZEROED));
            assertThrows(PgException.class, () -> shmem.initStruct("", 8, StructInit.ZEROED));
            assertThrows(PgException.class, () -> shmem.initStruct("caf\u00e9", 8, StructInit.ZEROED));
        }
    }

    @Test
    void aFailedInitLeavesTheLabelFailedForEveryone()
    {
        try (Shmem shmem = TestSegments.create(dir, 4096))
        {
            assertThrows(IllegalStateException.class, () -> shmem.initStruct("broken", 8, region ->
            {
                throw new IllegalStateException("boom");
            }));
            final PgException ex = assertThrows(PgException.class, () -> shmem.initStruct("broken", 8, StructInit.ZEROED));
            assertEquals("shared memory label \"broken\" could not be initialized", ex.getMessage());
        }
    }

    @Test
    void aLabelWhoseInitIsRunningShowsAsInitializingInTheView()
    {
        try (Shmem shmem = TestSegments.create(dir, 4096))
        {
            final String[] seen = new String[1];
            shmem.initStruct("slow", 8, region -> seen[0] = shmem.allocations().stream()
                .filter(a -> "slow".equals(a.name())).findFirst().orElseThrow().kind());
            assertEquals("initializing", seen[0]);
            assertEquals("struct", shmem.allocations().get(0).kind());
        }
    }

    @Test
    void aModuleAskingForMoreThanItDeclaredGetsAClearError()
    {
        try (Shmem shmem = TestSegments.create(dir, 4096))
        {
            final Shmem module = shmem.forModule("greedy", 100);
            module.initStruct("greedy a", 60, StructInit.ZEROED);
            final PgException ex = assertThrows(PgException.class, () -> module.initStruct("greedy b", 60, StructInit.ZEROED));
            assertEquals("module \"greedy\" asked for more shared memory than it declared", ex.getMessage());
            assertEquals("shmemInit requested 60 bytes for \"greedy b\" after 60 bytes; its shmemSize declared 100 bytes.",
                ex.detail());
            // attaching to what exists costs nothing
            module.initStruct("greedy a", 60, StructInit.ZEROED);
        }
    }

    @Test
    void aHashIsAChronicleMapFileRegisteredByLabel()
    {
        try (Shmem shmem = TestSegments.create(dir, 4096))
        {
            final SharedHash<String, String> h = shmem.initHash("accounts", String.class, String.class, 1000);
            assertNull(h.put("alice", "100"));
            assertEquals("100", h.put("alice", "150"));
            h.putIfAbsent("bob", "7");
            assertEquals("150", h.get("alice"));
            assertSame(h, shmem.initHash("accounts", String.class, String.class, 1000), "one object per label per process");
            assertEquals(dir.resolve("shm/accounts.cmap"), h.file());
            assertTrue(shmem.hashExists("accounts"));
            assertFalse(shmem.hashExists("no such hash"));
            assertTrue(Files.exists(h.file()));

            final ShmemAllocation row = shmem.allocations().stream().filter(a -> "accounts".equals(a.name()))
                .findFirst().orElseThrow();
            assertEquals("hash", row.kind());
            assertEquals(2, row.entries());
            assertEquals(1000, row.capacity());
            h.remove("bob");
            assertEquals(1, shmem.allocations().stream().filter(a -> "accounts".equals(a.name()))
                .findFirst().orElseThrow().entries());

            final PgException types = assertThrows(PgException.class,
                () -> shmem.initHash("accounts", Long.class, String.class, 1000));
            assertEquals("shared hash table \"accounts\" has other key or value types", types.getMessage());
            assertThrows(PgException.class, () -> shmem.initStruct("accounts", 8, StructInit.ZEROED));
        }
    }

    @Test
    void aPersistedHashKeepsItsEntriesInANewSegment()
    {
        try (Shmem shmem = TestSegments.create(dir, 4096))
        {
            shmem.initHash("kept", Long.class, Long.class, 100).put(1L, 2L);
        }
        final Path second = dir.resolve("second");
        try (Shmem shmem = Shmem.open(ShmemSegment.create(second.resolveSibling("segment2"),
            ShmemSegment.overhead() + 4096, 43), org.pgshmem.settings.Settings.defaults(), dir))
        {
            final SharedHash<Long, Long> h = shmem.initHash("kept", Long.class, Long.class, 100);
            assertEquals(2L, h.get(1L));
            assertEquals(1, shmem.allocations().stream().filter(a -> "kept".equals(a.name())).findFirst()
                .orElseThrow().entries(), "the count starts from the file's entries");
        }
    }

    @Test
    void everyLabelGetsItsOwnSafeFileName()
    {
        assertEquals("plain_name-1.cmap", HashFiles.fileName("plain_name-1"));
        assertEquals("demo.accounts.cmap", HashFiles.fileName("demo.accounts"));
        assertEquals("a%2Fb.cmap", HashFiles.fileName("a/b"));
        assertEquals("%2E.%2Fx.cmap", HashFiles.fileName("../x"));
        assertEquals("100%25.cmap", HashFiles.fileName("100%"));
        assertFalse(HashFiles.fileName("a/b").equals(HashFiles.fileName("a%2Fb")), "the escape character is escaped");
    }

    @Test
    void theAllocationsViewListsStructsByOffsetThenHashesThenTheRemainder()
    {
        try (Shmem shmem = TestSegments.create(dir, 8192))
        {
            shmem.initStruct("b", 10, StructInit.ZEROED);
            shmem.initStruct("a", 70, StructInit.ZEROED);
            shmem.initHash("h", Long.class, Long.class, 10);
            final List<ShmemAllocation> rows = shmem.allocations();
            assertEquals(List.of("b", "a", "h"), rows.subList(0, 3).stream().map(ShmemAllocation::name).toList());
            assertEquals(64, rows.get(0).allocatedSize());
            assertEquals(128, rows.get(1).allocatedSize());
            final ShmemAllocation unused = rows.get(3);
            assertNull(unused.name());
            assertEquals(8192 - 64 - 128, unused.size());
        }
    }
}
