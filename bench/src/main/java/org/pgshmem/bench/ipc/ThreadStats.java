package org.pgshmem.bench.ipc;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Facts about the calling thread, read before and after a measured loop: bytes it
 * allocated (the loops must allocate nothing), the CPU time it used, and how often the kernel
 * took its core away
 * (Linux's {@code nonvoluntary_ctxt_switches}; each one is a stall of a spinning side and
 * explains a long maximum).
 */
final class ThreadStats
{
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private static final Path STATUS = Path.of("/proc/thread-self/status");
    private static final String SWITCHES = "nonvoluntary_ctxt_switches:";

    private ThreadStats()
    {
    }

    /** CPU time the calling thread has used so far, in nanoseconds. */
    static long cpuNanos()
    {
        return THREADS.getCurrentThreadCpuTime();
    }

    /** Bytes the calling thread has allocated so far. */
    static long allocatedBytes()
    {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    /** Times the calling thread was preempted so far; 0 where the kernel does not say. */
    static long involuntarySwitches()
    {
        try
        {
            for (final String line : Files.readAllLines(STATUS))
            {
                if (line.startsWith(SWITCHES))
                {
                    return Long.parseLong(line.substring(SWITCHES.length()).trim());
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // not Linux, or no /proc: the column then shows 0
        }
        return 0;
    }
}
