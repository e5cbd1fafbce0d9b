package org.pgshmem.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.pgshmem.backend.Backend;
import org.pgshmem.checkpoint.CheckpointerShmem;
import org.pgshmem.postmaster.DataDirectory;
import org.pgshmem.postmaster.PidFile;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.util.PgException;
import org.pgshmem.wal.CheckPoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code pgshmem checkpoint -D DIR [--no-wait] [-t SECS]}: PostgreSQL's CHECKPOINT command. Asks
 * the checkpointer for an immediate, forced checkpoint through "Checkpointer Data", without
 * attaching (no slot, no module loaded), and waits until a checkpoint that began after the request
 * has ended.
 */
@Command(name = "checkpoint", mixinStandardHelpOptions = true, version = PgShmemCli.VERSION,
    description = "Request an immediate checkpoint of the running cluster and wait for it, as CHECKPOINT does.")
final class CheckpointCommand implements Callable<Integer>
{
    @Mixin
    DataDirOption dataDir;

    @Option(names = "--no-wait", description = "return once the checkpoint is requested")
    boolean noWait;

    @Option(names = {"-t", "--timeout"}, paramLabel = "SECS", description = "seconds to wait (default 60)")
    int timeout = 60;

    @Override
    public Integer call()
    {
        final Path dir = dataDir.get();
        try (Shmem shmem = Backend.inspect(dir))
        {
            final PidFile pidFile = PidFile.read(DataDirectory.of(dir).pidFile());
            if (pidFile != null && !PidFile.READY.equals(pidFile.status()))
            {
                throw new PgException(PidFile.STOPPING.equals(pidFile.status())
                    ? "the database system is shutting down" : "the database system is starting up");
            }
            CheckpointerShmem.of(shmem).requestCheckpoint(CheckPoint.IMMEDIATE | CheckPoint.FORCE, !noWait,
                timeout * 1000L);
        }
        System.out.println(noWait ? "checkpoint requested" : "checkpoint complete");
        return 0;
    }
}
