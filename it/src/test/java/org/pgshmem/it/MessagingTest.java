package org.pgshmem.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.pgshmem.backend.Backend;
import org.pgshmem.cli.LineProcess;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.testing.CliResult;
import org.pgshmem.testing.TestCluster;

/** Inboxes, broadcast and latches between real processes, as scenarios. */
class MessagingTest extends ClusterTestSupport
{
    private static final Duration WAIT = TestCluster.WAIT;

    private LineProcess child(final String name, final String... args) throws Exception
    {
        final List<String> all = new ArrayList<>(List.of(args));
        all.add(1, dir());
        final LineProcess p = LineProcess.startJvm(name, InboxChild.class.getName(), all);
        final String ready = p.readLine(WAIT);
        assertEquals("ready " + p.pid(), ready, name);
        return p;
    }

    /** Bytes waiting in the inbox of {@code pid}, read from the segment. */
    private int inboxBytes(final long pid)
    {
        try (Shmem shmem = Backend.inspect(cluster.dataDir()))
        {
            final ProcArray procs = ProcArray.of(shmem);
            return procs.inbox(procs.slotOf(pid)).size();
        }
    }

    @Test
    void manySendersFillOneInboxAndEveryMessageArrivesOnceInEachSendersOrder() throws Exception
    {
        newCluster().initdb().start("inbox_size=4kB");
        final int senders = 3;
        final int count = 20_000;
        final List<LineProcess> all = new ArrayList<>();
        try
        {
            final LineProcess receiver = child("receiver", "receiver", Integer.toString(senders), Integer.toString(count));
            all.add(receiver);
            for (int id = 0; id < senders; id++)
            {
                all.add(child("sender " + id, "sender", Long.toString(receiver.pid()), Integer.toString(id),
                    Integer.toString(count)));
            }
            for (final LineProcess s : all.subList(1, all.size()))
            {
                s.send("go");
            }
            // nobody reads yet: the inbox fills and the senders wait, losing nothing
            TestCluster.await("the receiver's 4 kB inbox to fill", () -> inboxBytes(receiver.pid()) > 4096 - 3 * 48);
            receiver.send("go");
            for (final LineProcess s : all.subList(1, all.size()))
            {
                assertEquals("done", s.readLine(WAIT));
            }
            assertEquals("ok received=" + senders * count, receiver.readLine(Duration.ofSeconds(120)));
        }
        finally
        {
            all.forEach(LineProcess::close);
        }
    }

    @Test
    void aKilledReceiversSlotIsFreedAndSendersGetAnErrorForItsPid() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess a = cluster.backend("A"); LineProcess b = cluster.backend("B"))
        {
            assertEquals("ok", a.ask("send " + b.pid() + " before", WAIT));
            b.process().destroyForcibly();
            b.process().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS);
            final String expected = "error: process " + b.pid() + " is not attached to this cluster";
            TestCluster.await("the dead receiver's slot to be freed", () -> askQuietly(a, "send " + b.pid() + " after")
                .equals(expected));
            // the postmaster frees the slot, then logs it
            TestCluster.await("the postmaster to log the freed slot", () -> logContains(
                "client backend (PID " + b.pid() + ") exited without detaching"));
            assertEquals("ok", a.ask("struct still-alive 8", WAIT).substring(0, 2), "the sender goes on");
        }
    }

    private static String askQuietly(final LineProcess p, final String line)
    {
        try
        {
            return p.ask(line, WAIT);
        }
        catch (final Exception ex)
        {
            return ex.toString();
        }
    }

    @Test
    void everyModulesCleanupRunsForADeadProcessBeforeItsSlotIsFreed() throws Exception
    {
        newCluster().initdb("preload_modules=" + CleanupProbeModule.NAME).start();
        try (LineProcess victim = cluster.backend("victim"))
        {
            final long slot;
            try (Shmem shmem = Backend.inspect(cluster.dataDir()))
            {
                slot = ProcArray.of(shmem).slotOf(victim.pid());
            }
            victim.process().destroyForcibly();
            TestCluster.await("the postmaster to free the dead slot", () -> logContains(
                "client backend (PID " + victim.pid() + ") exited without detaching"));
            try (Shmem shmem = Backend.inspect(cluster.dataDir()))
            {
                final org.agrona.concurrent.AtomicBuffer probe = shmem.findStruct(CleanupProbeModule.LABEL).buffer();
                assertEquals(1, probe.getLongVolatile(0), "cleanup ran once");
                assertEquals(victim.pid(), probe.getLongVolatile(8));
                assertEquals(slot, probe.getLongVolatile(16));
            }
        }
    }

    @Test
    void aBroadcastReachesEveryBackend() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess a = cluster.backend("A"); LineProcess b = cluster.backend("B");
            LineProcess c = cluster.backend("C"))
        {
            assertEquals("ok", a.ask("broadcast hello everyone", WAIT));
            assertEquals("ok broadcast from=" + a.pid() + " hello everyone", b.ask("recv 10000", WAIT));
            assertEquals("ok broadcast from=" + a.pid() + " hello everyone", c.ask("recv 10000", WAIT));
            assertEquals("error: no message within 200 ms", a.ask("recv 200", WAIT), "a sender skips its own");
            try (LineProcess late = cluster.backend("late"))
            {
                assertEquals("error: no message within 200 ms", late.ask("recv 200", WAIT),
                    "a process that attached afterwards does not get the earlier broadcast");
            }
        }
    }

    @Test
    void aLappedReceiverLearnsHowManyBroadcastsItLost() throws Exception
    {
        newCluster().initdb().start("broadcast_size=1kB");
        try (LineProcess a = cluster.backend("A"); LineProcess b = cluster.backend("B"))
        {
            final int sent = 200;
            for (int i = 0; i < sent; i++)
            {
                assertEquals("ok", a.ask("broadcast message " + i, WAIT));
            }
            int received = 0;
            String last = null;
            String answer;
            while (!(answer = b.ask("recv 300", WAIT)).startsWith("error:"))
            {
                last = answer;
                received++;
            }
            final long lost = Long.parseLong(b.ask("lost", WAIT).substring(3));
            assertTrue(lost > 0, "a 1 kB buffer cannot hold 200 messages: B was lapped");
            assertEquals(sent, received + lost, "every broadcast was either received or counted lost");
            assertEquals("ok broadcast from=" + a.pid() + " message " + (sent - 1), last, "the newest one arrives");
        }
    }

    @Test
    void aSenderKilledBetweenClaimAndCommitDoesNotWedgeTheInbox() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess a = cluster.backend("A"); LineProcess b = cluster.backend("B"))
        {
            final LineProcess claimer = child("claimer", "claimer", Long.toString(b.pid()));
            try
            {
                assertTrue(claimer.readLine(WAIT).startsWith("claimed "));
                claimer.process().destroyForcibly();
                claimer.process().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
            finally
            {
                claimer.close();
            }
            // the death is counted before B ever polls: B must still see that the claim is a dead one
            TestCluster.await("the postmaster to count the claimer's death", () -> logContains(
                "client backend (PID " + claimer.pid() + ") exited without detaching"));
            assertEquals("ok", a.ask("send " + b.pid() + " after the dead claim", WAIT));
            assertEquals("ok from=" + a.pid() + " after the dead claim", b.ask("recv 30000", WAIT));
        }
    }

    @Test
    void aLatchWakesASleepingProcess() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess a = cluster.backend("A"); LineProcess b = cluster.backend("B"))
        {
            assertEquals("ok timeout", b.ask("waitlatch 100", WAIT));
            b.send("waitlatch 60000");
            TestCluster.await("B to sleep on its latch", () -> backendsJson().contains(
                "\"pid\":" + b.pid() + ",\"backend_type\":\"client backend\""));
            TestCluster.await("B's state to be idle", () -> backendsJson().matches(
                "(?s).*\"pid\":" + b.pid() + ",[^}]*\"state\":\"idle\".*"));
            assertEquals("ok", a.ask("setlatch " + b.pid(), WAIT));
            assertEquals("ok set", b.readLine(WAIT));
        }
    }

    private String backendsJson()
    {
        try
        {
            final CliResult r = cluster.cli("backends", "-D", dir(), "--json");
            return r.stdout();
        }
        catch (final Exception ex)
        {
            return ex.toString();
        }
    }

    @Test
    void theBackendsViewCountsMessagesPerProcess() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess a = cluster.backend("A"); LineProcess b = cluster.backend("B"))
        {
            assertEquals("ok", a.ask("send " + b.pid() + " one", WAIT));
            assertEquals("ok", a.ask("send " + b.pid() + " two", WAIT));
            assertEquals("ok from=" + a.pid() + " one", b.ask("recv", WAIT));
            final String json = backendsJson();
            assertTrue(json.matches("(?s).*\"pid\":" + a.pid() + ",[^}]*\"messages_sent\":2,.*"), json);
            assertTrue(json.matches("(?s).*\"pid\":" + b.pid() + ",[^}]*\"inbox_bytes\":\\d+,\"messages_sent\":0,"
                + "\"messages_received\":1}.*"), json);
            assertTrue(json.contains("\"backend_type\":\"postmaster\"") && json.contains("\"backend_type\":\"checkpointer\""));
        }
    }

    @Test
    void backendsNoticeADeadPostmasterAndFailTheirNextCall() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess b = cluster.backend("B"))
        {
            final ProcessHandle postmaster = ProcessHandle.of(cluster.postmasterPid()).orElseThrow();
            postmaster.destroyForcibly();
            postmaster.onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            TestCluster.await("B to notice", () -> askQuietly(b, "struct x 64")
                .equals("error: terminating connection due to unexpected postmaster exit"));
            assertEquals("error: terminating connection due to unexpected postmaster exit", b.ask("recv 10", WAIT));
        }
    }
}
