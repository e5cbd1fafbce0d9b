package org.pgshmem.it;

import java.nio.file.Path;

import org.pgshmem.backend.Backend;
import org.pgshmem.example.CounterModule;

/** A backend JVM that increments the example module's counter 0 {@code args[1]} times. */
public final class CounterClient
{
    private CounterClient()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try (Backend backend = Backend.attach(Path.of(args[0])))
        {
            final CounterModule counters = backend.module(CounterModule.class);
            System.out.println("ready");
            System.out.flush();
            if (System.in.read() < 0)
            {
                return;
            }
            final int n = Integer.parseInt(args[1]);
            for (int i = 0; i < n; i++)
            {
                counters.increment(0);
            }
            System.out.println("done " + counters.get(0));
        }
    }
}
