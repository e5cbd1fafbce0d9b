package org.pgshmem.cli;

import static org.pgshmem.proc.ProcSlotDescriptor.MESSAGES_RECEIVED_OFFSET;
import static org.pgshmem.proc.ProcSlotDescriptor.MESSAGES_SENT_OFFSET;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.pgshmem.backend.Backend;
import org.pgshmem.module.RuntimeSettings;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.proc.ProcInfo;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.util.Processes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code pgshmem backends -D DIR [--json]}: pg_stat_activity for this world, read from the proc
 * array without attaching (no slot taken, no Chronicle loaded).
 */
@Command(name = "backends", mixinStandardHelpOptions = true, version = PgShmemCli.VERSION,
    description = "Show the processes attached to the running cluster, as pg_stat_activity does.")
final class BackendsCommand implements Callable<Integer>
{
    @Mixin
    ViewOptions view;

    @Override
    public Integer call()
    {
        print(System.out, view.dataDir.get(), view.json);
        return 0;
    }

    /** Prints the view of the cluster running in {@code dataDir}, as a table or as JSON. */
    static void print(final java.io.PrintStream out, final java.nio.file.Path dataDir, final boolean json)
    {
        try (Shmem shmem = Backend.inspect(dataDir))
        {
            final Settings settings = RuntimeSettings.read(shmem.findStruct(RuntimeSettings.LABEL));
            final long stale = Math.max(5 * settings.getMillis("heartbeat_interval"), 1_000);
            final ProcArray procs = ProcArray.of(shmem);
            final long now = System.currentTimeMillis();
            final List<String[]> rows = new ArrayList<>();
            for (final ProcInfo p : procs.snapshot())
            {
                final String state = !Processes.isAlive(p.pid(), p.startToken()) ? "dead"
                    : now - procs.heartbeat(p.slot()) > stale ? "unresponsive"
                    : procs.isSleeping(p.slot()) ? "idle" : "active";
                rows.add(new String[] {Integer.toString(p.slot()), Long.toString(p.pid()), p.kind().description(),
                    Instant.ofEpochMilli(p.attachTimeMillis()).toString(), state,
                    Integer.toString(procs.inbox(p.slot()).size()),
                    Long.toString(procs.counter(p.slot(), MESSAGES_SENT_OFFSET)),
                    Long.toString(procs.counter(p.slot(), MESSAGES_RECEIVED_OFFSET))});
            }
            final String[] head = {"slot", "pid", "backend_type", "backend_start", "state", "inbox_bytes",
                "messages_sent", "messages_received"};
            final boolean[] numeric = {true, true, false, false, false, true, true, true};
            ViewOptions.print(out, json, head, rows, numeric);
        }
    }
}
