package org.pgshmem.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.buffer.BufferManager;
import org.pgshmem.lock.LockManager;
import org.pgshmem.module.Modules;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.proc.ProcKind;
import org.pgshmem.proc.ProcSlotDescriptor;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.testing.TestCluster;
import org.pgshmem.util.PgException;
import org.pgshmem.wal.CheckPoint;

/**
 * The checkpointer's shared state in one JVM: handles on one segment, each with its own modules
 * and slot, stand for processes: backends A and B that write relation files, and C in the
 * checkpointer's slot. With shared_buffers = 16 the sync-request queue holds 16 requests.
 */
@Timeout(60)
class CheckpointerShmemTest
{
    private static final CheckPoint.Result WROTE_THREE =
        new CheckPoint.Result(false, 0x1549E50L, 0x1549DF8L, 3, 1234, 12, 2, 0, 0, 1);

    /** One attached "process". */
    private record Proc(Shmem shmem, Modules modules, CheckpointerShmem checkpointer)
    {
        static Proc attach(final Shmem shmem, final ProcKind kind)
        {
            final Modules modules = Modules.load(shmem.settings());
            modules.shmemInit(shmem);
            final ProcArray procs = modules.get(ProcArray.class);
            if (kind == ProcKind.BACKEND)
            {
                procs.claimBackend();
            }
            else
            {
                procs.claimFixed(kind);
            }
            return new Proc(shmem, modules, modules.get(CheckpointerShmem.class));
        }
    }

    @TempDir
    Path data;

    private Shmem first;
    private Shmem second;
    private Shmem third;

    private Proc a;
    private Proc b;
    private Proc c;

    private void cluster(final String... settings)
    {
        Settings s = Settings.defaults().with("shared_buffers", "16").with("max_connections", "2")
            .with("inbox_size", "4");
        for (int i = 0; i < settings.length; i += 2)
        {
            s = s.with(settings[i], settings[i + 1]);
        }
        final Path file = data.resolve("segment");
        first = Shmem.open(ShmemSegment.create(file, Modules.load(s).calculateShmemSize(s), 42), s, data);
        a = Proc.attach(first, ProcKind.BACKEND);
        second = Shmem.open(ShmemSegment.attach(file, 10_000), s, data);
        b = Proc.attach(second, ProcKind.BACKEND);
    }

    /** C, in the checkpointer's slot. */
    private Proc checkpointerProcess()
    {
        third = Shmem.open(ShmemSegment.attach(data.resolve("segment"), 10_000), first.settings(), data);
        c = Proc.attach(third, ProcKind.CHECKPOINTER);
        return c;
    }

    @AfterEach
    void detach()
    {
        for (final Shmem s : new Shmem[] {third, second, first})
        {
            if (s != null)
            {
                s.close();
            }
        }
    }

    @Test
    void aRelationIsQueuedOncePerProcessUntilTheQueueIsAbsorbed()
    {
        cluster();
        assertTrue(a.checkpointer().forwardSyncRequest(5));
        assertTrue(a.checkpointer().forwardSyncRequest(6));
        assertTrue(a.checkpointer().forwardSyncRequest(5));
        assertEquals(2, a.checkpointer().queuedSyncRequests(), "A's second request for 5 was still queued");
        assertTrue(b.checkpointer().forwardSyncRequest(5));
        assertEquals(3, a.checkpointer().queuedSyncRequests(), "B does not know what A queued");

        assertEquals(3, b.checkpointer().absorbSyncRequests());
        assertEquals(0, a.checkpointer().queuedSyncRequests());
        assertEquals(2, b.checkpointer().pendingSyncs(), "relations 5 and 6, once each");

        assertTrue(a.checkpointer().forwardSyncRequest(5));
        assertEquals(1, a.checkpointer().queuedSyncRequests(), "after an absorb, a new write needs a new request");
    }

    @Test
    void aFullQueueIsCompactedBeforeTheWriterHasToFsyncItself()
    {
        cluster();
        for (int r = 0; r < 8; r++)
        {
            assertTrue(a.checkpointer().forwardSyncRequest(r));
            assertTrue(b.checkpointer().forwardSyncRequest(r));
        }
        assertEquals(16, a.checkpointer().queuedSyncRequests(), "full, every relation twice");
        assertTrue(a.checkpointer().forwardSyncRequest(100));
        assertEquals(9, a.checkpointer().queuedSyncRequests(), "eight duplicates compacted away, 100 queued");
        assertEquals(0, a.checkpointer().stats().backendFsync());
        assertEquals(9, b.checkpointer().absorbSyncRequests());
        assertEquals(9, b.checkpointer().pendingSyncs());
    }

    @Test
    void whenCompactionFreesNothingTheWriterFsyncsItselfAndItIsCounted()
    {
        cluster();
        for (int r = 0; r < 16; r++)
        {
            assertTrue(a.checkpointer().forwardSyncRequest(r));
        }
        assertFalse(b.checkpointer().forwardSyncRequest(100), "16 different relations: nothing to compact");
        assertFalse(a.checkpointer().forwardSyncRequest(101));
        assertEquals(16, a.checkpointer().queuedSyncRequests());
        assertEquals(2, a.checkpointer().stats().backendFsync());
    }

    @Test
    void aFullQueueWakesTheCheckpointer()
    {
        cluster();
        checkpointerProcess();
        final ProcArray procs = a.modules().get(ProcArray.class);
        for (int r = 0; r < 7; r++)
        {
            a.checkpointer().forwardSyncRequest(r);
        }
        assertFalse(procs.isLatchSet(ProcSlotDescriptor.CHECKPOINTER_SLOT), "7 of 16 queued");
        a.checkpointer().forwardSyncRequest(7);
        assertTrue(procs.isLatchSet(ProcSlotDescriptor.CHECKPOINTER_SLOT), "half full: absorb early");
    }

    @Test
    void theCheckpointerTakesItsOwnWritesWithoutTheQueue()
    {
        cluster();
        checkpointerProcess().checkpointer().attachAsCheckpointer();
        assertTrue(c.checkpointer().forwardSyncRequest(5));
        assertEquals(0, c.checkpointer().queuedSyncRequests());
        assertEquals(1, c.checkpointer().pendingSyncs());
    }

    @Test
    void aCheckpointerThatTakesADeadOnesPlaceFsyncsEveryRelationFile() throws IOException
    {
        cluster();
        Files.createDirectories(data.resolve("base"));
        for (final String name : new String[] {"5", "16384", "not-a-relation", "99999999999"})
        {
            Files.write(data.resolve("base").resolve(name), new byte[8192]);
        }
        checkpointerProcess().checkpointer().attachAsCheckpointer();
        assertEquals(0, c.checkpointer().pendingSyncs(), "the first checkpointer of the segment");
        c.checkpointer().attachAsCheckpointer();
        assertEquals(2, c.checkpointer().pendingSyncs(), "its successor: relations 5 and 16384");
        assertEquals(2, c.checkpointer().processSyncRequests());
    }

    @Test
    void aBufferWriteForwardsItsRelation()
    {
        cluster();
        final BufferManager bm = a.modules().get(BufferManager.class);
        bm.releaseBuffer(bm.extend(16384, a.modules().get(LockManager.class)));
        assertEquals(1, a.checkpointer().queuedSyncRequests(), "the extension wrote base/16384");
        assertEquals(1, b.checkpointer().absorbSyncRequests());
        bm.detach();
    }

    @Test
    void processingFsyncsEveryPendingFileAndSkipsOnesThatVanished() throws IOException
    {
        cluster();
        Files.createDirectories(data.resolve("base"));
        Files.write(data.resolve("base/5"), new byte[8192]);
        Files.write(data.resolve("base/6"), new byte[8192]);
        for (final int r : new int[] {5, 6, 7})
        {
            a.checkpointer().forwardSyncRequest(r);
        }
        assertEquals(2, b.checkpointer().processSyncRequests(), "5 and 6; 7 has no file");
        assertEquals(0, b.checkpointer().pendingSyncs());
        assertEquals(0, b.checkpointer().queuedSyncRequests());
        assertEquals(0, b.checkpointer().processSyncRequests(), "nothing left");
    }

    @Test
    void withFsyncOffNothingIsFsyncedButTheRequestsAreConsumed() throws IOException
    {
        cluster("fsync", "off");
        Files.createDirectories(data.resolve("base"));
        Files.write(data.resolve("base/5"), new byte[8192]);
        a.checkpointer().forwardSyncRequest(5);
        assertEquals(0, b.checkpointer().processSyncRequests());
        assertEquals(0, b.checkpointer().pendingSyncs());
    }

    @Test
    void aRequestOrsItsFlagsAndWakesTheCheckpointerButCannotAskForAShutdownCheckpoint()
    {
        cluster();
        checkpointerProcess();
        a.checkpointer().requestCheckpoint(CheckPoint.CAUSE_XLOG, false, 0);
        b.checkpointer().requestCheckpoint(CheckPoint.IMMEDIATE | CheckPoint.IS_SHUTDOWN, false, 0);
        assertTrue(a.modules().get(ProcArray.class).isLatchSet(ProcSlotDescriptor.CHECKPOINTER_SLOT));
        assertEquals(CheckPoint.CAUSE_XLOG | CheckPoint.IMMEDIATE | CheckpointerShmem.REQUESTED,
            c.checkpointer().takeRequestFlags());
        assertEquals(0, c.checkpointer().requestFlags());
    }

    @Test
    void aWaitingRequesterIsReleasedByACheckpointThatBeganAfterItsRequestNotByTheOneInProgress()
        throws InterruptedException
    {
        cluster();
        checkpointerProcess();
        final long inProgress = c.checkpointer().checkpointStarting(true, false);
        final AtomicReference<Throwable> outcome = new AtomicReference<>();
        final Thread requester = requester(outcome, 30_000);
        TestCluster.await("the request is in", () -> c.checkpointer().requestFlags() != 0);
        c.checkpointer().checkpointEnded(inProgress, WROTE_THREE);
        requester.join(300);
        assertTrue(requester.isAlive(), "the checkpoint that was running when the request came does not count");

        final int flags = c.checkpointer().takeRequestFlags();
        assertEquals(CheckPoint.IMMEDIATE | CheckPoint.FORCE | CheckpointerShmem.WAIT | CheckpointerShmem.REQUESTED,
            flags);
        c.checkpointer().checkpointEnded(c.checkpointer().checkpointStarting(false, true), WROTE_THREE);
        requester.join(30_000);
        assertFalse(requester.isAlive());
        assertNull(outcome.get());
        final CheckpointerStats stats = a.checkpointer().stats();
        assertEquals(1, stats.numTimed());
        assertEquals(1, stats.numRequested());
        assertEquals(2, stats.numDone());
        assertEquals(6, stats.buffersWritten());
        assertEquals(2468, stats.writeTimeMs());
        assertEquals(24, stats.syncTimeMs());
        assertEquals(2, stats.done());
    }

    @Test
    void aFailedCheckpointFailsItsWaiters() throws InterruptedException
    {
        assertEquals("checkpoint request failed", waitedForACheckpointThatEnded(null).getMessage());
        assertEquals(0, a.checkpointer().stats().numDone());
        assertEquals(1, a.checkpointer().stats().failed());
    }

    @Test
    void aSkippedCheckpointReleasesItsWaitersButIsNotCountedAsDone() throws InterruptedException
    {
        assertNull(waitedForACheckpointThatEnded(new CheckPoint.Result(true, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
        assertEquals(0, a.checkpointer().stats().numDone());
        assertEquals(1, a.checkpointer().stats().numRequested());
    }

    @Test
    void withoutACheckpointerAWaitingRequestFailsAndAnotherStaysForItsStart()
    {
        cluster();
        final PgException ex = assertThrows(PgException.class,
            () -> a.checkpointer().requestCheckpoint(CheckPoint.IMMEDIATE, true, 50));
        assertEquals("could not signal for checkpoint: checkpointer is not running", ex.getMessage());
        a.checkpointer().requestCheckpoint(CheckPoint.CAUSE_XLOG, false, 0);
        assertEquals(CheckPoint.IMMEDIATE | CheckPoint.CAUSE_XLOG | CheckpointerShmem.WAIT
            | CheckpointerShmem.REQUESTED, checkpointerProcess().checkpointer().takeRequestFlags());
    }

    @Test
    void aWaitThatOutlastsItsTimeoutFailsSayingSo()
    {
        cluster();
        checkpointerProcess();
        final PgException ex = assertThrows(PgException.class,
            () -> a.checkpointer().requestCheckpoint(CheckPoint.IMMEDIATE, true, 50));
        assertEquals("checkpoint request timed out after 50 ms", ex.getMessage());
    }

    @Test
    void aToolSeesTheSameStateThroughTheSegmentAlone()
    {
        cluster();
        checkpointerProcess();
        c.checkpointer().checkpointEnded(c.checkpointer().checkpointStarting(true, false), WROTE_THREE);
        try (Shmem inspected = Shmem.open(ShmemSegment.attach(data.resolve("segment"), 10_000), Settings.defaults(),
            data))
        {
            final CheckpointerShmem tool = CheckpointerShmem.of(inspected);
            assertEquals(3, tool.stats().buffersWritten());
            tool.requestCheckpoint(CheckPoint.FORCE, false, 0);
            assertEquals(CheckPoint.FORCE | CheckpointerShmem.REQUESTED, c.checkpointer().takeRequestFlags());
        }
    }

    @Test
    void aMessageWithoutPayloadAsksForWhatTheCheckpointCommandDoes()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4]);
        assertEquals(CheckPoint.IMMEDIATE | CheckPoint.FORCE, CheckpointerShmem.messageFlags(buffer, 0, 0));
        buffer.putInt(0, CheckPoint.CAUSE_XLOG);
        assertEquals(CheckPoint.CAUSE_XLOG, CheckpointerShmem.messageFlags(buffer, 0, 4));
    }

    /**
     * A requester in A waits while C takes its request and runs a checkpoint that ends with
     * {@code result} (null: failed); returns what the request threw, or null.
     */
    private Throwable waitedForACheckpointThatEnded(final CheckPoint.Result result) throws InterruptedException
    {
        cluster();
        checkpointerProcess();
        final AtomicReference<Throwable> outcome = new AtomicReference<>();
        final Thread requester = requester(outcome, 30_000);
        TestCluster.await("the request is in", () -> c.checkpointer().requestFlags() != 0);
        c.checkpointer().takeRequestFlags();
        c.checkpointer().checkpointEnded(c.checkpointer().checkpointStarting(false, true), result);
        requester.join(30_000);
        assertFalse(requester.isAlive(), "the requester was released");
        return outcome.get();
    }

    private Thread requester(final AtomicReference<Throwable> outcome, final long timeoutMs)
    {
        final Thread t = new Thread(() ->
        {
            try
            {
                a.checkpointer().requestCheckpoint(CheckPoint.IMMEDIATE | CheckPoint.FORCE, true, timeoutMs);
            }
            catch (final RuntimeException ex)
            {
                outcome.set(ex);
            }
        }, "requester");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
