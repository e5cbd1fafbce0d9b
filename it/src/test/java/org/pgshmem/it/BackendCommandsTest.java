package org.pgshmem.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.pgshmem.cli.LineProcess;
import org.pgshmem.testing.TestCluster;

/** {@code pgshmem backend} processes passing values through shared memory, as a script would drive them. */
class BackendCommandsTest extends ClusterTestSupport
{
    private static final Duration WAIT = TestCluster.WAIT;

    @Test
    void twoBackendsShareAStructAndAHashByLabel() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess a = cluster.backend("A"); LineProcess b = cluster.backend("B"))
        {
            final String created = a.ask("struct counters 64", WAIT);
            assertTrue(created.startsWith("ok created offset="), created);
            assertEquals(created.replace("created", "attached"), b.ask("struct counters 64", WAIT));
            assertEquals("error: shared memory structure \"counters\" has the wrong size", b.ask("struct counters 128", WAIT));
            assertEquals("ok 5", a.ask("struct-add counters 8 5", WAIT));
            assertEquals("ok 12", b.ask("struct-add counters 8 7", WAIT));
            assertEquals("ok 12", a.ask("struct-get counters 8", WAIT));

            assertEquals("ok", a.ask("put accounts alice 100 dollars", WAIT));
            assertEquals("ok 100 dollars", b.ask("get accounts alice", WAIT));
            assertEquals("error: key \"bob\" not found in hash \"accounts\"", b.ask("get accounts bob", WAIT));
            assertEquals("error: unknown command \"frobnicate\"", a.ask("frobnicate", WAIT));
            assertEquals("error: usage: put <hash-label> <key> <value>", a.ask("put accounts", WAIT));
            assertEquals("ok", a.ask("quit", WAIT));
            assertEquals(0, a.waitFor(WAIT));
        }
    }

    @Test
    void tooManyClientsAreRefused() throws Exception
    {
        newCluster().initdb().start("max_connections=2");
        try (LineProcess a = cluster.backend("A"); LineProcess b = cluster.backend("B"))
        {
            assertEquals("error: sorry, too many clients already", cluster.failingBackend("C"));
            assertEquals("ok", a.ask("quit", WAIT));
            assertEquals(0, a.waitFor(WAIT));
            try (LineProcess c = cluster.backend("C again"))
            {
                assertEquals("ok", c.ask("quit", WAIT), "a freed slot is taken again");
            }
        }
    }

    @Test
    void aKilledBackendsSlotIsFreedByThePostmaster() throws Exception
    {
        newCluster().initdb().start("max_connections=1");
        final LineProcess a = cluster.backend("A");
        a.process().destroyForcibly();
        a.process().waitFor();
        TestCluster.await("the postmaster to log the freed slot",
            () -> logContains("client backend (PID " + a.pid() + ") exited without detaching"));
        try (LineProcess b = cluster.backend("B"))
        {
            assertEquals("ok", b.ask("quit", WAIT));
        }
    }

    @Test
    void aPersistedHashSurvivesARestart() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess a = cluster.backend("A"))
        {
            assertEquals("ok", a.ask("put kept key value", WAIT));
            assertEquals("ok", a.ask("quit", WAIT));
            a.waitFor(WAIT);
        }
        cluster.stop("fast");
        cluster.start();
        try (LineProcess b = cluster.backend("B"))
        {
            assertEquals("ok value", b.ask("get kept key", WAIT));
        }
        final String shmem = cluster.cli("shmem", "-D", cluster.dataDir().toString(), "--json").stdout();
        assertTrue(shmem.contains("{\"name\":\"kept\",\"kind\":\"hash\",\"entries\":1,"), shmem);
    }
}
