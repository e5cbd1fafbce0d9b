package org.pgshmem.bench;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.pgshmem.backend.Backend;
import org.pgshmem.lock.LWLock;
import org.pgshmem.lock.LWLockMode;
import org.pgshmem.lock.LWLockTranche;
import org.pgshmem.lock.LockManager;
import org.pgshmem.lock.LockMode;
import org.pgshmem.lock.LockTag;

/**
 * Uncontended acquire + release of pgshmem's locks (issue 4), each next to the locks a user
 * would otherwise take: {@link FileChannel#lock} on a file (the JDK's only lock between
 * processes) and {@link ReentrantReadWriteLock} (in one process only: the lower bound), with a
 * compare-and-set word in a mapped file as the floor of any lock between processes. One thread,
 * one process: contention between processes is measured by {@code bench/run-locks}.
 *
 * <p>The pgshmem side is a backend attached to a running cluster ({@link BenchCluster}).
 * Every invocation takes the lock and releases it, so nothing is held between invocations: a
 * heavyweight lock taken again while held would only count up in the process's local table,
 * while a lock + unlock goes to the shared lock table each time (partition LWLock, find or create
 * the entry, grant; then the same to ungrant and remove it). An LWLock is one of a tranche made
 * for this benchmark; its acquire and release record the hold in the process's proc-array slot.
 *
 * <p>Goals of the issue: heavyweight ≤ 150 ns, LWLock ≤ 30 ns, and ≥ 50× faster than FileLock.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Threads(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class LockBenchmark
{
    /** The tranche made for this benchmark, in the segment's slack. */
    static final String TRANCHE = "LockBenchmark";
    /** pg_advisory_lock(42)'s tag. */
    private static final LockTag ADVISORY = LockTag.advisory(42);
    /** A relation's tag, as a SELECT takes it. */
    private static final LockTag RELATION = LockTag.relation(16384);

    private BenchCluster cluster;
    private Backend backend;
    private LockManager locks;
    private LWLock lwlock;
    private Path lockFile;
    private FileChannel channel;
    private MappedByteBuffer mapped;
    private UnsafeBuffer word;
    private final ReentrantReadWriteLock rwLock = new ReentrantReadWriteLock();

    /**
     * Starts a cluster and attaches to it; makes the tranche; opens the file the FileLock peer
     * locks and maps it for the compare-and-set floor (one cache line; in the data directory).
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        cluster = BenchCluster.start();
        backend = Backend.attach(cluster.dataDir());
        locks = backend.locks();
        lwlock = LWLockTranche.init(backend.shmem(), TRANCHE, 1).get(0);
        lockFile = Files.createTempFile(cluster.dataDir(), "lock-benchmark-", ".lock");
        channel = FileChannel.open(lockFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
        mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, 64);
        word = new UnsafeBuffer(mapped);
    }

    /** Unmaps and removes the file, detaches and stops the cluster (which removes its files). */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        if (mapped != null)
        {
            IoUtil.unmap(mapped);
        }
        if (channel != null)
        {
            channel.close();
        }
        if (lockFile != null)
        {
            Files.deleteIfExists(lockFile);
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

    /** pg_advisory_lock + pg_advisory_unlock: ExclusiveLock on an advisory tag, through the shared lock table. */
    @Benchmark
    public boolean heavyweightAdvisoryExclusive()
    {
        locks.lock(ADVISORY, LockMode.EXCLUSIVE);
        return locks.unlock(ADVISORY, LockMode.EXCLUSIVE);
    }

    /** AccessShareLock on a relation and its release, as a SELECT takes and drops it. */
    @Benchmark
    public boolean heavyweightRelationAccessShare()
    {
        locks.lock(RELATION, LockMode.ACCESS_SHARE);
        return locks.unlock(RELATION, LockMode.ACCESS_SHARE);
    }

    /** LWLockAcquire + LWLockRelease, exclusive. */
    @Benchmark
    public void lwlockExclusive()
    {
        lwlock.acquire(LWLockMode.EXCLUSIVE);
        lwlock.release(LWLockMode.EXCLUSIVE);
    }

    /** LWLockAcquire + LWLockRelease, shared. */
    @Benchmark
    public void lwlockShared()
    {
        lwlock.acquire(LWLockMode.SHARED);
        lwlock.release(LWLockMode.SHARED);
    }

    /** Peer: an exclusive lock on the whole file (fcntl F_SETLKW) and its release. */
    @Benchmark
    public void fileLockExclusive() throws IOException
    {
        final FileLock lock = channel.lock();
        lock.release();
    }

    /** Peer: a shared lock on the whole file and its release. */
    @Benchmark
    public void fileLockShared() throws IOException
    {
        final FileLock lock = channel.lock(0, Long.MAX_VALUE, true);
        lock.release();
    }

    /** Peer, in one process only: the write lock and its release. */
    @Benchmark
    public void rwLockWrite()
    {
        rwLock.writeLock().lock();
        rwLock.writeLock().unlock();
    }

    /** Peer, in one process only: the read lock and its release. */
    @Benchmark
    public void rwLockRead()
    {
        rwLock.readLock().lock();
        rwLock.readLock().unlock();
    }

    /**
     * Floor: a spinlock word in a mapped file, taken by compare-and-set and released by a release
     * store; no owner record, no waiters. Uncontended, so the CAS never fails.
     */
    @Benchmark
    public boolean casWordFloor()
    {
        final boolean taken = word.compareAndSetLong(0, 0, 1);
        word.putLongRelease(0, 0);
        return taken;
    }
}
