package org.pgshmem.module;

import java.nio.file.Path;

import org.pgshmem.settings.Settings;

/**
 * What a module's {@link ShmemModule#bootstrap} gets at initdb.
 *
 * @param dataDirectory    the new data directory
 * @param settings         the settings initdb wrote to pgshmem.conf
 * @param systemIdentifier the new cluster's system identifier
 * @param locals           objects one bootstrap hands to a later one, by class
 */
public record BootstrapContext(Path dataDirectory, Settings settings, long systemIdentifier,
    java.util.Map<Class<?>, Object> locals)
{
    /** A context with no process-local objects yet. */
    public BootstrapContext(final Path dataDirectory, final Settings settings, final long systemIdentifier)
    {
        this(dataDirectory, settings, systemIdentifier, new java.util.concurrent.ConcurrentHashMap<>());
    }

    /**
     * As {@link org.pgshmem.shmem.Shmem#processLocal}: how one module's bootstrap hands an object
     * to a later one's (the WAL encryption module's cipher to the WAL's first segment). A
     * {@code create} that returns null leaves nothing and returns null.
     */
    public <T> T processLocal(final Class<T> type, final java.util.function.Supplier<T> create)
    {
        return type.cast(locals.computeIfAbsent(type, t -> create.get()));
    }
}
