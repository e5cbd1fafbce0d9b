package org.pgshmem.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

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
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.shmem.ShmemStruct;
import org.pgshmem.shmem.StructInit;
import org.pgshmem.util.DurableFiles;

/**
 * {@link Shmem#initStruct} of a label that already exists (PostgreSQL's ShmemInitStruct with
 * {@code found = true}, what every process does for every module when it attaches), next to
 * what a process would do with a registry of its own: {@link HashMap#get} and
 * {@link ConcurrentHashMap#get} from the label to a buffer over the same region.
 *
 * <p>The segment holds twenty labels; each call looks up the next one in turn,
 * so the figure is an average over short and long labels and over the index's probe chains.
 * Stepping through the labels costs the same on every side.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class InitStructLookupBenchmark
{
    /** Labels as PostgreSQL names its shared structures, of assorted lengths. */
    static final String[] LABELS = {
        "Proc Array", "Runtime Settings", "XLOG Ctl", "Buffer Descriptors", "Buffer Blocks",
        "Checkpointer Data", "Background Writer Data", "PMSignalState", "Shared Invalidation State",
        "Lock Manager", "LWLock Tranches", "CLOG Ctl", "Subtrans Ctl", "MultiXactOffset Ctl",
        "Async Queue Control", "Sync Scan Locations List", "Backend Status Array", "ProcSignal",
        "Wal Sender Ctl", "Predicate Lock Target Hash",
    };

    static final int STRUCT_SIZE = 256;

    private Path directory;
    private Shmem shmem;
    private final Map<String, UnsafeBuffer> hashMap = new HashMap<>();
    private final Map<String, UnsafeBuffer> concurrentHashMap = new ConcurrentHashMap<>();

    /** Which label a thread looks up next. */
    @State(Scope.Thread)
    public static class Cursor
    {
        private int next;

        String nextLabel()
        {
            final String label = LABELS[next];
            if (++next == LABELS.length)
            {
                next = 0;
            }
            return label;
        }
    }

    /** Creates a segment, registers every label in it and puts the same regions in the two maps. */
    @Setup(Level.Trial)
    public void createSegment() throws IOException
    {
        directory = Files.createTempDirectory("pgshmem-bench-");
        final long size = ShmemSegment.overhead() + (long)LABELS.length * STRUCT_SIZE + 64 * 1024;
        final ShmemSegment segment = ShmemSegment.create(directory.resolve("segment"), size,
            ThreadLocalRandom.current().nextLong());
        shmem = Shmem.open(segment, Settings.defaults(), directory);
        for (final String label : LABELS)
        {
            final ShmemStruct struct = shmem.initStruct(label, STRUCT_SIZE, StructInit.ZEROED);
            final UnsafeBuffer region = new UnsafeBuffer(struct.buffer(), 0, struct.size());
            hashMap.put(label, region);
            concurrentHashMap.put(label, region);
        }
    }

    /** Unmaps the segment and removes its directory. */
    @TearDown(Level.Trial)
    public void removeSegment() throws IOException
    {
        if (shmem != null)
        {
            shmem.close();
        }
        if (directory != null)
        {
            DurableFiles.deleteTree(directory);
        }
    }

    /** initStruct of an existing label: validate it, find it in the shared index, check kind and size. */
    @Benchmark
    public ShmemStruct initStructFound(final Cursor cursor)
    {
        return shmem.initStruct(cursor.nextLabel(), STRUCT_SIZE, StructInit.ZEROED);
    }

    /** The JDK's in-process lookup: what a single-process program would use. */
    @Benchmark
    public UnsafeBuffer hashMapGet(final Cursor cursor)
    {
        return hashMap.get(cursor.nextLabel());
    }

    /** The same with a map that many threads may update, as a registry shared by threads needs. */
    @Benchmark
    public UnsafeBuffer concurrentHashMapGet(final Cursor cursor)
    {
        return concurrentHashMap.get(cursor.nextLabel());
    }
}
