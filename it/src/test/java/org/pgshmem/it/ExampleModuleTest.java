package org.pgshmem.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.pgshmem.backend.Backend;
import org.pgshmem.cli.LineProcess;
import org.pgshmem.example.CounterModule;
import org.pgshmem.testing.CliResult;
import org.pgshmem.testing.TestCluster;
import org.pgshmem.util.PgException;

/**
 * The example custom module, end to end: enabled by preload_modules at initdb, bootstrapped,
 * loaded from its file into shared memory by the postmaster, used by two backend processes.
 */
class ExampleModuleTest extends ClusterTestSupport
{
    @Test
    void twoProcessesIncrementTheModulesSharedCounters() throws Exception
    {
        newCluster()
            .initdb("preload_modules=" + CounterModule.NAME, "example_counter.start=100")
            .start();
        final CliResult shmem = cluster.cli("shmem", "-D", cluster.dataDir().toString());
        assertTrue(shmem.stdout().contains(" example_counter "), shmem.stdout());

        try (LineProcess child = LineProcess.startJvm("counter client", CounterClient.class.getName(),
            List.of(cluster.dataDir().toString(), "10000"));
            Backend self = Backend.attach(cluster.dataDir()))
        {
            assertEquals("ready", child.readLine(TestCluster.WAIT));
            final CounterModule counters = self.module(CounterModule.class);
            assertEquals(100, counters.get(0), "loaded from the file bootstrap wrote");
            child.send("go");
            for (int i = 0; i < 10000; i++)
            {
                counters.increment(0);
            }
            final String done = child.readLine(TestCluster.WAIT);
            assertTrue(done.startsWith("done "), done);
            assertEquals(0, child.waitFor(TestCluster.WAIT));
            assertEquals(100 + 20000, counters.get(0), "no increment lost between the two processes");
            assertEquals(100, counters.get(1));
        }
    }

    @Test
    void withoutPreloadTheModuleIsNotLoaded() throws Exception
    {
        newCluster().initdb().start();
        try (Backend self = Backend.attach(cluster.dataDir()))
        {
            final PgException ex = assertThrows(PgException.class, () -> self.module(CounterModule.class));
            assertEquals("Add its name to preload_modules.", ex.hint());
        }
    }
}
