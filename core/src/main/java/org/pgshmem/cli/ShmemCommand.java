package org.pgshmem.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;

import org.pgshmem.backend.Backend;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemAllocation;
import org.pgshmem.shmem.ShmemSegment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code pgshmem shmem -D DIR [--json]}: the allocations view of the running cluster, as
 * pg_shmem_allocations shows it, plus hash tables. Reads the segment only: loads no Chronicle.
 */
@Command(name = "shmem", mixinStandardHelpOptions = true, version = PgShmemCli.VERSION, description = "Show the shared memory allocations of the running cluster.")
final class ShmemCommand implements Callable<Integer>
{
    @Mixin
    ViewOptions view;

    @Override
    public Integer call()
    {
        try (Shmem shmem = Backend.inspect(view.dataDir.get()))
        {
            final List<ShmemAllocation> rows = shmem.allocations();
            if (view.json)
            {
                printJson(System.out, shmem.segment(), rows);
            }
            else
            {
                printTable(System.out, shmem.segment(), rows);
            }
            return 0;
        }
    }

    /** Rows as psql prints a table. */
    static void printTable(final PrintStream out, final ShmemSegment segment, final List<ShmemAllocation> rows)
    {
        final String[] head = {"name", "kind", "off", "size", "allocated_size", "entries", "capacity", "file"};
        final String[][] cells = new String[rows.size()][];
        for (int i = 0; i < rows.size(); i++)
        {
            final ShmemAllocation a = rows.get(i);
            final boolean hash = "hash".equals(a.kind());
            cells[i] = new String[] {
                a.name() == null ? "(unused)" : a.name(), a.kind(),
                hash ? "" : Long.toString(a.offset()), hash ? "" : Long.toString(a.size()),
                hash ? "" : Long.toString(a.allocatedSize()),
                hash ? Long.toString(a.entries()) : "", hash ? Long.toString(a.capacity()) : "",
                a.file() == null ? "" : a.file()};
        }
        out.println("shared memory segment " + segment.file() + ": " + segment.totalSize() + " bytes, "
            + (segment.totalSize() - segment.freeOffset()) + " unused");
        Table.print(out, head, java.util.Arrays.asList(cells),
            new boolean[] {false, false, true, true, true, true, true, false});
    }

    static void printJson(final PrintStream out, final ShmemSegment segment, final List<ShmemAllocation> rows)
    {
        final StringBuilder sb = new StringBuilder("{\"segment\":").append(Json.string(segment.file().toString()))
            .append(",\"total_size\":").append(segment.totalSize())
            .append(",\"allocations\":[");
        for (int i = 0; i < rows.size(); i++)
        {
            final ShmemAllocation a = rows.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"name\":").append(a.name() == null ? "null" : Json.string(a.name()))
                .append(",\"kind\":").append(Json.string(a.kind()));
            if ("hash".equals(a.kind()))
            {
                sb.append(",\"entries\":").append(a.entries()).append(",\"capacity\":").append(a.capacity())
                    .append(",\"file\":").append(Json.string(a.file()));
            }
            else
            {
                sb.append(",\"off\":").append(a.offset()).append(",\"size\":").append(a.size())
                    .append(",\"allocated_size\":").append(a.allocatedSize());
            }
            sb.append('}');
        }
        out.println(sb.append("]}"));
    }
}
