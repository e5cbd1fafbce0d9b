package org.pgshmem.cli;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

import org.pgshmem.backend.Backend;
import org.pgshmem.lock.LockManager;
import org.pgshmem.lock.LockStatus;
import org.pgshmem.shmem.Shmem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code pgshmem locks -D DIR [--json]}: pg_locks for this world, read from the lock table and
 * the proc array without attaching. Like any look without the partition locks, a row may be a
 * moment out of date.
 */
@Command(name = "locks", mixinStandardHelpOptions = true, version = PgShmemCli.VERSION,
    description = "Show the heavyweight locks held and awaited in the running cluster, as pg_locks does.")
final class LocksCommand implements Callable<Integer>
{
    @Mixin
    ViewOptions view;

    @Override
    public Integer call()
    {
        print(System.out, view.dataDir.get(), view.json);
        return 0;
    }

    /** Prints pg_locks of the cluster running in {@code dataDir}, as a table or as JSON. */
    static void print(final java.io.PrintStream out, final java.nio.file.Path dataDir, final boolean json)
    {
        try (Shmem shmem = Backend.inspect(dataDir))
        {
            final List<LockStatus> locks = new ArrayList<>(LockManager.status(shmem));
            locks.sort(Comparator.comparing((LockStatus l) -> l.tag().toString()).thenComparing(l -> !l.granted())
                .thenComparingLong(LockStatus::waitStartMillis).thenComparingLong(LockStatus::pid));
            final List<String[]> rows = new ArrayList<>();
            for (final LockStatus l : locks)
            {
                final String waitStart = l.granted() ? null : Instant.ofEpochMilli(l.waitStartMillis()).toString();
                // JSON gets a boolean and a null where psql shows t/f and an empty cell
                rows.add(new String[] {l.tag().type().locktype(), l.tag().toString(), Long.toString(l.pid()),
                    l.mode().pgName(), json ? Boolean.toString(l.granted()) : l.granted() ? "t" : "f",
                    json ? waitStart == null ? "null" : Json.string(waitStart) : waitStart == null ? "" : waitStart});
            }
            final String[] head = {"locktype", "tag", "pid", "mode", "granted", "waitstart"};
            final boolean[] numeric = {false, false, true, false, json, json};
            ViewOptions.print(out, json, head, rows, numeric);
        }
    }
}
