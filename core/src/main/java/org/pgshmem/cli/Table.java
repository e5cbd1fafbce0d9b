package org.pgshmem.cli;

import java.io.PrintStream;
import java.util.List;

/** Rows printed as psql prints a table: a header, a rule, aligned columns, a row count. */
final class Table
{
    private Table()
    {
    }

    static void print(final PrintStream out, final String[] head, final List<String[]> rows, final boolean[] numeric)
    {
        final int[] width = new int[head.length];
        for (int c = 0; c < head.length; c++)
        {
            width[c] = head[c].length();
            for (final String[] row : rows)
            {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        final StringBuilder line = new StringBuilder();
        final StringBuilder rule = new StringBuilder();
        for (int c = 0; c < head.length; c++)
        {
            line.append(c == 0 ? " " : " | ").append(pad(head[c], width[c], false));
            rule.append(c == 0 ? "-" : "-+-").append("-".repeat(width[c]));
        }
        out.println(line.toString().stripTrailing());
        out.println(rule.append('-'));
        for (final String[] row : rows)
        {
            line.setLength(0);
            for (int c = 0; c < head.length; c++)
            {
                line.append(c == 0 ? " " : " | ").append(pad(row[c], width[c], numeric[c]));
            }
            out.println(line.toString().stripTrailing());
        }
        out.println("(" + rows.size() + (rows.size() == 1 ? " row)" : " rows)"));
    }

    private static String pad(final String s, final int width, final boolean right)
    {
        final String fill = " ".repeat(width - s.length());
        return right ? fill + s : s + fill;
    }
}
