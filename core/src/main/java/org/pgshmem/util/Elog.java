package org.pgshmem.util;

import java.io.PrintStream;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Server log lines in PostgreSQL's default format ({@code log_line_prefix = '%m [%p] '}):
 * {@code 2026-11-23 22:45:00.123 UTC [1234] LOG:  database system is ready}.
 *
 * <p>Server processes (postmaster, bgwriter, checkpointer) write to standard error, which the
 * postmaster sends to the server log file when it runs in the background.
 */
public final class Elog
{
    private static final DateTimeFormatter TIME =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS 'UTC'");
    private static final long PID = ProcessHandle.current().pid();
    private static volatile PrintStream out = System.err;

    private Elog()
    {
    }

    /** Sends server log lines to {@code stream} instead of standard error. */
    public static void redirect(final PrintStream stream)
    {
        out = stream;
    }

    /** A {@code LOG:} line. */
    public static void log(final String message)
    {
        write("LOG", message, null, null);
    }

    /** A {@code WARNING:} line. */
    public static void warning(final String message)
    {
        write("WARNING", message, null, null);
    }

    /** A {@code FATAL:} line with optional DETAIL and HINT lines (null to omit). */
    public static void fatal(final String message, final String detail, final String hint)
    {
        write("FATAL", message, detail, hint);
    }

    private static void write(final String level, final String message, final String detail, final String hint)
    {
        final String prefix = TIME.format(ZonedDateTime.now(ZoneOffset.UTC)) + " [" + PID + "] ";
        final StringBuilder sb = new StringBuilder(128)
            .append(prefix).append(level).append(":  ").append(message).append('\n');
        if (detail != null)
        {
            sb.append(prefix).append("DETAIL:  ").append(detail).append('\n');
        }
        if (hint != null)
        {
            sb.append(prefix).append("HINT:  ").append(hint).append('\n');
        }
        final PrintStream stream = out;
        stream.print(sb);
        stream.flush();
    }
}
