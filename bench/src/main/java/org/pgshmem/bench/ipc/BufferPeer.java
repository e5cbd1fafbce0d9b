package org.pgshmem.bench.ipc;

import java.io.PrintStream;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.backend.Backend;
import org.pgshmem.bench.BenchRelation;
import org.pgshmem.bench.PageCache;
import org.pgshmem.buffer.BufferManager;

/**
 * One side of {@link BufferScaling}: a child JVM whose threads read cached pages in a tight loop
 * while the other side does the same. Started by {@link PeerProcess}; not for running by hand:
 * {@code BufferPeer pgshmem|chm <parent pid> <control file> <data directory> <blocks> <relation>...}.
 *
 * <ul>
 *   <li>{@code pgshmem}: attaches to the cluster as a backend; a read is
 *       {@link BenchRelation#read}, the hit path of {@code BufferBenchmark.hit} (pin, share-lock,
 *       read a long, unlock, unpin). One thread: a BufferManager is used by one thread, as a
 *       PostgreSQL backend.</li>
 *   <li>{@code chm}: the relations' pages, read from their files, in a {@link PageCache} of this
 *       process; a read is {@code get} and the same long. Any number of threads.</li>
 * </ul>
 *
 * <p>It speaks {@link PeerProcess}'s lines and runs {@link TimedRounds}' rounds:
 * <pre>
 *   child:  ready                               (attached or loaded; every page checked)
 *   parent: hammer ROUND RELATION THREADS TIMEOUT_MS
 *   child:  go                                  (every thread is in its loop)
 *           ... the parent moves the phase word: WARMUP, MEASURE, STOP ...
 *   child:  done ALLOCATED_BYTES PREEMPTIONS CPU_NANOS 0 COUNT...   (one count per thread)
 *   parent: quit
 *   child:  bye
 * </pre>
 * Each thread reads blocks 0, 1, 2, ... of the relation, wrapping around. Every value read is
 * added up and the sum checked against the block numbers the loop asked for, so that no read
 * can be skipped and every page held what it should.
 *
 * <p>A watchdog thread halts this JVM when the parent is gone, so that a killed benchmark never
 * leaves a process spinning on a core.
 */
public final class BufferPeer
{
    static final String PGSHMEM = "pgshmem";
    static final String CHM = "chm";

    private BufferPeer()
    {
    }

    /** The pages of one relation, as a loop reads them. */
    private interface Pages
    {
        /** The long at {@code VALUE_OFFSET} of block {@code block}. Each JVM loads one implementation. */
        long read(int block);
    }

    /** The kind's way of reading pages, for the relation a round names. */
    private interface Relations
    {
        Pages of(int relation);
    }

    /**
     * Runs one side.
     *
     * @param args kind, parent pid, control file, data directory, blocks per relation, relations
     */
    public static void main(final String[] args)
    {
        TimedRounds.runChild(Long.parseLong(args[1]), "buffer peer", out ->
        {
            final String kind = args[0];
            final Path controlFile = Path.of(args[2]);
            final Path dataDir = Path.of(args[3]);
            final int blocks = Integer.parseInt(args[4]);
            if (Integer.bitCount(blocks) != 1)
            {
                throw new IllegalArgumentException("blocks must be a power of two: " + blocks);
            }
            final int[] relations = new int[args.length - 5];
            for (int i = 0; i < relations.length; i++)
            {
                relations[i] = Integer.parseInt(args[5 + i]);
            }
            final MappedByteBuffer mapped = MappedFiles.map(controlFile, TimedRounds.CONTROL_LENGTH);
            Backend backend = null;
            try
            {
                final Relations pages;
                if (kind.equals(PGSHMEM))
                {
                    backend = Backend.attach(dataDir);
                    final BufferManager bm = backend.buffers();
                    for (final int relation : relations)
                    {
                        BenchRelation.readAll(bm, relation, blocks);
                    }
                    pages = relation -> block -> BenchRelation.read(bm, relation, block);
                }
                else if (kind.equals(CHM))
                {
                    final PageCache cache = PageCache.load(dataDir, relations, blocks);
                    pages = relation ->
                    {
                        final PageCache.Tag[] tags = cache.tags(relation);
                        return block -> cache.read(tags[block]);
                    };
                }
                else
                {
                    throw new IllegalArgumentException("unknown kind \"" + kind + "\" (known: pgshmem, chm)");
                }
                final UnsafeBuffer control = new UnsafeBuffer(mapped);
                final boolean oneThread = kind.equals(PGSHMEM);
                TimedRounds.say(out, "ready");
                TimedRounds.serve(out, words -> hammer(pages, control, words, blocks, oneThread, out));
            }
            finally
            {
                if (backend != null)
                {
                    backend.close();
                }
                MappedFiles.unmap(mapped);
            }
        });
    }

    /** {@code hammer ROUND RELATION THREADS TIMEOUT_MS}: runs the round, returns the {@code done} line. */
    private static String hammer(final Relations pages, final UnsafeBuffer control, final String[] words,
        final int blocks, final boolean oneThread, final PrintStream out) throws InterruptedException
    {
        final long round = Long.parseLong(words[1]);
        final Pages relation = pages.of(Integer.parseInt(words[2]));
        final int threads = Integer.parseInt(words[3]);
        if (oneThread && threads != 1)
        {
            throw new IllegalArgumentException("a backend's buffer manager is used by one thread, not " + threads);
        }
        final Loop[] loops = new Loop[threads];
        for (int i = 0; i < threads; i++)
        {
            loops[i] = new Loop(relation, control, round, blocks);
        }
        return TimedRounds.hammer(loops, "pgshmem-bench-buffers", out);
    }

    /** One thread's loop: read the next block, add up what it held. */
    private static final class Loop extends TimedRounds.Loop
    {
        private final Pages pages;
        private final int mask;

        Loop(final Pages pages, final UnsafeBuffer control, final long round, final int blocks)
        {
            super(control, round);
            this.pages = pages;
            this.mask = blocks - 1;
        }

        @Override
        void spin()
        {
            long n = 0;
            long sum = 0;
            long first = -1;
            long phase;
            while ((phase = control.getLongVolatile(TimedRounds.PHASE_OFFSET)) != stop)
            {
                if (first < 0 && phase == measure)
                {
                    first = n;
                    opened();
                }
                sum += pages.read((int)n & mask);
                n++;
            }
            if (sum != expectedSum(n, mask + 1))
            {
                throw new IllegalStateException("the " + n + " reads added up to " + sum + ", not "
                    + expectedSum(n, mask + 1) + ": a page did not hold its block number");
            }
            closed(first, n);
        }
    }

    /** 0 + 1 + ... + (blocks - 1), repeated, for {@code n} reads. */
    static long expectedSum(final long n, final int blocks)
    {
        final long cycles = n / blocks;
        final long rest = n % blocks;
        return cycles * ((long)blocks * (blocks - 1) / 2) + rest * (rest - 1) / 2;
    }
}
