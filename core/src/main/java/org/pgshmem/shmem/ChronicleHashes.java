package org.pgshmem.shmem;

import java.io.File;
import java.io.IOException;
import java.util.Set;

import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

/**
 * The only class that touches Chronicle Map's builder. Kept apart so that processes that never
 * open a hash table never load Chronicle (about 1.3 s of start-up).
 */
final class ChronicleHashes
{
    static final double DEFAULT_AVERAGE_KEY_SIZE = 32;
    static final double DEFAULT_AVERAGE_VALUE_SIZE = 64;

    private static final Set<Class<?>> CONSTANT_SIZE = Set.of(Long.class, Integer.class, Short.class, Byte.class,
        Character.class, Double.class, Float.class, Boolean.class);

    private ChronicleHashes()
    {
    }

    /** Creates or opens the map file; createPersistedTo is create-or-open and safe against a concurrent creator. */
    static <K, V> ChronicleMap<K, V> open(final HashOptions<K, V> options, final File file) throws IOException
    {
        return builder(options).createPersistedTo(file);
    }

    /** The builder for {@code options}; benchmarks build their raw peer from the same settings. */
    static <K, V> ChronicleMapBuilder<K, V> builder(final HashOptions<K, V> options)
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
