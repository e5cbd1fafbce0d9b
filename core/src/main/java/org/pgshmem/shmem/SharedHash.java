package org.pgshmem.shmem;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;

import net.openhft.chronicle.hash.locks.InterProcessDeadLockException;
import net.openhft.chronicle.map.ChronicleMap;
import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.util.PgException;

/**
 * A shared hash table: a persisted Chronicle Map file, registered by label in the shmem index so
 * that every process of the cluster opens the same file. Each call is one Chronicle Map call
 * plus two atomic adds on this process's in-flight mark (so that the postmaster can tell which
 * hash a process died inside) and one volatile read of the hash's recovery generation.
 *
 * <p>When a process dies inside an operation, the segment lock it held stays held: Chronicle
 * records no owner. The postmaster then makes the generation odd; every process closes its
 * mapping as soon as none of its threads is inside an operation; the postmaster runs
 * Chronicle's recovery alone (it needs an exclusive file lock); the generation turns even and
 * calls go on, reopening the file first. A call that was blocked on the dead lock gives up
 * after {@code net.openhft.chronicle.map.lockTimeoutSeconds} (set to 2 s, unless set already)
 * and is retried after the recovery, so callers see a pause of seconds, not an error.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class SharedHash<K, V> implements AutoCloseable
{
    private static final long RECOVERY_WAIT_NANOS = TimeUnit.SECONDS.toNanos(120);
    /** After a lock timeout, how long to wait for the postmaster to declare a recovery before retrying. */
    private static final long RECOVERY_NOTICE_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final int MAX_LOCK_TIMEOUTS = 30;

    private final String label;
    private final Path file;
    private final long capacity;
    private final HashOptions<K, V> options;
    private final AtomicBuffer segment;
    private final int entryCountOffset;
    private final int generationOffset;
    private final HashOperationMarks marks;
    private final int mark;
    /** Whether this process records its operations; one that does not can never safely let go of the file. */
    private final boolean tracked;
    private volatile ChronicleMap<K, V> map;
    private volatile long generation;
    private boolean closed;

    SharedHash(final HashOptions<K, V> options, final Path file, final ChronicleMap<K, V> map,
        final AtomicBuffer segment, final int entry, final long generation, final HashOperationMarks marks)
    {
        this.label = options.label;
        this.file = file;
        this.capacity = options.maxEntries;
        this.options = options;
        this.map = map;
        this.segment = segment;
        this.entryCountOffset = ShmemIndex.hashEntryCountOffset(entry);
        this.generationOffset = ShmemIndex.hashGenerationOffset(entry);
        this.generation = generation;
        this.marks = marks;
        this.mark = marks.markFor(entry);
        this.tracked = marks != HashOperationMarks.NONE;
    }

    /**
     * Marks this thread inside an operation and returns the map to use. The mark is written
     * (a full fence) before the generation is read, and {@link #closeIfQuarantined} reads the
     * generation before the marks: so either it sees this thread inside, or this thread sees the
     * odd generation and keeps out of the map.
     */
    private ChronicleMap<K, V> enter()
    {
        while (true)
        {
            marks.enter(mark);
            final ChronicleMap<K, V> m = map;
            if (segment.getLongVolatile(generationOffset) == generation && m != null)
            {
                return m;
            }
            marks.exit(mark);
            reopenAfterRecovery();
        }
    }

    private void exit()
    {
        marks.exit(mark);
    }

    /**
     * Waits until the hash's recovery is over, then maps the recovered file again. Never sleeps
     * holding this object's monitor, which the heartbeat's {@link #closeIfQuarantined} needs.
     */
    private void reopenAfterRecovery()
    {
        final long deadline = System.nanoTime() + RECOVERY_WAIT_NANOS;
        while (true)
        {
            synchronized (this)
            {
                if (closed)
                {
                    throw new PgException("shared hash table \"" + label + "\" is closed");
                }
                final long g = segment.getLongVolatile(generationOffset);
                if (tracked && map != null && marks.inFlight(mark) == 0 && ((g & 1) != 0 || g != generation))
                {
                    // no thread of ours is inside: let go of the file so the recovery can lock it
                    closeMap();
                }
                if ((g & 1) == 0)
                {
                    if (map == null)
                    {
                        map = HashFiles.reopen(options, file);
                        generation = g;
                        return;
                    }
                    if (g == generation)
                    {
                        return;
                    }
                }
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new PgException("shared hash table \"" + label + "\" is being recovered", "Waited "
                    + TimeUnit.NANOSECONDS.toSeconds(RECOVERY_WAIT_NANOS) + " s for the postmaster to recover it.",
                    "See the server log; a process that keeps the hash open without using it delays the recovery.");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /**
     * Called by the process's heartbeat: when the postmaster has declared this hash in recovery
     * and no thread of this process is inside an operation on it, close the mapping so that the
     * recovery can take its exclusive file lock.
     */
    public synchronized void closeIfQuarantined()
    {
        if (tracked && map != null && (segment.getLongVolatile(generationOffset) & 1) != 0
            && marks.inFlight(mark) == 0)
        {
            closeMap();
        }
    }

    private void closeMap()
    {
        final ChronicleMap<K, V> m = map;
        map = null;
        if (m != null)
        {
            m.close();
        }
    }

    /**
     * Chronicle gave up waiting for a segment lock. If its holder died, the postmaster will
     * declare a recovery: wait for that, then the caller retries. If nobody declares one, the
     * holder is alive and slow: retry, up to a bound.
     */
    private void afterLockTimeout(final int attempt, final InterProcessDeadLockException ex)
    {
        if (attempt + 1 >= MAX_LOCK_TIMEOUTS)
        {
            throw new PgException("could not lock a segment of shared hash table \"" + label + "\"",
                "Chronicle Map gave up waiting for the lock " + (attempt + 1) + " times.",
                "A process holds it and does not finish; find it with \"pgshmem backends\".", ex);
        }
        final long deadline = System.nanoTime() + RECOVERY_NOTICE_NANOS;
        while (segment.getLongVolatile(generationOffset) == generation && System.nanoTime() - deadline < 0)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private static final int GET = 0;
    private static final int GET_USING = 1;
    private static final int CONTAINS = 2;
    private static final int PUT = 3;
    private static final int PUT_IF_ABSENT = 4;
    private static final int REMOVE = 5;
    private static final int COMPUTE = 6;
    private static final int SIZE = 7;

    /**
     * Every operation goes through here: mark, run it on the current mapping, unmark; after a
     * lock timeout caused by a dead process, wait for the recovery and run it again. One loop
     * for all, dispatched on {@code op}, so that no call allocates a lambda.
     */
    @SuppressWarnings("unchecked")
    private Object call(final int op, final K key, final Object arg)
    {
        for (int attempt = 0; ; attempt++)
        {
            final ChronicleMap<K, V> m = enter();
            final Object result;
            try
            {
                result = switch (op)
                {
                    case GET -> m.get(key);
                    case GET_USING -> m.getUsing(key, (V)arg);
                    case CONTAINS -> m.containsKey(key) ? Boolean.TRUE : Boolean.FALSE;
                    case PUT -> counted(m.put(key, (V)arg), 1);
                    case PUT_IF_ABSENT -> counted(m.putIfAbsent(key, (V)arg), 1);
                    case REMOVE -> countedRemove(m.remove(key));
                    case COMPUTE -> m.compute(key, (BiFunction<? super K, ? super V, ? extends V>)arg);
                    default -> m.longSize();
                };
            }
            catch (final InterProcessDeadLockException ex)
            {
                exit();
                afterLockTimeout(attempt, ex);
                continue;
            }
            catch (final RuntimeException | Error ex)
            {
                exit();
                throw ex;
            }
            exit();
            return result;
        }
    }

    /** An insert (no previous value) adds one to the label's entry count. */
    private V counted(final V previous, final int delta)
    {
        if (previous == null)
        {
            segment.getAndAddLong(entryCountOffset, delta);
        }
        return previous;
    }

    private V countedRemove(final V previous)
    {
        if (previous != null)
        {
            segment.getAndAddLong(entryCountOffset, -1);
        }
        return previous;
    }

    /** The value for {@code key}, or null. */
    @SuppressWarnings("unchecked")
    public V get(final K key)
    {
        return (V)call(GET, key, null);
    }

    /** The value for {@code key} read into {@code using} where the value type allows it (no allocation), or null. */
    @SuppressWarnings("unchecked")
    public V getUsing(final K key, final V using)
    {
        return (V)call(GET_USING, key, using);
    }

    /** Whether {@code key} has a value. */
    public boolean containsKey(final K key)
    {
        return (Boolean)call(CONTAINS, key, null);
    }

    /** Sets {@code key} to {@code value}; returns the previous value or null. */
    @SuppressWarnings("unchecked")
    public V put(final K key, final V value)
    {
        return (V)call(PUT, key, value);
    }

    /** Sets {@code key} to {@code value} unless it has one; returns the existing value or null. */
    @SuppressWarnings("unchecked")
    public V putIfAbsent(final K key, final V value)
    {
        return (V)call(PUT_IF_ABSENT, key, value);
    }

    /** Removes {@code key}; returns its value or null. */
    @SuppressWarnings("unchecked")
    public V remove(final K key)
    {
        return (V)call(REMOVE, key, null);
    }

    /**
     * Computes {@code key}'s new value from its old one (null when absent; returning null removes
     * it) atomically across processes: {@code function} runs while Chronicle holds the key's
     * segment lock, so it must be short. Does not maintain the entry count shown by the
     * allocations view.
     */
    @SuppressWarnings("unchecked")
    public V compute(final K key, final BiFunction<? super K, ? super V, ? extends V> function)
    {
        return (V)call(COMPUTE, key, function);
    }

    /** Entries, counted by Chronicle Map (walks its segments). */
    public long longSize()
    {
        return (Long)call(SIZE, null, null);
    }

    /** The label. */
    public String label()
    {
        return label;
    }

    /** The Chronicle Map file. */
    public Path file()
    {
        return file;
    }

    /** Capacity in entries, as declared when the label was created. */
    public long capacity()
    {
        return capacity;
    }

    /** Closes this process's mapping of the file; the data stays. */
    @Override
    public synchronized void close()
    {
        closed = true;
        closeMap();
    }
}
