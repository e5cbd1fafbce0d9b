package org.pgshmem.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.agrona.IoUtil;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.pgshmem.backend.Backend;
import org.pgshmem.util.DurableFiles;
import org.pgshmem.wal.Wal;
import org.pgshmem.wal.WalRecordDescriptor;
import org.pgshmem.wal.WalRecordType;
import org.pgshmem.wal.WalSegments;
import org.pgshmem.xact.Transaction;

/**
 * The write-ahead log (issue 6) in one process: inserting records without waiting for them to
 * reach the disk, next to appending the same bytes to a mapped file, and a commit (insert and
 * flush, with fsync) next to this disk's raw fsync.
 *
 * <ul>
 *   <li>{@code insert}: {@code Wal.insert} of a record of {@code size} payload bytes (100: a
 *       small commit; 8192: a full-page image) by a backend attached to a cluster with
 *       {@code fsync=off}; nothing calls {@code flush}. The cost includes what a PostgreSQL
 *       backend pays for XLogInsert: the atomic add on the insert position, the record's CRC-32C,
 *       the copy into the WAL buffers, and, whenever the ring of WAL buffers is full, writing the
 *       oldest pages to the segment files (a {@code write} into the page cache; the background
 *       writer also flushes the WAL every round) and creating each new 16 MiB segment
 *       (zero-filled and fsynced, whatever {@code fsync} says; checkpoints, at the default
 *       max_wal_size, recycle some).</li>
 *   <li>Peers, the same bytes (a 24-byte header and the payload). {@code fileAppendCrc}, the I/O
 *       path of a log kept by one process without shared memory: the record's CRC-32C computed as
 *       the WAL does, the record staged in a process-local 256 KiB buffer, the buffer written with
 *       {@code FileChannel.write} to 16 MiB files (a ring of 1 GiB) when full; it writes the same bytes to the
 *       same file system as the WAL, so the kernel's side (page cache, writeback) costs both the
 *       same: the honest peer for a rate. The others append by the same kind of claim as the WAL
 *       into memory the benchmark thread never writes out, the floors of the CPU work:
 *       {@code mappedAppend} claims space with an atomic add on a position word and copies the
 *       record into a 16 MiB file mapped read-write, on the same file system as the cluster,
 *       wrapping around (the kernel writes the dirty pages back when it likes, and the same 16 MiB
 *       of page cache are reused); {@code mappedAppendCrc} adds the CRC-32C that any log that must
 *       tell a torn tail from a record needs (over the record's position, the header and the
 *       payload, as the WAL computes it). {@code ringWrite}: Agrona's {@code ManyToOneRingBuffer}
 *       (the claim, copy and commit of the WAL buffers, in memory) of {@value #WAL_BUFFERS_BYTES}
 *       bytes, as the cluster's WAL buffers; when it is full the same thread drains it (Agrona's
 *       consumer zeroes what it read), so its figure includes a consumer, as the WAL's includes
 *       its writes. The ring never reaches a file.</li>
 *   <li>{@code commit}: {@code insert} of a {@value #COMMIT_PAYLOAD}-byte record and
 *       {@code flush} of its end, in a cluster with {@code fsync=on}: one {@code write} of the new
 *       bytes and one {@code fdatasync} of the segment each time (one process: nobody to share an
 *       fsync with). {@code commitTransaction}: a transaction in the same cluster, begin, one
 *       {@value #COMMIT_PAYLOAD}-byte write to a page, commit (pin and lock the page, build and
 *       insert the commit record, flush it, apply it to the page and the commit log). Peer {@code rawFsync}: a positional {@code FileChannel.write} of 8 KiB into a
 *       16 MiB file made zero-filled in the cluster's data directory, at the next offset
 *       (wrapping), and {@code force(false)} (fdatasync): this disk's fsync rate, the bound of any
 *       commit that waits for the disk. Diagnostic peer {@code rawFsyncRecord}: the same with the
 *       {@value #COMMIT_RECORD} bytes a one-process commit writes. Group commit between processes: {@code bench/run-wal}
 *       ({@code CommitScaling}).</li>
 * </ul>
 *
 * <p>Each state starts its own cluster; they are stopped and removed at the end of the trial.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class WalBenchmark
{
    /** Bytes of a commit record's payload: a small transaction's commit record. */
    static final int COMMIT_PAYLOAD = 100;
    /** Bytes of a commit's record in the WAL: header and payload (124), aligned to 8. */
    static final int COMMIT_RECORD = WalRecordDescriptor.HEADER_LENGTH + COMMIT_PAYLOAD + 4;
    /** The record type: replay skips it, so the WAL these benchmarks leave behind means nothing. */
    static final int TYPE = WalRecordType.NOOP;
    /** A segment's size, and the mapped peer's file. */
    static final int LOG_BYTES = 16 * 1024 * 1024;
    /** The cluster's WAL buffers with its default shared_buffers (16384 / 32 pages of 8 KiB). */
    static final int WAL_BUFFERS_BYTES = 4 * 1024 * 1024;
    static final int FSYNC_BLOCK = 8192;
    /** The file peer's ring of files: 1 GiB, the default max_wal_size, past which checkpoints recycle segments. */
    static final int FILE_LOG_FILES = 64;
    /** The file peer's staging buffer: the WAL's largest write (Wal.IO_CHUNK). */
    static final int STAGING_BYTES = 256 * 1024;
    /** The relation {@code commitTransaction} writes to, one block. */
    static final int RELATION = 16384;
    /** Where in the block: past the page header and BenchRelation's value. */
    static final int WRITE_OFFSET = 64;

    /** A payload of {@code size} bytes that are not all zero. */
    static UnsafeBuffer payload(final int size)
    {
        final byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++)
        {
            bytes[i] = (byte)(i * 31 + 7);
        }
        return new UnsafeBuffer(bytes);
    }

    /** A cluster with {@code settings}, a backend attached to it and its WAL. */
    abstract static class ClusterState
    {
        BenchCluster cluster;
        Backend backend;
        Wal wal;
        private long[] before;

        final void start(final List<String> settings) throws IOException
        {
            cluster = BenchCluster.start(settings);
            backend = Backend.attach(cluster.dataDir());
            wal = backend.module(Wal.class);
            before = wal.stats();
        }

        /** Says, on the fork's output, what the WAL counted in the trial: records, bytes, writes, fsyncs, segments. */
        final void report(final String what)
        {
            final long[] after = wal.stats();
            long segments = -1;
            try (var files = Files.list(cluster.dataDir().resolve(WalSegments.DIRECTORY)))
            {
                segments = files.count();
            }
            catch (final IOException ex)
            {
                // the count is only for the log
            }
            System.out.println(what + ": wal_records " + (after[0] - before[0]) + ", wal_bytes " + (after[2] - before[2])
                + ", wal_write " + (after[3] - before[3]) + ", wal_sync " + (after[4] - before[4]) + "; " + segments
                + " segment files");
        }

        final void stop()
        {
            if (backend != null)
            {
                backend.close();
            }
            if (cluster != null)
            {
                cluster.stop();
            }
        }
    }

    /** A cluster with fsync=off, for inserts. */
    @State(Scope.Benchmark)
    public static class Inserting extends ClusterState
    {
        @Param({"100", "8192"})
        int size;
        UnsafeBuffer payload;

        @Setup(Level.Trial)
        public void setUp() throws IOException
        {
            start(List.of("fsync=off"));
            payload = payload(size);
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            try
            {
                if (wal != null)
                {
                    report("insert, " + size + " B");
                }
            }
            finally
            {
                stop();
            }
        }
    }

    /**
     * The mapped peer: a position word on its own cache line and a {@value #LOG_BYTES}-byte log,
     * both in one file mapped read-write, in a directory beside the clusters (same file system).
     */
    @State(Scope.Benchmark)
    public static class MappedLog
    {
        static final int POSITION = 0;
        static final int LOG = 4096;

        @Param({"100", "8192"})
        int size;
        UnsafeBuffer payload;
        final UnsafeBuffer header = new UnsafeBuffer(new byte[WalRecordDescriptor.HEADER_LENGTH]);
        final byte[] lsnBytes = new byte[Long.BYTES];
        final UnsafeBuffer lsnView = new UnsafeBuffer(lsnBytes);
        final CRC32C crc = new CRC32C();
        private Path dir;
        private MappedByteBuffer mapped;
        UnsafeBuffer file;

        @Setup(Level.Trial)
        public void map() throws IOException
        {
            payload = payload(size);
            dir = Files.createTempDirectory("pgshmem-bench-log-");
            final Path path = dir.resolve("log");
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE))
            {
                // zero-filled and on disk, as a WAL segment is made, so that no store finds a hole
                final ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
                for (long at = 0; at < LOG + LOG_BYTES; at += zeros.capacity())
                {
                    zeros.clear().limit((int)Math.min(zeros.capacity(), LOG + LOG_BYTES - at));
                    channel.write(zeros, at);
                }
                channel.force(true);
                mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, LOG + LOG_BYTES);
            }
            file = new UnsafeBuffer(mapped);
        }

        /**
         * Appends the record: claims its aligned length with an atomic add on the position word,
         * copies header and payload (wrapping at the end of the log), then publishes the length
         * with a release store, as a ring's producer commits. Returns the position.
         */
        long append(final boolean withCrc)
        {
            final int length = WalRecordDescriptor.HEADER_LENGTH + size;
            final int aligned = WalRecordDescriptor.align(length);
            final long pos = file.getAndAddLong(POSITION, aligned);
            final UnsafeBuffer h = header;
            h.putLong(WalRecordDescriptor.XID_OFFSET, pos);
            h.putByte(WalRecordDescriptor.TYPE_OFFSET, (byte)TYPE);
            if (withCrc)
            {
                crc.reset();
                lsnView.putLong(0, pos);
                crc.update(lsnBytes, 0, Long.BYTES);
                h.putInt(WalRecordDescriptor.TOTAL_LENGTH_OFFSET, length);
                crc.update(h.byteArray(), 0, WalRecordDescriptor.CRC_OFFSET);
                crc.update(payload.byteArray(), 0, size);
                h.putInt(WalRecordDescriptor.CRC_OFFSET, (int)crc.getValue());
            }
            h.putInt(WalRecordDescriptor.TOTAL_LENGTH_OFFSET, 0);
            final int at = (int)(pos % LOG_BYTES);
            put(at, h, WalRecordDescriptor.HEADER_LENGTH);
            put((at + WalRecordDescriptor.HEADER_LENGTH) % LOG_BYTES, payload, size);
            file.putIntRelease(LOG + at, length);
            return pos;
        }

        /** Copies the first {@code n} bytes of {@code src} to log offset {@code at}, wrapping at the end. */
        private void put(final int at, final UnsafeBuffer src, final int n)
        {
            final int first = Math.min(n, LOG_BYTES - at);
            file.putBytes(LOG + at, src, 0, first);
            if (first < n)
            {
                file.putBytes(LOG, src, first, n - first);
            }
        }

        @TearDown(Level.Trial)
        public void unmap() throws IOException
        {
            IoUtil.unmap(mapped);
            DurableFiles.deleteTree(dir);
        }
    }

    /**
     * The file peer: the log a single process keeps without shared memory. Records are staged in a
     * process-local buffer of {@value #STAGING_BYTES} bytes (the WAL writes runs of up to as much),
     * written with a positional {@code FileChannel.write} when it is full, to files of
     * {@value #LOG_BYTES} bytes each (the WAL's segments), in a directory beside the clusters, no
     * fsync. The files form a ring of {@value #FILE_LOG_FILES} (1 GiB), written over once it has
     * gone round, as the WAL's checkpoints (every ~540 MB of WAL at the default max_wal_size)
     * recycle old segments into new ones. New files are not zero-filled first: that is the WAL's
     * own choice (so that an fdatasync never has to write metadata), and part of what the ratio
     * shows.
     */
    @State(Scope.Benchmark)
    public static class FileLog
    {
        @Param({"100", "8192"})
        int size;
        UnsafeBuffer payload;
        final UnsafeBuffer header = new UnsafeBuffer(new byte[WalRecordDescriptor.HEADER_LENGTH]);
        final byte[] lsnBytes = new byte[Long.BYTES];
        final UnsafeBuffer lsnView = new UnsafeBuffer(lsnBytes);
        final CRC32C crc = new CRC32C();
        final ByteBuffer staging = ByteBuffer.allocateDirect(STAGING_BYTES);
        final UnsafeBuffer stagingView = new UnsafeBuffer(staging);
        private Path dir;
        private FileChannel file;
        private int files;
        private long fileAt;
        long position;

        @Setup(Level.Trial)
        public void open() throws IOException
        {
            payload = payload(size);
            dir = Files.createTempDirectory("pgshmem-bench-filelog-");
            file = FileChannel.open(dir.resolve("log." + files++), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }

        /** Appends the record with its CRC-32C, as the WAL computes it, to the staging buffer; writes it out when full. */
        long append() throws IOException
        {
            final int length = WalRecordDescriptor.HEADER_LENGTH + size;
            final int aligned = WalRecordDescriptor.align(length);
            if (staging.position() + aligned > STAGING_BYTES)
            {
                writeOut();
            }
            final long pos = position;
            position += aligned;
            final UnsafeBuffer h = header;
            h.putInt(WalRecordDescriptor.TOTAL_LENGTH_OFFSET, length);
            h.putByte(WalRecordDescriptor.TYPE_OFFSET, (byte)TYPE);
            h.putLong(WalRecordDescriptor.XID_OFFSET, pos);
            crc.reset();
            lsnView.putLong(0, pos);
            crc.update(lsnBytes, 0, Long.BYTES);
            crc.update(h.byteArray(), 0, WalRecordDescriptor.CRC_OFFSET);
            crc.update(payload.byteArray(), 0, size);
            h.putInt(WalRecordDescriptor.CRC_OFFSET, (int)crc.getValue());
            final int at = staging.position();
            stagingView.putBytes(at, h, 0, WalRecordDescriptor.HEADER_LENGTH);
            stagingView.putBytes(at + WalRecordDescriptor.HEADER_LENGTH, payload, 0, size);
            staging.position(at + aligned);
            return pos;
        }

        private void writeOut() throws IOException
        {
            staging.flip();
            while (staging.hasRemaining())
            {
                fileAt += file.write(staging, fileAt);
            }
            staging.clear();
            if (fileAt >= LOG_BYTES)
            {
                // the next file of the ring, written over once the ring has gone round
                file.close();
                file = FileChannel.open(dir.resolve("log." + files++ % FILE_LOG_FILES), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
                fileAt = 0;
            }
        }

        @TearDown(Level.Trial)
        public void close() throws IOException
        {
            file.close();
            System.out.println("file log, " + size + " B: " + files + " files written");
            DurableFiles.deleteTree(dir);
        }
    }

    /** The ring peer: a ManyToOneRingBuffer as large as the cluster's WAL buffers, off the heap. */
    @State(Scope.Benchmark)
    public static class Ring
    {
        @Param({"100", "8192"})
        int size;
        UnsafeBuffer record;
        ManyToOneRingBuffer ring;
        final MessageHandler drop = (type, buffer, index, length) -> { };

        @Setup(Level.Trial)
        public void allocate()
        {
            // the same bytes as a WAL record: header and payload
            record = payload(WalRecordDescriptor.HEADER_LENGTH + size);
            ring = new ManyToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(
                WAL_BUFFERS_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
        }
    }

    /** A cluster with fsync=on, for commits, and a 16 MiB zero-filled file in its data directory, for raw fsyncs. */
    @State(Scope.Benchmark)
    public static class Committing extends ClusterState
    {
        UnsafeBuffer payload;
        FileChannel fsyncFile;
        final ByteBuffer block = ByteBuffer.allocateDirect(FSYNC_BLOCK);
        long next;

        @Setup(Level.Trial)
        public void setUp() throws IOException
        {
            start(List.of("checkpoint_timeout=86400"));
            payload = payload(COMMIT_PAYLOAD);
            BenchRelation.create(backend, RELATION, 1);
            fsyncFile = zeroFilled(cluster.dataDir().resolve("bench_fsync"), LOG_BYTES);
            for (int i = 0; i < FSYNC_BLOCK; i++)
            {
                block.put(i, (byte)(i * 31 + 7));
            }
        }

        /** Writes the next {@code bytes} bytes of the file (8 KiB at most) and fdatasyncs them. */
        long rawFsync(final int bytes) throws IOException
        {
            final long at = next;
            next = (at + bytes) % LOG_BYTES;
            block.clear().limit(bytes);
            while (block.hasRemaining())
            {
                fsyncFile.write(block, at + block.position());
            }
            fsyncFile.force(false);
            return at;
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException
        {
            try
            {
                if (fsyncFile != null)
                {
                    fsyncFile.close();
                }
                if (wal != null)
                {
                    report("commit");
                }
            }
            finally
            {
                stop();
            }
        }
    }

    /** A file of {@code bytes} zeros, written and fsynced (as a WAL segment is made), open for writing. */
    static FileChannel zeroFilled(final Path path, final int bytes) throws IOException
    {
        final FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        final ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
        for (long at = 0; at < bytes; at += zeros.capacity())
        {
            zeros.clear().limit((int)Math.min(zeros.capacity(), bytes - at));
            while (zeros.hasRemaining())
            {
                channel.write(zeros, at + zeros.position());
            }
        }
        channel.force(true);
        return channel;
    }

    // ---------------------------------------------------------------------------------------------- insert

    /** Wal.insert of a record of {@code size} payload bytes; no flush. */
    @Benchmark
    public long insert(final Inserting s)
    {
        return s.wal.insert(TYPE, 0, s.payload, 0, s.size, Wal.ANY_REDO, false);
    }

    /** Peer: the same bytes with their CRC-32C appended to files through a process-local buffer, no fsync. */
    @Benchmark
    public long fileAppendCrc(final FileLog log) throws IOException
    {
        return log.append();
    }

    /** Peer: the same bytes appended to a mapped file by an atomic claim. */
    @Benchmark
    public long mappedAppend(final MappedLog log)
    {
        return log.append(false);
    }

    /** Peer: the same, with the record's CRC-32C computed as the WAL does. */
    @Benchmark
    public long mappedAppendCrc(final MappedLog log)
    {
        return log.append(true);
    }

    /** Peer: the same bytes written to an Agrona ManyToOneRingBuffer, drained by this thread when full. */
    @Benchmark
    public boolean ringWrite(final Ring r)
    {
        final int length = WalRecordDescriptor.HEADER_LENGTH + r.size;
        if (r.ring.write(1, r.record, 0, length))
        {
            return true;
        }
        r.ring.read(r.drop, Integer.MAX_VALUE);
        return r.ring.write(1, r.record, 0, length);
    }

    // ---------------------------------------------------------------------------------------------- commit

    /** One process's commit: insert a {@value #COMMIT_PAYLOAD}-byte record, flush (write + fdatasync) up to its end. */
    @Benchmark
    public long commit(final Committing s)
    {
        final long end = s.wal.insert(TYPE, 0, s.payload, 0, COMMIT_PAYLOAD, Wal.ANY_REDO, false);
        s.wal.flush(end);
        return end;
    }

    /** One process's transaction: begin, write {@value #COMMIT_PAYLOAD} bytes to a page, commit (insert, flush, apply). */
    @Benchmark
    public long commitTransaction(final Committing s)
    {
        final Transaction t = s.backend.begin();
        t.write(RELATION, 0, WRITE_OFFSET, s.payload.byteArray());
        return t.commit();
    }

    /** Peer: this disk's fsync, 8 KiB written at the next offset of a zero-filled file and force(false). */
    @Benchmark
    public long rawFsync(final Committing s) throws IOException
    {
        return s.rawFsync(FSYNC_BLOCK);
    }

    /**
     * Diagnostic peer: what a one-process commit asks of the disk, the record's
     * {@value #COMMIT_RECORD} bytes appended at the next offset and force(false).
     */
    @Benchmark
    public long rawFsyncRecord(final Committing s) throws IOException
    {
        return s.rawFsync(COMMIT_RECORD);
    }
}
