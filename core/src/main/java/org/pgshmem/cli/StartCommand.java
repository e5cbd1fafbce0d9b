package org.pgshmem.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.pgshmem.postmaster.Postmaster;
import org.pgshmem.postmaster.ServerControl;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pgshmem start -D DIR [-c k=v]... [--foreground] [-l LOGFILE] [-t SECS]}. */
@Command(name = "start", mixinStandardHelpOptions = true, version = PgShmemCli.VERSION, description = "Start the postmaster; returns once it accepts backends.")
final class StartCommand implements Callable<Integer>
{
    @Mixin
    DataDirOption dataDir;

    @Option(names = "-c", paramLabel = "NAME=VALUE", description = "override a setting of pgshmem.conf")
    List<String> settings = new ArrayList<>();

    @Option(names = "--foreground", description = "run the postmaster in this process, logging to stderr")
    boolean foreground;

    @Option(names = {"-l", "--log"}, paramLabel = "FILENAME", description = "server log (default DATA/log/postmaster.log)")
    Path logFile;

    @Option(names = {"-t", "--timeout"}, paramLabel = "SECS", description = "seconds to wait (default 60)")
    int timeout = 60;

    @Override
    public Integer call() throws Exception
    {
        if (foreground)
        {
            return new Postmaster(dataDir.get(), settings).run();
        }
        return ServerControl.start(dataDir.get(), settings, logFile, timeout, System.out, System.err);
    }
}
