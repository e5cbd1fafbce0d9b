package org.pgshmem.ipc;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

/** The idle strategy the {@code latch_idle_strategy} setting names, as Agrona provides them. */
public final class IdleStrategies
{
    private IdleStrategies()
    {
    }

    /**
     * backoff: spin, then yield, then park from 1 µs growing to 1 ms (the default: wakes within
     * about a millisecond and costs little CPU while idle); busy-spin: never gives up the core
     * (lowest latency, burns a core); yielding; sleeping: park 100 µs each time.
     */
    public static IdleStrategy of(final String name)
    {
        return switch (name)
        {
            case "busy-spin" -> new BusySpinIdleStrategy();
            case "yielding" -> new YieldingIdleStrategy();
            case "sleeping" -> new SleepingIdleStrategy(TimeUnit.MICROSECONDS.toNanos(100));
            default -> new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1));
        };
    }
}
