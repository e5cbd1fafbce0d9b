package org.pgshmem.settings;

import org.pgshmem.util.PgException;

/**
 * One line of a configuration file in PostgreSQL's syntax (guc-file.l):
 * {@code name [=] value [# comment]}, where value is a bare word or number with optional unit,
 * or a single-quoted string in which {@code ''} stands for a quote.
 */
record ConfigLine(String name, String value)
{
    /** The line's setting, or null for a blank or comment line. */
    static ConfigLine parse(final String raw, final String source, final int lineNo)
    {
        final String line = raw.strip();
        if (line.isEmpty() || line.startsWith("#"))
        {
            return null;
        }
        int i = 0;
        while (i < line.length() && isNameChar(line.charAt(i)))
        {
            i++;
        }
        if (i == 0)
        {
            throw syntax(source, lineNo, line.substring(0, 1));
        }
        final String name = line.substring(0, i);
        if (name.equalsIgnoreCase("include") || name.equalsIgnoreCase("include_dir")
            || name.equalsIgnoreCase("include_if_exists"))
        {
            throw new PgException("\"" + name + "\" directives are not supported (" + source + " line " + lineNo + ")",
                null, "Put every setting in pgshmem.conf or pass it with -c.");
        }
        while (i < line.length() && Character.isWhitespace(line.charAt(i)))
        {
            i++;
        }
        if (i < line.length() && line.charAt(i) == '=')
        {
            i++;
        }
        while (i < line.length() && Character.isWhitespace(line.charAt(i)))
        {
            i++;
        }
        if (i >= line.length() || line.charAt(i) == '#')
        {
            throw syntax(source, lineNo, "end of line");
        }
        final String value;
        if (line.charAt(i) == '\'')
        {
            final StringBuilder sb = new StringBuilder();
            i++;
            boolean closed = false;
            while (i < line.length())
            {
                final char c = line.charAt(i++);
                if (c == '\'')
                {
                    if (i < line.length() && line.charAt(i) == '\'')
                    {
                        sb.append('\'');
                        i++;
                        continue;
                    }
                    closed = true;
                    break;
                }
                sb.append(c);
            }
            if (!closed)
            {
                throw new PgException("unterminated quoted string in file \"" + source + "\" line " + lineNo);
            }
            value = sb.toString();
        }
        else
        {
            final int start = i;
            while (i < line.length() && !Character.isWhitespace(line.charAt(i)) && line.charAt(i) != '#')
            {
                i++;
            }
            value = line.substring(start, i);
        }
        while (i < line.length() && Character.isWhitespace(line.charAt(i)))
        {
            i++;
        }
        if (i < line.length() && line.charAt(i) != '#')
        {
            throw syntax(source, lineNo, line.substring(i).split("\\s+")[0]);
        }
        return new ConfigLine(name, value);
    }

    private static boolean isNameChar(final char c)
    {
        return Character.isLetterOrDigit(c) || c == '_' || c == '.';
    }

    private static PgException syntax(final String source, final int lineNo, final String token)
    {
        return new PgException("syntax error in file \"" + source + "\" line " + lineNo + ", near token \"" + token + "\"");
    }
}
