package org.pgshmem.shmem;

import java.io.File;
import java.io.IOException;
import java.util.Set;

import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

/**
 * The only class that touches Chronicle Map's builder. Kept apart so that processes that never
 * open a hash table never load Chronicle (about 1.3 s of start-up). Public for benchmarks and
 * tools that need the exact builder pgshmem uses.
 */
public final class ChronicleHashes
{
    static final double DEFAULT_AVERAGE_KEY_SIZE = 32;
    static final double DEFAULT_AVERAGE_VALUE_SIZE = 64;

    private static final Set<Class<?>> CONSTANT_SIZE = Set.of(Long.class, Integer.class, Short.class, Byte.class,
        Character.class, Double.class, Float.class, Boolean.class);

    /** Chronicle's segment-lock timeout, read once when Chronicle's lock class loads. */
    static final String LOCK_TIMEOUT_PROPERTY = "net.openhft.chronicle.map.lockTimeoutSeconds";

    static
    {
        // a lock whose holder died is only noticed when waiting for it times out: keep that short
        // (Chronicle's default is 60 s); a slow live holder just makes the caller retry
        if (System.getProperty(LOCK_TIMEOUT_PROPERTY) == null)
        {
            System.setProperty(LOCK_TIMEOUT_PROPERTY, "2");
        }
    }

    private ChronicleHashes()
    {
    }

    /** Chronicle's recovery of a file whose configuration its header holds. */
    static ChronicleMap<Object, Object> recover(final String label, final File file) throws IOException
    {
        return ChronicleMapBuilder.of(Object.class, Object.class).name(label).recoverPersistedTo(file, false);
    }

    /** Creates or opens the map file; createPersistedTo is create-or-open and safe against a concurrent creator. */
    static <K, V> ChronicleMap<K, V> open(final HashOptions<K, V> options, final File file) throws IOException
    {
        return builder(options).createPersistedTo(file);
    }

    /**
     * The builder pgshmem uses for {@code options}: benchmarks build their raw Chronicle peer from
     * it, so that both sides have exactly the same configuration.
     */
    public static <K, V> ChronicleMapBuilder<K, V> builder(final HashOptions<K, V> options)
    {
        final ChronicleMapBuilder<K, V> builder = ChronicleMapBuilder.of(options.keyType, options.valueType)
            .name(options.label)
            .entries(options.maxEntries);
        if (!CONSTANT_SIZE.contains(options.keyType))
        {
            builder.averageKeySize(options.averageKeySize > 0 ? options.averageKeySize : DEFAULT_AVERAGE_KEY_SIZE);
        }
        if (!CONSTANT_SIZE.contains(options.valueType))
        {
            builder.averageValueSize(
                options.averageValueSize > 0 ? options.averageValueSize : DEFAULT_AVERAGE_VALUE_SIZE);
        }
        return builder;
    }
}
