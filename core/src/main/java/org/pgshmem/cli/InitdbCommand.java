package org.pgshmem.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.pgshmem.initdb.InitDb;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pgshmem initdb -D DIR [-c name=value]...}. */
@Command(name = "initdb", mixinStandardHelpOptions = true, version = PgShmemCli.VERSION, description = "Create a new cluster: data directory, pgshmem.conf, control file.")
final class InitdbCommand implements Callable<Integer>
{
    @Mixin
    DataDirOption dataDir;

    @Option(names = "-c", paramLabel = "NAME=VALUE", description = "setting written to pgshmem.conf")
    List<String> settings = new ArrayList<>();

    @Override
    public Integer call()
    {
        InitDb.run(dataDir.get(), settings, System.out);
        return 0;
    }
}
