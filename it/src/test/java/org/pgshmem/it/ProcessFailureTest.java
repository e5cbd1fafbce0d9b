package org.pgshmem.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pgshmem.cli.LineProcess;
import org.pgshmem.proc.ProcSlotDescriptor;
import org.pgshmem.testing.CliResult;
import org.pgshmem.testing.TestCluster;
import org.pgshmem.util.Processes;

/** Processes that die, and the three shutdown modes, as scenarios. */
class ProcessFailureTest extends ClusterTestSupport
{
    @BeforeEach
    void startCluster() throws Exception
    {
        newCluster().initdb().start();
    }

    private static void kill9(final long pid) throws Exception
    {
        final ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
        h.destroyForcibly();
        h.onExit().get(TestCluster.WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void aKilledBackgroundWriterIsRestarted() throws Exception
    {
        final long old = cluster.slotPid(ProcSlotDescriptor.BGWRITER_SLOT);
        assertTrue(old > 0 && Processes.isAlive(old, 0));
        kill9(old);
        TestCluster.await("a new background writer in its slot", () ->
        {
            final long now = cluster.slotPid(ProcSlotDescriptor.BGWRITER_SLOT);
            return now != 0 && now != old && Processes.isAlive(now, 0);
        });
        final String log = cluster.log();
        assertTrue(log.contains("background writer process (PID " + old + ") was terminated by signal 9"), log);
        assertTrue(log.contains("restarting background writer"), log);
        try (LineProcess b = cluster.backend("after restart"))
        {
            assertEquals("ok", b.ask("put h k v", TestCluster.WAIT), "the cluster keeps serving backends");
        }
    }

    @Test
    void aKilledPostmasterWithABackendAttachedBlocksANewStartUntilTheBackendIsGone() throws Exception
    {
        final LineProcess backend = cluster.backend("survivor");
        final long bgwriter = cluster.slotPid(ProcSlotDescriptor.BGWRITER_SLOT);
        final long checkpointer = cluster.slotPid(ProcSlotDescriptor.CHECKPOINTER_SLOT);
        kill9(cluster.postmasterPid());
        // orphaned auxiliary processes notice the dead postmaster and exit by themselves
        TestCluster.await("the auxiliary processes to exit",
            () -> !Processes.isAlive(bgwriter, 0) && !Processes.isAlive(checkpointer, 0));

        final CliResult refused = cluster.tryStart();
        assertEquals(1, refused.exitCode(), refused.all());
        assertTrue(refused.stderr().contains("pre-existing shared memory block"), refused.all());
        assertTrue(refused.stderr().contains("is still in use"), refused.all());
        assertTrue(refused.stderr().contains(backend.pid() + " (client backend)"), refused.all());
        assertTrue(refused.stderr().contains("Terminate any old server processes"), refused.all());

        assertEquals("ok", backend.ask("quit", TestCluster.WAIT));
        assertEquals(0, backend.waitFor(TestCluster.WAIT));
        cluster.start();
        assertTrue(cluster.log().contains("database system was interrupted"), cluster.log());
        assertTrue(cluster.log().contains("left by a postmaster that did not shut down"), cluster.log());
        try (LineProcess b = cluster.backend("after crash"))
        {
            final String answer = b.ask("struct fresh 64", TestCluster.WAIT);
            assertTrue(answer.startsWith("ok created"), "a fresh segment after the crash: " + answer);
        }
    }

    @Test
    void aFastStopTerminatesAttachedBackends() throws Exception
    {
        final LineProcess backend = cluster.backend("victim");
        final CliResult stop = cluster.cli("stop", "-D", dir(), "-m", "fast");
        assertEquals(0, stop.exitCode(), stop.all() + cluster.log());
        assertEquals("error: terminating connection due to administrator command", backend.readLine(TestCluster.WAIT));
        assertEquals(1, backend.waitFor(TestCluster.WAIT));
        assertTrue(cluster.cli("controldata", "-D", dir()).stdout().contains("shut down"));
    }

    @Test
    void aSmartStopWaitsForBackendsToDetach() throws Exception
    {
        final LineProcess backend = cluster.backend("lingering");
        final CliResult stop = cluster.cli("stop", "-D", dir(), "-m", "smart", "-t", "2");
        assertEquals(1, stop.exitCode(), "smart waits while a backend is attached: " + stop.all());
        assertTrue(stop.stderr().contains("server does not shut down"), stop.all());
        assertEquals("error: the database system is shutting down", cluster.failingBackend("latecomer"),
            "no new backends once a shutdown began");
        final String answer = backend.ask("struct s 64", TestCluster.WAIT);
        assertTrue(answer.startsWith("ok created"), "the attached backend still works: " + answer);
        assertEquals("ok", backend.ask("quit", TestCluster.WAIT));
        TestCluster.await("the postmaster to finish its smart shutdown",
            () -> !Files.exists(cluster.dataDir().resolve("postmaster.pid")));
        assertTrue(cluster.cli("controldata", "-D", dir()).stdout().contains("shut down"));
    }

    @Test
    void anImmediateStopLeavesACrashedClusterThatStartsAgain() throws Exception
    {
        final CliResult stop = cluster.cli("stop", "-D", dir(), "-m", "immediate");
        assertEquals(0, stop.exitCode(), stop.all());
        assertTrue(cluster.cli("controldata", "-D", dir()).stdout().contains("in production"),
            "an immediate stop skips the shutdown: the next start sees a crash");
        cluster.start();
        assertTrue(cluster.log().contains("database system was interrupted"), cluster.log());
    }
}
