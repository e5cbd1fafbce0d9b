package org.pgshmem.bench;

import static org.pgshmem.bench.BenchRelation.VALUE_OFFSET;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.pgshmem.backend.Backend;
import org.pgshmem.buffer.BufferManager;
import org.pgshmem.buffer.Page;
import org.pgshmem.buffer.RelationFiles;
import org.pgshmem.lock.LWLockMode;

/**
 * The shared buffers (issue 5), in one process: the hit path next to a process-local page cache,
 * and the miss path next to a plain positional read of the relation file.
 *
 * <ul>
 *   <li>{@code hit}: a relation of {@value #CACHED_BLOCKS} blocks, all cached
 *       ({@code shared_buffers} = {@value #CACHED_SHARED_BUFFERS}); each call takes the next block
 *       and does what a reader of a cached page does: {@code readBuffer} (pin), share-lock the
 *       content, read a long, unlock, {@code releaseBuffer} (unpin). Peer {@code chmGet}: a
 *       {@code ConcurrentHashMap<Tag, byte[]>} of the same pages, {@code get} and read the same
 *       long: the in-process lower bound, with nothing shared between processes and no pin or
 *       lock. <b>Goal: hit ≤ 100 ns and ≤ 3× the map.</b></li>
 *   <li>{@code miss}: the same calls on a relation of {@value #MISS_BLOCKS} blocks through
 *       {@value #MISS_SHARED_BUFFERS} buffers, taken in order, so that every read evicts a clean
 *       page and reads its block from the file (the page cache holds the file: no disk I/O).
 *       Peer {@code fileChannelRead}: a positional {@code FileChannel.read} of the same 8 KiB
 *       into a direct buffer, no cache at all.</li>
 * </ul>
 *
 * <p>Diagnostics, to say where the hit path's time goes: {@code hitPinOnly} (pin, read, unpin:
 * no content lock), {@code hitLockOnly} (every page pinned in advance: share-lock, read,
 * unlock), {@code atomicsFloor} (the hit path's locked instructions alone, on words of a mapped
 * file: one volatile store, four compare-and-sets and one atomic add), and
 * {@code fileChannelReadVerify} (the read plus the page checksum the miss path verifies).
 *
 * <p>Each state starts its own cluster, so both sides of a pair run beside the same idle
 * postmaster, background writer and checkpointer. Two processes at once: {@code bench/run-buffers}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class BufferBenchmark
{
    /** The relation of the hit path (PostgreSQL's first user relation number). */
    static final int CACHED_RELATION = 16384;
    static final int CACHED_BLOCKS = 64;
    static final int CACHED_SHARED_BUFFERS = 256;
    static final int MISS_RELATION = 16385;
    static final int MISS_BLOCKS = 1024;
    /** shared_buffers' least value. */
    static final int MISS_SHARED_BUFFERS = 16;

    /** One thread's place in the block sequence: blocks are taken in order, wrapping around. */
    @State(Scope.Thread)
    public static class Cursor
    {
        private int next;

        int next(final int mask)
        {
            final int block = next & mask;
            next = block + 1;
            return block;
        }
    }

    /** A cluster of a few parts, attached to, with a relation created in it. */
    abstract static class ClusterState
    {
        BenchCluster cluster;
        Backend backend;
        BufferManager buffers;

        final void start(final int sharedBuffers, final int relation, final int blocks) throws IOException
        {
            cluster = BenchCluster.start(List.of("shared_buffers=" + sharedBuffers));
            backend = Backend.attach(cluster.dataDir());
            buffers = backend.buffers();
            BenchRelation.create(backend, relation, blocks);
        }

        /**
         * Says, on the fork's output, how many hits and reads the cluster counted for
         * {@code relation} since {@code before}: proof that a hit benchmark hit and a miss one missed.
         */
        final void report(final String what, final int relation, final long[] before)
        {
            final long[] after = BenchRelation.hitsAndReads(backend, relation);
            System.out.println(what + ": relation " + relation + " counted " + (after[0] - before[0]) + " hits and "
                + (after[1] - before[1]) + " reads in the benchmark");
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

    /**
     * The hit path's cluster: every block of the relation cached; the peer's map holds the same
     * pages, read from the relation's file.
     */
    @State(Scope.Benchmark)
    public static class Cached extends ClusterState
    {
        PageCache cache;
        PageCache.Tag[] tags;
        private long[] before;

        @Setup(Level.Trial)
        public void setUp() throws IOException
        {
            start(CACHED_SHARED_BUFFERS, CACHED_RELATION, CACHED_BLOCKS);
            BenchRelation.readAll(buffers, CACHED_RELATION, CACHED_BLOCKS);
            cache = PageCache.load(cluster.dataDir(), new int[] {CACHED_RELATION}, CACHED_BLOCKS);
            tags = cache.tags(CACHED_RELATION);
            before = BenchRelation.hitsAndReads(backend, CACHED_RELATION);
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            try
            {
                if (backend != null)
                {
                    report("hit path", CACHED_RELATION, before);
                }
            }
            finally
            {
                stop();
            }
        }
    }

    /**
     * For {@code hitLockOnly}: every block of the cached relation pinned once, in advance (64 pins,
     * all a process may hold). The backend's close at the end of the trial drops them.
     */
    @State(Scope.Benchmark)
    public static class Pinned
    {
        final int[] buffers = new int[CACHED_BLOCKS];

        @Setup(Level.Trial)
        public void pin(final Cached cached)
        {
            for (int k = 0; k < CACHED_BLOCKS; k++)
            {
                buffers[k] = cached.buffers.readBuffer(CACHED_RELATION, k);
            }
        }
    }

    /** The miss path's cluster: a relation {@value #MISS_BLOCKS} blocks long, {@value #MISS_SHARED_BUFFERS} buffers. */
    @State(Scope.Benchmark)
    public static class Uncached extends ClusterState
    {
        FileChannel file;
        final ByteBuffer io = Page.allocate();
        private long[] before;

        @Setup(Level.Trial)
        public void setUp() throws IOException
        {
            start(MISS_SHARED_BUFFERS, MISS_RELATION, MISS_BLOCKS);
            file = FileChannel.open(new RelationFiles(cluster.dataDir()).path(MISS_RELATION), StandardOpenOption.READ);
            before = BenchRelation.hitsAndReads(backend, MISS_RELATION);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException
        {
            try
            {
                if (backend != null)
                {
                    report("miss path", MISS_RELATION, before);
                }
                if (file != null)
                {
                    file.close();
                }
            }
            finally
            {
                stop();
            }
        }
    }

    /**
     * For {@code atomicsFloor}: a page of a mapped file in /dev/shm (or the temporary directory)
     * standing in for the descriptor's state word, the slot's pin record, the content lock's word
     * and the slot's LWLock record, each on a cache line of its own as in pgshmem's segment.
     */
    @State(Scope.Benchmark)
    public static class Words
    {
        static final int STATE = 0;
        static final int PIN_RECORD = 64;
        static final int LOCK = 128;
        static final int LOCK_RECORD = 192;
        static final int VALUE = 256;

        private Path file;
        private MappedByteBuffer mapped;
        UnsafeBuffer words;

        @Setup(Level.Trial)
        public void map() throws IOException
        {
            final Path devShm = Path.of("/dev/shm");
            file = Files.isDirectory(devShm) && Files.isWritable(devShm)
                ? Files.createTempFile(devShm, "pgshmem-bench-words-", "")
                : Files.createTempFile("pgshmem-bench-words-", "");
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, 4096);
            }
            words = new UnsafeBuffer(mapped);
        }

        @TearDown(Level.Trial)
        public void unmap() throws IOException
        {
            IoUtil.unmap(mapped);
            Files.deleteIfExists(file);
        }
    }

    // ---------------------------------------------------------------------------------------------- hit

    /** The hit path: pin, share-lock, read a long, unlock, unpin. */
    @Benchmark
    public long hit(final Cached cached, final Cursor cursor)
    {
        return BenchRelation.read(cached.buffers, CACHED_RELATION, cursor.next(CACHED_BLOCKS - 1));
    }

    /** The peer: ConcurrentHashMap.get of the page's tag, then the same long from the page. */
    @Benchmark
    public long chmGet(final Cached cached, final Cursor cursor)
    {
        return cached.cache.read(cached.tags[cursor.next(CACHED_BLOCKS - 1)]);
    }

    /** Diagnostic: the hit path without the content lock (pin, read, unpin). */
    @Benchmark
    public long hitPinOnly(final Cached cached, final Cursor cursor)
    {
        final BufferManager bm = cached.buffers;
        final int buf = bm.readBuffer(CACHED_RELATION, cursor.next(CACHED_BLOCKS - 1));
        final long value = bm.page(buf).getLong(VALUE_OFFSET);
        bm.releaseBuffer(buf);
        return value;
    }

    /** Diagnostic: the hit path's content lock alone, on pages pinned in advance (share-lock, read, unlock). */
    @Benchmark
    public long hitLockOnly(final Cached cached, final Pinned pinned, final Cursor cursor)
    {
        final BufferManager bm = cached.buffers;
        final int buf = pinned.buffers[cursor.next(CACHED_BLOCKS - 1)];
        bm.lockBuffer(buf, LWLockMode.SHARED);
        final long value = bm.page(buf).getLong(VALUE_OFFSET);
        bm.unlockBuffer(buf, LWLockMode.SHARED);
        return value;
    }

    /**
     * Diagnostic floor: the locked instructions of the hit path and nothing else, in its order, on
     * words no other process touches: the pin record's volatile store, the pin's compare-and-set
     * of the state word, the LWLock record's compare-and-set, the content lock's compare-and-set
     * in and out, the unpin's atomic add (and the plain release stores that clear the records).
     */
    @Benchmark
    public long atomicsFloor(final Words w)
    {
        final UnsafeBuffer b = w.words;
        b.putIntVolatile(Words.PIN_RECORD, 1);
        final long state = b.getLongVolatile(Words.STATE);
        b.compareAndSetLong(Words.STATE, state, state + 1);
        b.compareAndSetInt(Words.LOCK_RECORD, 0, 1);
        final long lock = b.getLongVolatile(Words.LOCK);
        b.compareAndSetLong(Words.LOCK, lock, lock + 1);
        final long value = b.getLong(Words.VALUE);
        final long locked = b.getLongVolatile(Words.LOCK);
        b.compareAndSetLong(Words.LOCK, locked, locked - 1);
        b.putIntRelease(Words.LOCK_RECORD, 0);
        b.getAndAddLong(Words.STATE, -1);
        b.putIntRelease(Words.PIN_RECORD, 0);
        return value;
    }

    // ---------------------------------------------------------------------------------------------- miss

    /** The miss path: the hit path's calls on a block that is not cached, so readBuffer evicts and reads. */
    @Benchmark
    public long miss(final Uncached uncached, final Cursor cursor)
    {
        return BenchRelation.read(uncached.buffers, MISS_RELATION, cursor.next(MISS_BLOCKS - 1));
    }

    /** The peer: a positional read of the same 8 KiB from the relation file into a direct buffer, no cache. */
    @Benchmark
    public long fileChannelRead(final Uncached uncached, final Cursor cursor) throws IOException
    {
        final ByteBuffer io = uncached.io;
        BenchRelation.readBlock(uncached.file, io, cursor.next(MISS_BLOCKS - 1));
        return io.getLong(VALUE_OFFSET);
    }

    /** Diagnostic: the read and the page verification (checksum) that the miss path does after it. */
    @Benchmark
    public long fileChannelReadVerify(final Uncached uncached, final Cursor cursor) throws IOException
    {
        final ByteBuffer io = uncached.io;
        final int block = cursor.next(MISS_BLOCKS - 1);
        BenchRelation.readBlock(uncached.file, io, block);
        return Page.verify(io, block) ? io.getLong(VALUE_OFFSET) : -1;
    }
}
