package org.pgshmem.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.pgshmem.cli.LineProcess;
import org.pgshmem.testing.TestCluster;

/**
 * A process killed inside a Chronicle Map operation leaves that segment locked with no owner
 * recorded. The cluster must notice, recover the hash, and let the others continue within
 * seconds rather than after Chronicle's 60 s lock timeout.
 */
class HashRecoveryTest extends ClusterTestSupport
{
    private static final Duration WAIT = TestCluster.WAIT;

    @Test
    void aWriterKilledInsideAnOperationIsRecoveredAndTheOthersContinueWithinSeconds() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess writer = cluster.backend("writer"); LineProcess idle = cluster.backend("idle reader"))
        {
            assertEquals("ok", writer.ask("put shared k0 first", WAIT));
            assertEquals("ok", writer.ask("put shared k1 other", WAIT));
            assertEquals("ok first", idle.ask("get shared k0", WAIT), "the idle reader has the hash open too");

            try (LineProcess holder = LineProcess.startJvm("holder", HashHolderChild.class.getName(),
                List.of(dir(), "shared", "k0")))
            {
                assertEquals("inside", holder.readLine(WAIT));
                holder.process().destroyForcibly();
                holder.process().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS);
            }

            // the same key: its segment lock is held by the dead process
            final long start = System.nanoTime();
            assertEquals("ok", writer.ask("put shared k0 second", WAIT));
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms < 20_000, "the writer went on after " + ms + " ms, not after Chronicle's 60 s");

            assertEquals("ok second", writer.ask("get shared k0", WAIT));
            assertEquals("ok second", idle.ask("get shared k0", WAIT), "the idle reader reopened the recovered file");
            assertEquals("ok other", idle.ask("get shared k1", WAIT), "nothing else was lost");
            TestCluster.await("the recovery to be logged", () -> logContains("hash table \"shared\" recovered in"));
            assertTrue(cluster.log().contains("died inside an operation on hash table \"shared\"; recovering it"),
                cluster.log());
        }
    }
}
