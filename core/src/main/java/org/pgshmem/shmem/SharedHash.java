package org.pgshmem.shmem;

import java.nio.file.Path;

import net.openhft.chronicle.map.ChronicleMap;
import org.agrona.concurrent.AtomicBuffer;

/**
 * A shared hash table: a persisted Chronicle Map file, registered by label in the shmem index so
 * that every process of the cluster opens the same file. Thin on purpose: each call is one
 * Chronicle Map call, plus one atomic add on the label's entry count when an entry is inserted
 * or removed (that count is what {@code pgshmem shmem} shows without loading Chronicle).
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class SharedHash<K, V> implements AutoCloseable
{
    private final String label;
    private final Path file;
    private final long capacity;
    private final ChronicleMap<K, V> map;
    private final AtomicBuffer segment;
    private final int entryCountOffset;

    SharedHash(final String label, final Path file, final long capacity, final ChronicleMap<K, V> map,
        final AtomicBuffer segment, final int entryCountOffset)
    {
        this.label = label;
        this.file = file;
        this.capacity = capacity;
        this.map = map;
        this.segment = segment;
        this.entryCountOffset = entryCountOffset;
    }

    /** The value for {@code key}, or null. */
    public V get(final K key)
    {
        return map.get(key);
    }

    /** The value for {@code key} read into {@code using} where the value type allows it (no allocation), or null. */
    public V getUsing(final K key, final V using)
    {
        return map.getUsing(key, using);
    }

    /** Whether {@code key} has a value. */
    public boolean containsKey(final K key)
    {
        return map.containsKey(key);
    }

    /** Sets {@code key} to {@code value}; returns the previous value or null. */
    public V put(final K key, final V value)
    {
        final V previous = map.put(key, value);
        if (previous == null)
        {
            segment.getAndAddLong(entryCountOffset, 1);
        }
        return previous;
    }

    /** Sets {@code key} to {@code value} unless it has one; returns the existing value or null. */
    public V putIfAbsent(final K key, final V value)
    {
        final V existing = map.putIfAbsent(key, value);
        if (existing == null)
        {
            segment.getAndAddLong(entryCountOffset, 1);
        }
        return existing;
    }

    /** Removes {@code key}; returns its value or null. */
    public V remove(final K key)
    {
        final V previous = map.remove(key);
        if (previous != null)
        {
            segment.getAndAddLong(entryCountOffset, -1);
        }
        return previous;
    }

    /** Entries, counted by Chronicle Map (walks its segments). */
    public long longSize()
    {
        return map.longSize();
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
    public void close()
    {
        map.close();
    }

    static void resetEntryCount(final AtomicBuffer segment, final int offset, final ChronicleMap<?, ?> map)
    {
        segment.putLongVolatile(offset, map.longSize());
    }
}
