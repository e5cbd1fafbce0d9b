package org.pgshmem.cli;

import java.util.Locale;
import java.util.concurrent.Callable;

import org.pgshmem.postmaster.ServerControl;
import org.pgshmem.postmaster.ShutdownMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pgshmem stop -D DIR [-m smart|fast|immediate] [-t SECS]}. */
@Command(name = "stop", mixinStandardHelpOptions = true, version = PgShmemCli.VERSION, description = "Stop the postmaster.")
final class StopCommand implements Callable<Integer>
{
    @Mixin
    DataDirOption dataDir;

    @Option(names = {"-m", "--mode"}, paramLabel = "MODE", description = "smart, fast (default) or immediate")
    String mode = "fast";

    @Option(names = {"-t", "--timeout"}, paramLabel = "SECS", description = "seconds to wait (default 60)")
    int timeout = 60;

    @Override
    public Integer call()
    {
        final ShutdownMode m;
        switch (mode.toLowerCase(Locale.ROOT))
        {
            case "s", "smart" -> m = ShutdownMode.SMART;
            case "f", "fast" -> m = ShutdownMode.FAST;
            case "i", "immediate" -> m = ShutdownMode.IMMEDIATE;
            default ->
            {
                System.err.println("pgshmem: error: unrecognized shutdown mode \"" + mode + "\"");
                System.err.println("pgshmem: hint: Use smart, fast or immediate.");
                return 1;
            }
        }
        return ServerControl.stop(dataDir.get(), m, timeout, System.out, System.err);
    }
}
