package org.pgshmem.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

import org.pgshmem.backend.Backend;
import org.pgshmem.initdb.InitDb;
import org.pgshmem.postmaster.ServerControl;
import org.pgshmem.postmaster.ShutdownMode;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.util.DurableFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pgshmem demo}: a throwaway cluster in a temporary directory, two backend processes
 * passing values through a struct and a hash by label and messages through their inboxes and
 * the broadcast channel, one waiting for the other's advisory lock, a page written by one and read
 * by the other through the shared buffers, the backends, locks, stats and allocations views,
 * stop, clean up.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, version = PgShmemCli.VERSION, description = "Run a throwaway cluster with two backend processes, then remove it.")
final class DemoCommand implements Callable<Integer>
{
    private static final Duration ANSWER = Duration.ofSeconds(60);

    @Option(names = "--keep", description = "keep the data directory instead of removing it")
    boolean keep;

    @Override
    public Integer call() throws Exception
    {
        final PrintStream out = System.out;
        final long started = System.nanoTime();
        final Path tmp = Files.createTempDirectory("pgshmem-demo-");
        final Path data = tmp.resolve("data");
        boolean running = false;
        try
        {
            section(out, "initdb -D " + data);
            InitDb.run(data, List.of("max_connections=8"), out);

            section(out, "start");
            if (ServerControl.start(data, List.of(), null, 60, out, System.err) != 0)
            {
                return 1;
            }
            running = true;
            ServerControl.status(data, out, System.err);

            section(out, "two backend processes (each its own JVM, driven by lines on stdin)");
            try (LineProcess a = LineProcess.startBackend("backend A", data);
                LineProcess b = LineProcess.startBackend("backend B", data))
            {
                out.println("A: " + a.readLine(ANSWER));
                out.println("B: " + b.readLine(ANSWER));
                step(out, "A", a, "struct demo.counters 64");
                step(out, "B", b, "struct demo.counters 64");
                step(out, "A", a, "struct-add demo.counters 0 5");
                step(out, "B", b, "struct-add demo.counters 0 7");
                step(out, "A", a, "struct-get demo.counters 0");
                step(out, "A", a, "put demo.accounts alice 100");
                step(out, "B", b, "get demo.accounts alice");
                step(out, "B", b, "put demo.accounts bob 250");
                step(out, "A", a, "get demo.accounts bob");
                step(out, "A", a, "get demo.accounts carol");
                step(out, "A", a, "send " + b.pid() + " hello B, this is A");
                step(out, "B", b, "recv 5000");
                step(out, "B", b, "send " + a.pid() + " hello A, got it");
                step(out, "A", a, "recv 5000");
                step(out, "A", a, "broadcast market open");
                step(out, "B", b, "recv 5000");
                step(out, "A", a, "lock advisory:42 ExclusiveLock");
                step(out, "B", b, "lock advisory:42 ExclusiveLock");

                section(out, "locks -D " + data + "   (pg_locks: B waits for A's advisory lock)");
                LocksCommand.print(out, data, false);
                step(out, "A", a, "unlock advisory:42 ExclusiveLock");
                out.printf("%s< %-34s %s%n", "B", "(its wait ends)", b.readLine(ANSWER));
                step(out, "A", a, "write 16384 0 100 page written by A");
                step(out, "B", b, "read 16384 0 100 19");

                section(out, "a transaction: B sees A's writes only once A commits (after its WAL is flushed)");
                step(out, "A", a, "begin");
                step(out, "A", a, "write 16384 0 200 debit alice 30");
                step(out, "A", a, "write 16384 1 200 credit bob 30");
                step(out, "B", b, "read 16384 0 200 16");
                step(out, "A", a, "commit");
                step(out, "B", b, "read 16384 0 200 16");
                step(out, "B", b, "read 16384 1 200 15");
                step(out, "A", a, "begin");
                step(out, "A", a, "write 16384 0 300 never happened");
                step(out, "A", a, "rollback");
                step(out, "B", b, "read 16384 0 300 15");
                step(out, "B", b, "flush");

                section(out, "stats -D " + data + "   (pg_stat_bgwriter and buffer hits and reads per relation)");
                StatsCommand.print(out, data, false);

                section(out, "backends -D " + data + "   (pg_stat_activity: who is attached, inboxes, counters)");
                BackendsCommand.print(out, data, false);

                section(out, "shmem -D " + data + "   (the allocations view, like pg_shmem_allocations)");
                try (Shmem shmem = Backend.inspect(data))
                {
                    ShmemCommand.printTable(out, shmem.segment(), shmem.allocations());
                }
                step(out, "A", a, "quit");
                step(out, "B", b, "quit");
                a.waitFor(ANSWER);
                b.waitFor(ANSWER);
            }

            section(out, "stop -m immediate (a crash: nothing written at stop), start again: the WAL is replayed");
            ServerControl.stop(data, ShutdownMode.IMMEDIATE, 60, out, System.err);
            if (ServerControl.start(data, List.of(), null, 60, out, System.err) != 0)
            {
                running = false;
                return 1;
            }
            try (LineProcess c = LineProcess.startBackend("backend C", data))
            {
                out.println("C: " + c.readLine(ANSWER));
                step(out, "C", c, "read 16384 0 200 16");
                step(out, "C", c, "read 16384 1 200 15");
                step(out, "C", c, "quit");
                c.waitFor(ANSWER);
            }

            section(out, "stop -m " + ShutdownMode.FAST.word() + "   (a shutdown checkpoint)");
            running = ServerControl.stop(data, ShutdownMode.FAST, 60, out, System.err) != 0;
            section(out, "controldata -D " + data);
            ControldataCommand.print(out, data);
            out.println();
            out.println("server log (" + data.resolve("log/postmaster.log") + "):");
            for (final String line : Files.readAllLines(data.resolve("log/postmaster.log")))
            {
                out.println("    " + line);
            }
            return running ? 1 : 0;
        }
        finally
        {
            if (running)
            {
                ServerControl.stop(data, ShutdownMode.IMMEDIATE, 30, out, System.err);
            }
            if (keep)
            {
                out.println("kept " + data);
            }
            else
            {
                DurableFiles.deleteTree(tmp);
                out.println("removed " + tmp);
            }
            out.printf("demo took %.1f s%n", (System.nanoTime() - started) / 1e9);
        }
    }

    private static void section(final PrintStream out, final String title)
    {
        out.println();
        out.println("== " + title);
    }

    private static void step(final PrintStream out, final String who, final LineProcess backend, final String line)
        throws Exception
    {
        out.printf("%s> %-34s %s%n", who, line, backend.ask(line, ANSWER));
    }
}
