package org.pgshmem.module;

import java.nio.file.Path;

import org.pgshmem.settings.Settings;

/**
 * What a module's {@link ShmemModule#bootstrap} gets at initdb.
 *
 * @param dataDirectory    the new data directory
 * @param settings         the settings initdb wrote to pgshmem.conf
 * @param systemIdentifier the new cluster's system identifier
 */
public record BootstrapContext(Path dataDirectory, Settings settings, long systemIdentifier)
{
}
