package org.pgshmem.cli;

/** The one thing the CLI's --json output needs: a JSON string literal. */
final class Json
{
    private Json()
    {
    }

    /** {@code {"rows":[{head[0]: row[0], ...}, ...]}}, numeric columns unquoted. */
    static String rows(final String[] head, final java.util.List<String[]> rows, final boolean[] numeric)
    {
        final StringBuilder sb = new StringBuilder("{\"rows\":[");
        for (int r = 0; r < rows.size(); r++)
        {
            sb.append(r == 0 ? "{" : ",{");
            for (int c = 0; c < head.length; c++)
            {
                final String v = rows.get(r)[c];
                sb.append(c == 0 ? "" : ",").append(string(head[c])).append(':').append(numeric[c] ? v : string(v));
            }
            sb.append('}');
        }
        return sb.append("]}").toString();
    }

    static String string(final String s)
    {
        final StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            switch (c)
            {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default ->
                {
                    if (c < 0x20)
                    {
                        sb.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
