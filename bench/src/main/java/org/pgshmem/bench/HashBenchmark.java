package org.pgshmem.bench;

import java.io.IOException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.map.ChronicleMap;
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
import org.pgshmem.shmem.ChronicleHashes;
import org.pgshmem.shmem.HashOptions;
import org.pgshmem.shmem.SharedHash;

/**
 * Get and put through {@link SharedHash}, in a backend attached to a running cluster, next to
 * the same calls on a raw Chronicle Map built by the same builder (long keys, 64-byte values,
 * {@value #KEYS} entries, the same name) mapping the same file. The goal:
 * pgshmem within 5% of raw Chronicle. pgshmem's extra work per call: two atomic adds on the
 * slot's in-flight mark and one volatile read of the hash's recovery generation.
 *
 * <p>Both instances see the same {@value #KEYS} keys; every call picks a key from the same
 * pseudo-random sequence, so both sides touch the same pattern of segments and cache lines.
 * Both sides do identical work: {@code getUsing} into one reused 64-byte array (Chronicle
 * reads into an array of the right length without allocating), and {@code put} of an existing
 * key, which returns the previous value on both sides (SharedHash needs it to know whether
 * the key was new; for an existing key it then adds nothing). Keys are boxed once, in setup.
 *
 * <p>Warm-up is longer than elsewhere: Chronicle's put was still getting faster in its third
 * one-second warm-up iteration on a 2-core machine (8.8, 2.7, 1.2 µs/op, then about 0.7).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class HashBenchmark
{
    static final int KEYS = 100_000;
    static final int VALUE_SIZE = 64;
    static final String LABEL = "BenchHash";

    /** Length of the key sequence; a power of two so that stepping through it is a mask. */
    private static final int SEQUENCE_LENGTH = 1 << 16;

    private BenchCluster cluster;
    private Backend backend;
    private SharedHash<Long, byte[]> shared;
    private ChronicleMap<Long, byte[]> chronicle;
    private final Long[] keys = new Long[KEYS];

    /** One thread's position in the key sequence and its value buffers. */
    @State(Scope.Thread)
    public static class Cursor
    {
        private final int[] sequence = new int[SEQUENCE_LENGTH];
        private int next;
        final byte[] using = new byte[VALUE_SIZE];
        final byte[] value = new byte[VALUE_SIZE];

        /** The same sequence in every fork and for both sides: a fixed seed. */
        @Setup(Level.Trial)
        public void fill()
        {
            final SplittableRandom random = new SplittableRandom(42);
            for (int i = 0; i < sequence.length; i++)
            {
                sequence[i] = random.nextInt(KEYS);
            }
            random.nextBytes(value);
        }

        int nextKeyIndex()
        {
            final int index = sequence[next];
            next = (next + 1) & (SEQUENCE_LENGTH - 1);
            return index;
        }
    }

    /**
     * Starts a real cluster and attaches to it, so that the hash is used as a backend uses it
     * (with the in-flight marks of its proc-array slot); creates both maps side by side under
     * DATA/shm, the peer from the very builder pgshmem uses, and fills them with the same entries.
     */
    @Setup(Level.Trial)
    public void createMaps() throws IOException
    {
        cluster = BenchCluster.start();
        backend = Backend.attach(cluster.dataDir());
        final HashOptions<Long, byte[]> options = HashOptions.of(LABEL, Long.class, byte[].class)
            .maxEntries(KEYS)
            .averageValueSize(VALUE_SIZE);
        shared = backend.shmem().initHash(options);
        // the peer maps the very same file: both sides read the same pages, so what differs is
        // only what SharedHash adds (separate files gave each fork its own page-placement bias)
        chronicle = ChronicleHashes.builder(options).createPersistedTo(shared.file().toFile());

        final SplittableRandom random = new SplittableRandom(7);
        final byte[] value = new byte[VALUE_SIZE];
        for (int i = 0; i < KEYS; i++)
        {
            keys[i] = (long)i;
            random.nextBytes(value);
            shared.put(keys[i], value);
        }
        if (shared.longSize() != KEYS || chronicle.longSize() != KEYS)
        {
            throw new IllegalStateException("pre-fill left " + shared.longSize() + " and " + chronicle.longSize()
                + " entries, expected " + KEYS);
        }
    }

    /** Closes both maps, detaches and stops the cluster (which removes its files). */
    @TearDown(Level.Trial)
    public void removeMaps()
    {
        if (chronicle != null)
        {
            chronicle.close();
        }
        if (backend != null)
        {
            backend.close();
        }
        if (cluster != null)
        {
            cluster.stop();
        }
    }

    /** SharedHash.getUsing of an existing key into a reused array. */
    @Benchmark
    public byte[] pgshmemGet(final Cursor cursor)
    {
        return shared.getUsing(keys[cursor.nextKeyIndex()], cursor.using);
    }

    /** ChronicleMap.getUsing of an existing key into a reused array. */
    @Benchmark
    public byte[] chronicleGet(final Cursor cursor)
    {
        return chronicle.getUsing(keys[cursor.nextKeyIndex()], cursor.using);
    }

    /** SharedHash.put over an existing key; returns the previous value. */
    @Benchmark
    public byte[] pgshmemPut(final Cursor cursor)
    {
        return shared.put(keys[cursor.nextKeyIndex()], cursor.value);
    }

    /** ChronicleMap.put over an existing key; returns the previous value. */
    @Benchmark
    public byte[] chroniclePut(final Cursor cursor)
    {
        return chronicle.put(keys[cursor.nextKeyIndex()], cursor.value);
    }
}
