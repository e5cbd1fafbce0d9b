package org.pgshmem.bench;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
import org.pgshmem.shmem.SegmentHeaderDescriptor;

/**
 * What it costs a process to join a running cluster and leave it: {@link Backend#attach} plus
 * {@link Backend#close} against a real postmaster (with its bgwriter and checkpointer running),
 * next to the floor of any attach, mapping the same segment file with {@link FileChannel#map},
 * reading its first word through an Agrona {@link UnsafeBuffer} and unmapping it.
 *
 * <p>The difference is what pgshmem adds: reading the pid and control files, checking the
 * postmaster is alive, the header handshake, reading the runtime settings, every module's
 * shmemInit (label lookups) and claiming then releasing a proc-array slot.
 *
 * <p>Warm-up is longer than elsewhere: on a 2-core machine attach was still getting faster in
 * its third one-second warm-up iteration (390, 489, 195 µs/op, then about 95).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class AttachBenchmark
{
    private BenchCluster cluster;
    private Path dataDir;
    private Path segmentFile;

    /** Creates and starts the cluster: once per trial, since a start takes seconds. */
    @Setup(Level.Trial)
    public void startCluster() throws IOException
    {
        cluster = BenchCluster.start();
        dataDir = cluster.dataDir();
        segmentFile = cluster.segmentFile();
    }

    /** Stops the cluster (killing it if it will not stop) and removes its files. */
    @TearDown(Level.Trial)
    public void stopCluster()
    {
        if (cluster != null)
        {
            cluster.stop();
        }
    }

    /** {@code Backend.attach(dataDir)} then {@code close()}. */
    @Benchmark
    public int backendAttach()
    {
        try (Backend backend = Backend.attach(dataDir))
        {
            return backend.slot();
        }
    }

    /**
     * The floor: open the segment file, map all of it, read the magic number (attach has to read
     * the header before it can trust anything), unmap, close. The size comes from the channel,
     * as an attacher that knows nothing else would get it.
     */
    @Benchmark
    public long rawMap() throws IOException
    {
        try (FileChannel channel = FileChannel.open(segmentFile, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size());
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            final long magic = buffer.getLongVolatile(SegmentHeaderDescriptor.MAGIC_OFFSET);
            IoUtil.unmap(mapped);
            return magic;
        }
    }
}
