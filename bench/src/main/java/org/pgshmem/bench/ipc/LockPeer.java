package org.pgshmem.bench.ipc;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.backend.Backend;
import org.pgshmem.lock.LWLock;
import org.pgshmem.lock.LWLockMode;
import org.pgshmem.lock.LWLockTranche;
import org.pgshmem.lock.LockManager;
import org.pgshmem.lock.LockMode;
import org.pgshmem.lock.LockTag;

/**
 * One side of a contended lock in {@link LockContention}: a child JVM whose threads take and
 * release one lock, exclusively, in a tight loop, while another process (or another thread of
 * this one, for the in-process lock) does the same. Started by {@link PeerProcess}; not for
 * running by hand: {@code LockPeer <lock> <parent pid> <work directory> <data directory|-> <threads>}.
 *
 * <p>It speaks {@link PeerProcess}'s lines and runs {@link TimedRounds}' rounds:
 * <pre>
 *   child:  ready                                  (attached, tranche found, files open)
 *   parent: hammer ROUND plain|mark TIMEOUT_MS
 *   child:  go                                     (every thread is in its loop)
 *           ... the parent moves the phase word: WARMUP, MEASURE, STOP ...
 *   child:  done ALLOCATED_BYTES PREEMPTIONS CPU_NANOS HANDOFFS COUNT...   (one count per thread)
 *   parent: quit
 *   child:  bye
 * </pre>
 * Each thread counts the acquisitions it made between seeing the phase word say MEASURE and
 * seeing it say STOP. With {@code mark}, each thread also writes its name into the owner word
 * while it holds the lock and counts the acquisitions that found another side's name there: the
 * handoffs (0 without {@code mark}). That costs a cache-line transfer per handoff, so a marked
 * round's rates are not the plain ones.
 *
 * <p>A watchdog thread halts this JVM when the parent is gone, so that a killed benchmark never
 * leaves a process spinning on a core.
 */
public final class LockPeer
{
    /** PostgreSQL's LWLock, one of a tranche made for this benchmark. */
    static final String LWLOCK = "lwlock";
    /** pg_advisory_lock / pg_advisory_unlock: ExclusiveLock on an advisory tag. */
    static final String HEAVYWEIGHT = "heavyweight";
    /** FileChannel.lock + release on one file. */
    static final String FILE_LOCK = "filelock";
    /** The floor: a test-and-test-and-set spinlock word in a mapped file. */
    static final String CAS_WORD = "cas-word";
    /** ReentrantReadWriteLock's write lock, two threads of one process (it cannot cross processes). */
    static final String RW_LOCK = "rwlock";

    /** The owner word of the control file, written only by the lock's holder in a marked round; two lines from the phase word. */
    static final int OWNER_OFFSET = 128;

    /** The tranche both processes find by name. */
    static final String TRANCHE = "LockContention";
    static final LockTag ADVISORY = LockTag.advisory(42);

    private LockPeer()
    {
    }

    /**
     * The contended lock: taken exclusively, then released. Each JVM loads one implementation, so
     * the loop's calls are monomorphic.
     */
    private interface Target extends AutoCloseable
    {
        void acquire() throws IOException;

        void release() throws IOException;

        @Override
        void close() throws IOException;
    }

    /**
     * Runs one side.
     *
     * @param args lock, parent pid, work directory, data directory ({@code -} when the lock needs no cluster), threads
     */
    public static void main(final String[] args)
    {
        TimedRounds.runChild(Long.parseLong(args[1]), "lock peer", out ->
        {
            final String lock = args[0];
            final Path work = Path.of(args[2]);
            final Path dataDir = args[3].equals("-") ? null : Path.of(args[3]);
            final int threads = Integer.parseInt(args[4]);
            final MappedByteBuffer mapped = MappedFiles.map(work.resolve(TimedDriver.CONTROL_FILE),
                TimedRounds.CONTROL_LENGTH);
            try (Target target = open(lock, work, dataDir))
            {
                final UnsafeBuffer control = new UnsafeBuffer(mapped);
                TimedRounds.say(out, "ready");
                TimedRounds.serve(out, words -> hammer(target, control, Long.parseLong(words[1]), words[2].equals("mark"),
                    threads, out));
            }
            finally
            {
                MappedFiles.unmap(mapped);
            }
        });
    }

    private static Target open(final String lock, final Path work, final Path dataDir) throws IOException
    {
        return switch (lock)
        {
            case LWLOCK ->
            {
                final Backend backend = Backend.attach(dataDir);
                final LWLock lwlock = LWLockTranche.init(backend.shmem(), TRANCHE, 1).get(0);
                yield new Target()
                {
                    @Override
                    public void acquire()
                    {
                        lwlock.acquire(LWLockMode.EXCLUSIVE);
                    }

                    @Override
                    public void release()
                    {
                        lwlock.release(LWLockMode.EXCLUSIVE);
                    }

                    @Override
                    public void close()
                    {
                        backend.close();
                    }
                };
            }
            case HEAVYWEIGHT ->
            {
                final Backend backend = Backend.attach(dataDir);
                final LockManager locks = backend.locks();
                yield new Target()
                {
                    @Override
                    public void acquire()
                    {
                        locks.lock(ADVISORY, LockMode.EXCLUSIVE);
                    }

                    @Override
                    public void release()
                    {
                        locks.unlock(ADVISORY, LockMode.EXCLUSIVE);
                    }

                    @Override
                    public void close()
                    {
                        backend.close();
                    }
                };
            }
            case FILE_LOCK ->
            {
                final FileChannel channel = FileChannel.open(work.resolve(LockContention.FILE_LOCK_FILE),
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
                yield new Target()
                {
                    /** One thread per process takes it (a second would get an OverlappingFileLockException). */
                    private FileLock held;

                    @Override
                    public void acquire() throws IOException
                    {
                        held = channel.lock();
                    }

                    @Override
                    public void release() throws IOException
                    {
                        held.release();
                    }

                    @Override
                    public void close() throws IOException
                    {
                        channel.close();
                    }
                };
            }
            case CAS_WORD ->
            {
                final MappedByteBuffer mapped = MappedFiles.map(work.resolve(LockContention.CAS_WORD_FILE),
                    TimedRounds.CONTROL_LENGTH);
                final UnsafeBuffer word = new UnsafeBuffer(mapped);
                yield new Target()
                {
                    @Override
                    public void acquire()
                    {
                        while (word.getLongVolatile(0) != 0 || !word.compareAndSetLong(0, 0, 1))
                        {
                            Thread.onSpinWait();
                        }
                    }

                    @Override
                    public void release()
                    {
                        word.putLongRelease(0, 0);
                    }

                    @Override
                    public void close()
                    {
                        MappedFiles.unmap(mapped);
                    }
                };
            }
            case RW_LOCK ->
            {
                final ReentrantReadWriteLock rwLock = new ReentrantReadWriteLock();
                yield new Target()
                {
                    @Override
                    public void acquire()
                    {
                        rwLock.writeLock().lock();
                    }

                    @Override
                    public void release()
                    {
                        rwLock.writeLock().unlock();
                    }

                    @Override
                    public void close()
                    {
                        // nothing to release
                    }
                };
            }
            default -> throw new IllegalArgumentException("unknown lock \"" + lock + "\"");
        };
    }

    /** Runs one round with {@code threads} threads on the loop; returns the {@code done} line. */
    private static String hammer(final Target target, final UnsafeBuffer control, final long round, final boolean mark,
        final int threads, final PrintStream out) throws InterruptedException
    {
        final Loop[] loops = new Loop[threads];
        for (int i = 0; i < threads; i++)
        {
            loops[i] = new Loop(target, control, round, mark ? ProcessHandle.current().pid() << 8 | i : 0);
        }
        return TimedRounds.hammer(loops, "pgshmem-bench-lock", out);
    }

    /** One thread's loop: acquire, (mark,) release; and the handoffs it counted. */
    private static final class Loop extends TimedRounds.Loop
    {
        private final Target target;
        /** This thread's name in the owner word; 0 when the round is not marked. */
        private final long name;
        private long handoffs;

        Loop(final Target target, final UnsafeBuffer control, final long round, final long name)
        {
            super(control, round);
            this.target = target;
            this.name = name;
        }

        @Override
        long extra()
        {
            return handoffs;
        }

        @Override
        void spin() throws IOException
        {
            long n = 0;
            long h = 0;
            long first = -1;
            long phase;
            while ((phase = control.getLongVolatile(TimedRounds.PHASE_OFFSET)) != stop)
            {
                if (first < 0 && phase == measure)
                {
                    first = n;
                    handoffs = h;
                    opened();
                }
                target.acquire();
                // under the lock: plain accesses, ordered by the lock's own acquire and release
                if (name != 0 && control.getLong(OWNER_OFFSET) != name)
                {
                    control.putLong(OWNER_OFFSET, name);
                    h++;
                }
                target.release();
                n++;
            }
            // a thread that waited for the lock the whole window made no acquisition in it
            handoffs = first < 0 ? 0 : h - handoffs;
            closed(first, n);
        }
    }
}
