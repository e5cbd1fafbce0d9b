package org.pgshmem.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
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
import org.pgshmem.shmem.HashOptions;
import org.pgshmem.shmem.SharedHash;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.util.DurableFiles;

/**
 * Get and put through {@link SharedHash} next to the same calls on a raw Chronicle Map built
 * with the same settings (long keys, 64-byte values, {@value #KEYS} entries, the same name) in
 * a second file of the same directory. The goal: pgshmem within 5% of raw Chronicle.
 *
 * <p>Both maps hold the same {@value #KEYS} keys; every call picks a key from the same
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
    static final String PEER_FILE = "chronicle-peer.cmap";

    /** Length of the key sequence; a power of two so that stepping through it is a mask. */
    private static final int SEQUENCE_LENGTH = 1 << 16;

    private Path directory;
    private Shmem shmem;
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

    /** Creates both maps, side by side under DATA/shm, and fills them with the same entries. */
    @Setup(Level.Trial)
    public void createMaps() throws IOException
    {
        directory = Files.createTempDirectory("pgshmem-bench-");
        // the hash lives in its own file; the segment only holds its index entry and entry count
        final ShmemSegment segment = ShmemSegment.create(directory.resolve("segment"),
            ShmemSegment.overhead() + 64 * 1024, ThreadLocalRandom.current().nextLong());
        shmem = Shmem.open(segment, Settings.defaults(), directory);
        shared = shmem.initHash(HashOptions.of(LABEL, Long.class, byte[].class)
            .maxEntries(KEYS)
            .averageValueSize(VALUE_SIZE));
        // what HashOptions turns into: ChronicleHashes.builder (package-private in core) does exactly this
        chronicle = ChronicleMapBuilder.of(Long.class, byte[].class)
            .name(LABEL)
            .entries(KEYS)
            .averageValueSize(VALUE_SIZE)
            .createPersistedTo(shared.file().resolveSibling(PEER_FILE).toFile());

        final SplittableRandom random = new SplittableRandom(7);
        final byte[] value = new byte[VALUE_SIZE];
        for (int i = 0; i < KEYS; i++)
        {
            keys[i] = (long)i;
            random.nextBytes(value);
            shared.put(keys[i], value);
            chronicle.put(keys[i], value);
        }
        if (shared.longSize() != KEYS || chronicle.longSize() != KEYS)
        {
            throw new IllegalStateException("pre-fill left " + shared.longSize() + " and " + chronicle.longSize()
                + " entries, expected " + KEYS);
        }
    }

    /** Closes both maps, unmaps the segment and removes the directory. */
    @TearDown(Level.Trial)
    public void removeMaps() throws IOException
    {
        if (chronicle != null)
        {
            chronicle.close();
        }
        if (shmem != null)
        {
            shmem.close();
        }
        if (directory != null)
        {
            DurableFiles.deleteTree(directory);
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
