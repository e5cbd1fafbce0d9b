package org.pgshmem.cli;

import java.util.concurrent.Callable;

import org.pgshmem.postmaster.ServerControl;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code pgshmem status -D DIR}: exit 0 running, 3 not running, 4 no data directory (as pg_ctl). */
@Command(name = "status", mixinStandardHelpOptions = true, version = PgShmemCli.VERSION, description = "Tell whether a postmaster runs (exit 0) or not (exit 3).")
final class StatusCommand implements Callable<Integer>
{
    @Mixin
    DataDirOption dataDir;

    @Override
    public Integer call()
    {
        return ServerControl.status(dataDir.get(), System.out, System.err);
    }
}
