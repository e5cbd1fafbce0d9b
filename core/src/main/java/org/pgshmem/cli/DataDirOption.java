package org.pgshmem.cli;

import java.nio.file.Path;

import org.pgshmem.util.PgException;
import picocli.CommandLine.Option;

/** {@code -D DIR}, or PGSHMEM_DATA from the environment as pg_ctl takes PGDATA. */
final class DataDirOption
{
    @Option(names = {"-D", "--pgdata"}, paramLabel = "DATADIR", description = "data directory (default: $PGSHMEM_DATA)")
    Path dataDir;

    Path get()
    {
        if (dataDir != null)
        {
            return dataDir.toAbsolutePath().normalize();
        }
        final String env = System.getenv("PGSHMEM_DATA");
        if (env != null && !env.isEmpty())
        {
            return Path.of(env).toAbsolutePath().normalize();
        }
        throw new PgException("no data directory specified", null,
            "You must identify the directory where the data for this database system resides. Do so with the"
                + " -D option or the environment variable PGSHMEM_DATA.");
    }
}
