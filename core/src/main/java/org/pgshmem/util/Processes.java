package org.pgshmem.util;

import java.time.Instant;
import java.util.Optional;

/**
 * Process identity that survives pid reuse: a pid together with the instant the process
 * started, as the kernel reports it, compared at millisecond precision.
 */
public final class Processes
{
    private static final long SELF_PID = ProcessHandle.current().pid();
    private static final long SELF_START = startMillis(ProcessHandle.current());

    private Processes()
    {
    }

    /** This process's pid. */
    public static long selfPid()
    {
        return SELF_PID;
    }

    /** This process's start instant in epoch milliseconds. */
    public static long selfStartMillis()
    {
        return SELF_START;
    }

    /** The start instant of a live process in epoch milliseconds, or 0 when unknown or gone. */
    public static long startMillis(final long pid)
    {
        final Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        return handle.map(Processes::startMillis).orElse(0L);
    }

    private static long startMillis(final ProcessHandle handle)
    {
        return handle.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }

    /**
     * Whether the process {@code pid} that started at {@code startMillis} still runs. A pid that
     * now belongs to a process started at another instant is a reused pid: not alive.
     * A start instant of 0 means "unknown": the pid alone decides.
     */
    public static boolean isAlive(final long pid, final long startMillis)
    {
        if (pid <= 0)
        {
            return false;
        }
        final Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !handle.get().isAlive())
        {
            return false;
        }
        if (startMillis == 0)
        {
            return true;
        }
        final long actual = startMillis(handle.get());
        // the kernel counts start time in clock ticks: allow one tick of rounding
        return actual == 0 || Math.abs(actual - startMillis) <= 20;
    }
}
