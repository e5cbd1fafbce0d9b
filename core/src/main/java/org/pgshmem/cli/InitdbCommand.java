package org.pgshmem.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.pgshmem.initdb.InitDb;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pgshmem initdb -D DIR [-c name=value]... [--encryption-key-file FILE]}. */
@Command(name = "initdb", mixinStandardHelpOptions = true, version = PgShmemCli.VERSION, description = "Create a new cluster: data directory, pgshmem.conf, control file.")
final class InitdbCommand implements Callable<Integer>
{
    @Mixin
    DataDirOption dataDir;

    @Option(names = "-c", paramLabel = "NAME=VALUE", description = "setting written to pgshmem.conf")
    List<String> settings = new ArrayList<>();

    @Option(names = "--encryption-key-file", paramLabel = "FILE",
        description = "encrypt the WAL; FILE (0600) holds the key that wraps the WAL key, as 64 hexadecimal digits")
    Path encryptionKeyFile;

    @Override
    public Integer call()
    {
        InitDb.run(dataDir.get(), settings, encryptionKeyFile, System.out);
        return 0;
    }
}
