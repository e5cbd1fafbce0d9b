package org.pgshmem.util;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Process identity that survives pid reuse: a pid together with a start token, the kernel's
 * start time of the process. On Linux the token is field 22 of {@code /proc/<pid>/stat} (clock
 * ticks since boot), read from that one file, which is cheap enough for polling loops; elsewhere
 * it is the start instant in epoch milliseconds from {@link ProcessHandle.Info}.
 */
public final class Processes
{
    private static final boolean PROC_STAT = Files.isReadable(Path.of("/proc/self/stat"));
    private static final long SELF_PID = ProcessHandle.current().pid();
    private static final long SELF_TOKEN = startToken(SELF_PID);

    private Processes()
    {
    }

    /** This process's pid. */
    public static long selfPid()
    {
        return SELF_PID;
    }

    /** This process's start token. */
    public static long selfStartToken()
    {
        return SELF_TOKEN;
    }

    /** The start token of a running process, or 0 when it does not exist. */
    public static long startToken(final long pid)
    {
        if (pid <= 0)
        {
            return 0;
        }
        if (PROC_STAT)
        {
            try
            {
                final String stat = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "stat")),
                    StandardCharsets.US_ASCII);
                // the command name in parentheses may hold spaces: count fields after the last ')'
                final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // fields[0] is field 3 (state); field 22 (starttime) is fields[19]; a zombie is dead
                return "Z".equals(fields[0]) ? 0 : Long.parseLong(fields[19]);
            }
            catch (final IOException | RuntimeException ex)
            {
                return 0;
            }
        }
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
            .flatMap(h -> h.info().startInstant()).map(Instant::toEpochMilli).orElse(0L);
    }

    /**
     * Whether the process {@code pid} with start token {@code token} still runs. A pid that now
     * belongs to a process with another token is a reused pid: not alive. A token of 0 means
     * "unknown": the pid alone decides.
     */
    public static boolean isAlive(final long pid, final long token)
    {
        final long actual = startToken(pid);
        return actual != 0 && (token == 0 || actual == token);
    }
}
