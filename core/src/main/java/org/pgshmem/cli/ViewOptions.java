package org.pgshmem.cli;

import java.io.PrintStream;
import java.util.List;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options of every read-only view of a running cluster ({@code shmem}, {@code backends}, {@code locks}): {@code -D} and {@code --json}. */
final class ViewOptions
{
    @Mixin
    DataDirOption dataDir;

    @Option(names = "--json", description = "one JSON object with the rows")
    boolean json;

    /** Prints rows as psql does, or as {@code {"rows":[...]}}; numeric columns are unquoted in JSON. */
    static void print(final PrintStream out, final boolean json, final String[] head, final List<String[]> rows,
        final boolean[] numeric)
    {
        if (json)
        {
            out.println(Json.rows(head, rows, numeric));
        }
        else
        {
            Table.print(out, head, rows, numeric);
        }
    }
}
