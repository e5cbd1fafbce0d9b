package org.pgshmem.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.control.ControlFile;
import org.pgshmem.control.DbState;
import org.pgshmem.initdb.InitDb;
import org.pgshmem.module.Modules;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.proc.ProcKind;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.util.PgException;

/**
 * The WAL in one JVM: a "postmaster" handle runs startup; "backend" handles on the same segment,
 * each with its own modules and slot, insert. Records are read back from the files with the
 * reader, the way recovery reads them.
 */
class WalSingleProcessTest
{
    @TempDir
    Path dir;

    private final List<Shmem> handles = new ArrayList<>();
    private Path data;
    private Path segmentFile;
    private Settings settings;

    private record Proc(Shmem shmem, Modules modules, Wal wal)
    {
    }

    private Proc postmaster(final String... extra) throws IOException
    {
        data = dir.resolve("data");
        final List<String> conf = new ArrayList<>(List.of("wal_buffers=64", "max_connections=4", "shared_buffers=128kB"));
        conf.addAll(List.of(extra));
        InitDb.run(data, conf,
            new PrintStream(java.io.OutputStream.nullOutputStream()));
        settings = Settings.load(data, List.of());
        segmentFile = dir.resolve("segment");
        final Modules modules = Modules.load(settings);
        final Shmem shmem = Shmem.open(ShmemSegment.create(segmentFile, modules.calculateShmemSize(settings),
            ControlFile.read(data).systemIdentifier()), settings, data);
        handles.add(shmem);
        modules.shmemInit(shmem);
        modules.get(ProcArray.class).claimFixed(ProcKind.POSTMASTER);
        StartupXlog.run(shmem, modules, ControlFile.read(data));
        return new Proc(shmem, modules, modules.get(Wal.class));
    }

    private Proc backend()
    {
        final Shmem shmem = Shmem.open(ShmemSegment.attach(segmentFile, 10_000), settings, data);
        handles.add(shmem);
        final Modules modules = Modules.load(settings);
        modules.shmemInit(shmem);
        modules.get(ProcArray.class).claimBackend();
        return new Proc(shmem, modules, modules.get(Wal.class));
    }

    /** Threads of a failed test may still be in the segment: unmapping it under them would crash the JVM. */
    private boolean threadsLeftInside;

    @AfterEach
    void close()
    {
        if (threadsLeftInside)
        {
            return;
        }
        for (int i = handles.size() - 1; i >= 0; i--)
        {
            handles.get(i).close();
        }
    }

    private static UnsafeBuffer payload(final int length, final int seed)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[length]);
        for (int i = 0; i < length; i++)
        {
            b.putByte(i, (byte)(seed * 31 + i));
        }
        return b;
    }

    private static void assertPayload(final WalRecord r, final int length, final int seed)
    {
        assertEquals(length, r.payloadLength());
        for (int i = 0; i < length; i++)
        {
            assertEquals((byte)(seed * 31 + i), r.payload().getByte(i), "byte " + i + " of record " + seed);
        }
    }

    @Test
    void recordsOfEverySizeFromTwoProcessesReadBackInOrderAcrossPagesSegmentsAndTheBufferRing() throws IOException
    {
        final Proc pm = postmaster();
        final Proc a = backend();
        final Proc b = backend();
        final long first = a.wal().insertPosition();
        final List<long[]> inserted = new ArrayList<>();
        // 64 WAL buffers (512 KiB) and 17 MiB of records: the ring turns over many times, a segment is crossed
        long bytes = 0;
        for (int i = 0; bytes < 17L * 1024 * 1024; i++)
        {
            final Proc p = i % 2 == 0 ? a : b;
            final int length = switch (i % 4)
            {
                case 0 -> 0;
                case 1 -> 13;
                case 2 -> 9000;
                default -> 200_000;
            };
            final long end = p.wal().insert(WalRecordType.XACT_ABORT, i, payload(length, i), 0, length, Wal.ANY_REDO, false);
            inserted.add(new long[] {p.wal().lastInsertLsn(), end, length, i});
            bytes += length;
        }
        b.wal().flush(inserted.get(inserted.size() - 1)[1]);
        assertTrue(pm.wal().flushedUpTo() >= inserted.get(inserted.size() - 1)[1]);

        try (WalReader reader = pm.wal().newReader())
        {
            long lsn = first;
            for (final long[] rec : inserted)
            {
                assertTrue(reader.read(lsn), () -> reader.error());
                assertEquals(rec[0], reader.lsn());
                assertEquals(rec[1], reader.endLsn());
                assertEquals(rec[3], reader.xid());
                assertEquals(WalRecordType.XACT_ABORT, reader.type());
                assertPayload(reader, (int)rec[2], (int)rec[3]);
                lsn = reader.nextLsn();
            }
            assertFalse(reader.read(lsn));
            assertEquals(WalReader.Failure.END, reader.failure());
        }
        assertTrue(Files.exists(data.resolve("wal").resolve("000000010000000000000002")));
    }

    @Test
    void readRecordFindsARecordInTheBuffersBeforeItIsWritten() throws IOException
    {
        postmaster();
        final Proc a = backend();
        a.wal().insert(WalRecordType.XACT_COMMIT, 7, payload(20_000, 7), 0, 20_000, Wal.ANY_REDO, true);
        final long lsn = a.wal().lastInsertLsn();
        assertEquals(Wal.INSERT_APPLYING, a.wal().insertState(slotOf(a)));
        assertTrue(a.wal().writtenUpTo() < lsn + 20_000);
        final WalRecord r = a.wal().readRecord(lsn);
        assertEquals(7, r.xid());
        assertPayload(r, 20_000, 7);
        a.wal().endApply();
        assertEquals(Wal.INSERT_IDLE, a.wal().insertState(slotOf(a)));
    }

    private static int slotOf(final Proc p)
    {
        return p.shmem().processLocal(org.pgshmem.proc.MyProc.class, org.pgshmem.proc.MyProc::new).slot();
    }

    @Test
    void aRecordBuiltOnAStaleRedoPointerIsRefusedAndLeavesANoopBehind() throws IOException
    {
        final Proc pm = postmaster();
        final Proc a = backend();
        final long redo = a.wal().redoRecPtr();
        a.wal().insert(WalRecordType.XACT_ABORT, 1, payload(10, 1), 0, 10, redo, false);
        pm.wal().beginRedo();
        assertNotEquals(redo, a.wal().redoRecPtr());
        final long before = a.wal().insertPosition();
        assertEquals(Wal.INVALID_LSN, a.wal().insert(WalRecordType.XACT_ABORT, 2, payload(10, 2), 0, 10, redo, false));
        assertEquals(before, a.wal().insertPosition(), "refused before reserving: nothing to fill");
        final long end = a.wal().insert(WalRecordType.XACT_ABORT, 3, payload(10, 3), 0, 10, a.wal().redoRecPtr(), false);
        assertTrue(end > before);
    }

    @Test
    void aProcessThatDiedCopyingLeavesANoopOfTheSameSizeAndWritersGoOn() throws IOException
    {
        final Proc pm = postmaster();
        final Proc a = backend();
        final Proc b = backend();
        a.wal().insert(WalRecordType.XACT_ABORT, 1, payload(100, 1), 0, 100, Wal.ANY_REDO, false);
        final long holeLsn = a.wal().insertPosition();
        // b "dies" mid-copy: its slot says COPYING a 5000-byte record whose bytes never arrived
        final int bslot = slotOf(b);
        final int size = reserveAndDie(pm, b, 5000, Wal.INSERT_COPYING);
        final long after = a.wal().insert(WalRecordType.XACT_ABORT, 3, payload(100, 3), 0, 100, Wal.ANY_REDO, false);
        // a flush would wait for b forever; the postmaster's cleanup makes the hole a NOOP
        final AtomicReference<Throwable> failed = new AtomicReference<>();
        final Thread flusher = new Thread(() -> {
            try
            {
                a.wal().flush(after);
            }
            catch (final Throwable t)
            {
                failed.set(t);
            }
        });
        flusher.setDaemon(true);
        flusher.start();
        pm.wal().cleanupProcess(bslot, 12345);
        threadsLeftInside = !join(flusher);
        assertFalse(threadsLeftInside, "the flush finished once the hole was filled");
        assertEquals(null, failed.get());
        assertNoopThenRecord3(pm, holeLsn, size);
    }

    /**
     * Process {@code b} "dies" inside an insertion of {@code payload} bytes: space reserved on the
     * insert position and its slot left in {@code state} (COPYING with its start, or RESERVING
     * without one). Returns the reserved size.
     */
    private static int reserveAndDie(final Proc pm, final Proc b, final int payload, final int state)
    {
        final var slots = b.shmem().findStruct(Wal.INSERT_SLOTS_LABEL).buffer();
        final int entry = slotOf(b) * WalCtlDescriptor.SLOT_LENGTH;
        final int size = WalRecordDescriptor.align(WalRecordDescriptor.HEADER_LENGTH + payload);
        final long pos = pm.shmem().findStruct(Wal.CTL_LABEL).buffer().getAndAddLong(WalCtlDescriptor.INSERT_POS_OFFSET,
            size);
        slots.putInt(entry + WalCtlDescriptor.SLOT_SIZE_OFFSET, size);
        if (state == Wal.INSERT_COPYING)
        {
            slots.putLong(entry + WalCtlDescriptor.SLOT_START_OFFSET, WalAddress.toLsn(pos));
        }
        slots.putIntVolatile(entry + WalCtlDescriptor.SLOT_STATE_OFFSET, state);
        return size;
    }

    /** The hole at {@code holeLsn} reads as a NOOP of the whole reservation, and the record after it is xid 3's. */
    private static void assertNoopThenRecord3(final Proc pm, final long holeLsn, final int size)
    {
        try (WalReader reader = pm.wal().newReader())
        {
            assertTrue(reader.read(holeLsn), () -> reader.error());
            assertEquals(WalRecordType.NOOP, reader.type());
            assertEquals(size - WalRecordDescriptor.HEADER_LENGTH, reader.payloadLength(), "the whole reservation");
            assertTrue(reader.read(reader.nextLsn()), () -> reader.error());
            assertEquals(3, reader.xid());
        }
    }

    @Test
    void aProcessThatDiedReservingIsFoundByWalkingTheRecords() throws IOException
    {
        final Proc pm = postmaster();
        final Proc a = backend();
        final Proc b = backend();
        a.wal().insert(WalRecordType.XACT_ABORT, 1, payload(100, 1), 0, 100, Wal.ANY_REDO, false);
        final long holeLsn = a.wal().insertPosition();
        // b reserved and died before saying where
        final int bslot = slotOf(b);
        final int size = reserveAndDie(pm, b, 300, Wal.INSERT_RESERVING);
        pm.wal().cleanupProcess(bslot, 12345);
        final long after = a.wal().insert(WalRecordType.XACT_ABORT, 3, payload(100, 3), 0, 100, Wal.ANY_REDO, false);
        a.wal().flush(after);
        assertNoopThenRecord3(pm, holeLsn, size);
    }

    @Test
    void aCorruptRecordFollowedByValidWalIsDamageButATornTailIsTheEnd() throws IOException
    {
        final Proc pm = postmaster();
        final Proc a = backend();
        final long first = a.wal().insertPosition();
        long end = 0;
        for (int i = 0; i < 10; i++)
        {
            end = a.wal().insert(WalRecordType.XACT_ABORT, i, payload(3000, i), 0, 3000, Wal.ANY_REDO, false);
        }
        a.wal().flush(end);
        final long second;
        try (WalReader reader = pm.wal().newReader())
        {
            assertTrue(reader.read(first));
            second = reader.nextLsn();
        }
        final Path segment = data.resolve("wal").resolve("000000010000000000000001");
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw"))
        {
            // one payload byte of the second record flipped
            final long at = second % (16 * 1024 * 1024) + WalRecordDescriptor.HEADER_LENGTH + 10;
            f.seek(at);
            final int b = f.read();
            f.seek(at);
            f.write(b ^ 0xFF);
        }
        try (WalReader reader = pm.wal().newReader())
        {
            assertFalse(reader.read(second));
            assertEquals(WalReader.Failure.CHECKSUM, reader.failure());
            assertTrue(reader.error().contains("incorrect resource manager data checksum in record at "
                + ControlFile.formatLsn(second)), reader.error());
            assertTrue(reader.validPageAfter(second) > second, "later pages are valid: damage in the middle");
        }
        // the last record cut short (its tail zeroed, as a write that never finished): the end, no damage
        final long lastStart;
        try (WalReader reader = pm.wal().newReader())
        {
            // walk past the damaged record by its declared length: start from the third record
            final long third = WalAddress.toLsn(WalAddress.toPos(second) + WalRecordDescriptor.align(
                WalRecordDescriptor.HEADER_LENGTH + 3000));
            lastStart = endOfChain(reader, third);
        }
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw"))
        {
            f.seek(lastStart % (16 * 1024 * 1024) + 1000);
            f.write(new byte[2500]);
        }
        try (WalReader reader = pm.wal().newReader())
        {
            assertFalse(reader.read(lastStart));
            assertNotEquals(WalReader.Failure.END, reader.failure());
            assertEquals(-1, reader.validPageAfter(lastStart), "nothing valid after the torn record");
        }
    }

    private static long endOfChain(final WalReader reader, final long from)
    {
        long lsn = from;
        long lastStart = -1;
        while (reader.read(lsn))
        {
            lastStart = lsn;
            lsn = reader.nextLsn();
        }
        return lastStart;
    }

    private static boolean join(final Thread t)
    {
        try
        {
            t.join(120_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        return !t.isAlive();
    }

    @Test
    void aFlusherNeverWaitsForAnInserterThatWaitsForItsLock() throws Exception
    {
        // 66 WAL buffers: big records keep the ring turning over, so inserters wait for buffer
        // pages (and WALWriteLock) while committers hold that lock flushing: each must go on
        // (without fsync: the locking is what is tested, and a loaded machine's fsyncs are slow)
        postmaster("fsync=off");
        final Proc bulk = backend();
        final Proc committer = backend();
        final AtomicReference<Throwable> failed = new AtomicReference<>();
        final Thread a = new Thread(() -> {
            try
            {
                final UnsafeBuffer big = payload(200_000, 1);
                for (int i = 0; i < 100; i++)
                {
                    bulk.wal().insert(WalRecordType.NOOP, 0, big, 0, big.capacity(), Wal.ANY_REDO, false);
                }
            }
            catch (final Throwable t)
            {
                failed.set(t);
            }
        });
        final Thread b = new Thread(() -> {
            try
            {
                final UnsafeBuffer small = payload(100, 2);
                for (int i = 0; i < 1_000; i++)
                {
                    committer.wal().flush(committer.wal().insert(WalRecordType.NOOP, 0, small, 0, 100, Wal.ANY_REDO,
                        false));
                }
            }
            catch (final Throwable t)
            {
                failed.set(t);
            }
        });
        // daemons: if this ever deadlocks again, the test fails instead of the JVM hanging at exit
        a.setDaemon(true);
        b.setDaemon(true);
        a.start();
        b.start();
        threadsLeftInside = !(join(a) && join(b));
        assertFalse(threadsLeftInside, "both finished: no deadlock between flushing and inserting");
        assertEquals(null, failed.get());
    }

    @Test
    void theControlFileAfterInitdbPointsAtTheBootstrapCheckpoint() throws IOException
    {
        postmaster();
        final ControlFile control = ControlFile.read(data);
        assertEquals(DbState.SHUT_DOWN, control.state());
        assertEquals(16L * 1024 * 1024 + WalPageHeaderDescriptor.LENGTH, control.checkpointLsn());
        assertEquals(control.checkpointLsn(), control.redoLsn());
        assertEquals(-1, new WalSegments(data, 16 << 20).segnoOf("not-a-segment"));
        assertEquals(1, new WalSegments(data, 16 << 20).segnoOf("000000010000000000000001"));
    }
}
