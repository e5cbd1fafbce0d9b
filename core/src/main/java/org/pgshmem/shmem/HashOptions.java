package org.pgshmem.shmem;

/**
 * What {@link Shmem#initHash(HashOptions)} needs to create or open a shared hash table.
 * Key and value types are any that Chronicle Map serializes (boxed primitives, String,
 * CharSequence, byte[], Chronicle value interfaces, Serializable classes).
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class HashOptions<K, V>
{
    final String label;
    final Class<K> keyType;
    final Class<V> valueType;
    long maxEntries = 10_000;
    double averageKeySize;
    double averageValueSize;
    boolean transientHash;

    private HashOptions(final String label, final Class<K> keyType, final Class<V> valueType)
    {
        this.label = label;
        this.keyType = keyType;
        this.valueType = valueType;
    }

    /** Options for a hash named {@code label} from {@code keyType} to {@code valueType}. */
    public static <K, V> HashOptions<K, V> of(final String label, final Class<K> keyType, final Class<V> valueType)
    {
        return new HashOptions<>(label, keyType, valueType);
    }

    /** Capacity in entries (default 10,000); the file is sized for it when created. */
    public HashOptions<K, V> maxEntries(final long maxEntries)
    {
        if (maxEntries <= 0)
        {
            throw new IllegalArgumentException("maxEntries must be positive: " + maxEntries);
        }
        this.maxEntries = maxEntries;
        return this;
    }

    /** Average serialized key size in bytes, for variable-size keys (default 32). */
    public HashOptions<K, V> averageKeySize(final double bytes)
    {
        this.averageKeySize = bytes;
        return this;
    }

    /** Average serialized value size in bytes, for variable-size values (default 64). */
    public HashOptions<K, V> averageValueSize(final double bytes)
    {
        this.averageValueSize = bytes;
        return this;
    }

    /**
     * Declares the hash transient: its file lives beside the main segment and starts empty at
     * every cluster start, instead of persisting under the data directory.
     */
    public HashOptions<K, V> transientHash()
    {
        this.transientHash = true;
        return this;
    }

    /** The label. */
    public String label()
    {
        return label;
    }

    /** Capacity in entries. */
    public long maxEntries()
    {
        return maxEntries;
    }
}
