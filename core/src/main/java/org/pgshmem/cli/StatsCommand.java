package org.pgshmem.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.pgshmem.backend.Backend;
import org.pgshmem.buffer.BufferStatsView;
import org.pgshmem.checkpoint.CheckpointerShmem;
import org.pgshmem.checkpoint.CheckpointerStats;
import org.pgshmem.shmem.Shmem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code pgshmem stats -D DIR [--json]}: pg_stat_bgwriter, pg_stat_checkpointer and the buffer
 * hits and reads per relation, read from shared memory without attaching. Backends send their
 * per-relation counts in batches (and at {@code flush} and detach), so those may lag a little, as
 * PostgreSQL's do.
 */
@Command(name = "stats", mixinStandardHelpOptions = true, version = PgShmemCli.VERSION,
    description = "Show the buffer statistics of the running cluster: pg_stat_bgwriter, pg_stat_checkpointer and"
        + " hits and reads per relation.")
final class StatsCommand implements Callable<Integer>
{
    /** stats_reset as PostgreSQL prints a timestamptz in UTC. */
    private static final DateTimeFormatter STATS_RESET =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSx").withZone(ZoneOffset.UTC);

    @Mixin
    ViewOptions view;

    @Override
    public Integer call()
    {
        print(System.out, view.dataDir.get(), view.json);
        return 0;
    }

    static void print(final PrintStream out, final Path dataDir, final boolean json)
    {
        try (Shmem shmem = Backend.inspect(dataDir))
        {
            final BufferStatsView s = BufferStatsView.read(shmem);
            final String[] head = {"buffers_alloc", "buffers_clean", "maxwritten_clean", "buffers_backend",
                "buffers_checkpoint", "bgwriter"};
            final String[] row = {Long.toString(s.buffersAlloc()), Long.toString(s.buffersClean()),
                Long.toString(s.maxwrittenClean()), Long.toString(s.buffersBackend()),
                Long.toString(s.buffersCheckpoint()), s.bgwriterHibernating() ? "hibernating" : "active"};
            final List<String[]> relations = new ArrayList<>();
            for (final long[] r : s.relations())
            {
                final long hits = r[1];
                final long reads = r[2];
                relations.add(new String[] {r[0] < 0 ? "other" : Long.toString(r[0]), Long.toString(hits),
                    Long.toString(reads), Long.toString(r[3]),
                    hits + reads == 0 ? "" : String.format(java.util.Locale.ROOT, "%.3f", (double)hits / (hits + reads))});
            }
            final CheckpointerStats c = CheckpointerShmem.of(shmem).stats();
            final String[] checkpointerHead = {"num_timed", "num_requested", "num_done", "write_time", "sync_time",
                "buffers_written", "backend_fsync", "stats_reset"};
            final String[] checkpointerRow = {Long.toString(c.numTimed()), Long.toString(c.numRequested()),
                Long.toString(c.numDone()), Long.toString(c.writeTimeMs()), Long.toString(c.syncTimeMs()),
                Long.toString(c.buffersWritten()), Long.toString(c.backendFsync()), STATS_RESET.format(
                    Instant.ofEpochMilli(c.statsReset()))};
            final boolean[] checkpointerNumeric = {true, true, true, true, true, true, true, false};
            final String[] relationHead = {"relation", "blks_hit", "blks_read", "blks_written", "hit_ratio"};
            if (json)
            {
                final StringBuilder sb = new StringBuilder("{\"bgwriter\":{");
                for (int i = 0; i < head.length; i++)
                {
                    sb.append(i == 0 ? "" : ",").append(Json.string(head[i])).append(':')
                        .append(i == head.length - 1 ? Json.string(row[i]) : row[i]);
                }
                final String rows = Json.rows(relationHead, relations, new boolean[] {false, true, true, true, false});
                final String checkpointer = Json.rows(checkpointerHead, List.<String[]>of(checkpointerRow),
                    checkpointerNumeric);
                sb.append("},\"checkpointer\":").append(checkpointer, "{\"rows\":[".length(), checkpointer.length() - 2);
                out.println(sb.append(",\"relations\":").append(rows, "{\"rows\":".length(), rows.length() - 1)
                    .append('}'));
            }
            else
            {
                out.println("pg_stat_bgwriter");
                Table.print(out, head, List.<String[]>of(row), new boolean[] {true, true, true, true, true, false});
                out.println();
                out.println("pg_stat_checkpointer");
                Table.print(out, checkpointerHead, List.<String[]>of(checkpointerRow), checkpointerNumeric);
                out.println();
                out.println("buffers by relation");
                Table.print(out, relationHead, relations, new boolean[] {true, true, true, true, true});
            }
        }
    }
}
