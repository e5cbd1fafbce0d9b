package org.pgshmem.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.pgshmem.backend.Backend;
import org.pgshmem.buffer.BufferStatsView;
import org.pgshmem.shmem.Shmem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code pgshmem stats -D DIR [--json]}: pg_stat_bgwriter and the buffer hits and reads per
 * relation, read from shared memory without attaching. Backends send their per-relation counts
 * in batches (and at {@code flush} and detach), so those may lag a little, as PostgreSQL's do.
 */
@Command(name = "stats", mixinStandardHelpOptions = true, version = PgShmemCli.VERSION,
    description = "Show the buffer statistics of the running cluster: pg_stat_bgwriter and hits and reads per relation.")
final class StatsCommand implements Callable<Integer>
{
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
                out.println(sb.append("},\"relations\":").append(rows, "{\"rows\":".length(), rows.length() - 1)
                    .append('}'));
            }
            else
            {
                out.println("pg_stat_bgwriter");
                Table.print(out, head, List.<String[]>of(row), new boolean[] {true, true, true, true, true, false});
                out.println();
                out.println("buffers by relation");
                Table.print(out, relationHead, relations, new boolean[] {true, true, true, true, true});
            }
        }
    }
}
