package org.pgshmem.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.pgshmem.cli.LineProcess;
import org.pgshmem.cli.PgShmemCli;
import org.pgshmem.postmaster.ChildJvm;
import org.pgshmem.testing.TestCluster;
import org.pgshmem.xact.Transaction;

/**
 * Transactions between real backends, each a {@code pgshmem backend} JVM driven line by line, as
 * isolation specs: sessions, steps, and what each sees. A backend killed in the middle of a
 * transaction leaves nothing; one that dies after logging its commit, while applying it, has it
 * applied by the postmaster; acknowledged commits survive a crash.
 */
class TransactionTest extends ClusterTestSupport
{
    private static final Duration WAIT = TestCluster.WAIT;
    private static final int REL = 16384;

    private static void kill9(final LineProcess p) throws Exception
    {
        p.process().destroyForcibly();
        assertTrue(p.process().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
    }

    /** The xid a session's transaction has, from {@code xid}. */
    private static long xid(final LineProcess s) throws Exception
    {
        final String answer = s.ask("xid", WAIT);
        assertTrue(answer.matches("ok \\d+"), answer);
        return Long.parseLong(answer.substring(3));
    }

    private static void assertCommitted(final String answer)
    {
        assertTrue(answer.matches("ok [0-9A-F]+/[0-9A-F]+") && !answer.equals("ok 0/0"), "a commit LSN: " + answer);
    }

    /** Waits until session {@code s} answers {@code status <xid>} with {@code expected}. */
    private static void awaitStatus(final LineProcess s, final long xid, final String expected) throws Exception
    {
        TestCluster.await("transaction " + xid + " to be " + expected, () ->
        {
            try
            {
                return ("ok " + expected).equals(s.ask("status " + xid, WAIT));
            }
            catch (final Exception ex)
            {
                throw new AssertionError(ex);
            }
        });
    }

    @Test
    void othersSeeAWriteOnlyOnceItsTransactionCommits() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess a = cluster.backend("A"); LineProcess b = cluster.backend("B"))
        {
            assertEquals("ok", a.ask("write " + REL + " 0 100 old value", WAIT), "autocommit");
            assertEquals("ok none", a.ask("xid", WAIT));
            assertEquals("ok", a.ask("begin", WAIT));
            assertEquals("ok none", a.ask("xid", WAIT), "no id before the first write");
            assertEquals("ok", a.ask("write " + REL + " 0 100 new value", WAIT));
            final long xid = xid(a);
            assertEquals("ok new value", a.ask("read " + REL + " 0 100 9", WAIT), "A reads its own write");
            assertEquals("ok old value", b.ask("read " + REL + " 0 100 9", WAIT), "B does not");
            assertEquals("ok in progress", b.ask("status " + xid, WAIT));

            assertCommitted(a.ask("commit", WAIT));
            assertEquals("ok new value", b.ask("read " + REL + " 0 100 9", WAIT));
            assertEquals("ok committed", b.ask("status " + xid, WAIT));
            assertEquals("error: there is no transaction in progress", a.ask("commit", WAIT));
            assertEquals("ok", a.ask("begin", WAIT));
            assertEquals("error: there is already a transaction in progress", a.ask("begin", WAIT));
            assertEquals("ok 0/0", a.ask("commit", WAIT), "nothing written: nothing logged");
            assertEquals("error: transaction ID " + (xid + 100) + " is in the future", b.ask("status " + (xid + 100), WAIT));
        }
    }

    @Test
    void anAbortedTransactionLeavesNothing() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess a = cluster.backend("A"); LineProcess b = cluster.backend("B"))
        {
            assertEquals("ok", a.ask("write " + REL + " 0 100 kept", WAIT));
            assertEquals("ok", a.ask("begin", WAIT));
            assertEquals("ok", a.ask("write " + REL + " 0 100 lost", WAIT));
            assertEquals("ok", a.ask("write " + REL + " 5 100 a block past the end", WAIT));
            final long xid = xid(a);
            assertEquals("ok", a.ask("rollback", WAIT));
            assertEquals("ok none", a.ask("xid", WAIT));
            assertEquals("ok kept", a.ask("read " + REL + " 0 100 4", WAIT));
            assertEquals("ok kept", b.ask("read " + REL + " 0 100 4", WAIT));
            assertEquals("ok aborted", b.ask("status " + xid, WAIT));
            assertTrue(b.ask("read " + REL + " 5 100 4", WAIT).startsWith("error: could not read block 5"),
                "the relation was not extended");
            assertEquals("error: there is no transaction in progress", a.ask("abort", WAIT));
        }
    }

    @Test
    void aBackendKilledInTheMiddleOfATransactionLeavesNothingAndItsTransactionIsAborted() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess a = cluster.backend("A"); LineProcess b = cluster.backend("B"))
        {
            assertEquals("ok", b.ask("write " + REL + " 0 100 before", WAIT));
            assertEquals("ok", a.ask("begin", WAIT));
            assertEquals("ok", a.ask("write " + REL + " 0 100 during", WAIT));
            final long xid = xid(a);
            kill9(a);
            awaitStatus(b, xid, "aborted");
            TestCluster.await("the abort to be logged",
                () -> logContains("transaction " + xid + " of terminated process " + a.pid() + " aborted"));
            assertEquals("ok before", b.ask("read " + REL + " 0 100 6", WAIT));
            assertEquals("ok", b.ask("write " + REL + " 0 100 after!", WAIT), "nothing of A's is held");
        }
    }

    @Test
    void aBackendThatDiesWhileApplyingItsCommitHasItAppliedByThePostmasterAndItSurvivesACrash() throws Exception
    {
        newCluster().initdb().start();
        final LineProcess a = LineProcess.start("A (halts after its commit record)", ChildJvm.command(
            List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-D" + Transaction.HALT_AFTER_COMMIT_INSERT_PROPERTY + "=true"),
            PgShmemCli.class.getName(), List.of("backend", "-D", dir())));
        try (LineProcess b = cluster.backend("B"))
        {
            assertEquals("ok pid=" + a.pid(), a.readLine(WAIT), a.stderrTail());
            assertEquals("ok", b.ask("write " + REL + " 0 100 old zero", WAIT));
            assertEquals("ok", b.ask("write " + REL + " 1 100 old one", WAIT));
            assertEquals("ok", a.ask("begin", WAIT));
            assertEquals("ok", a.ask("write " + REL + " 1 100 new one", WAIT));
            assertEquals("ok", a.ask("write " + REL + " 0 100 new zero", WAIT));
            final long xid = xid(a);
            a.send("commit");
            assertEquals(Transaction.PANIC_EXIT_CODE, a.waitFor(WAIT), "halted right after inserting its commit");
            TestCluster.await("the postmaster to apply A's commit",
                () -> logContains("applied the commit of transaction " + xid));
            assertEquals("ok committed", b.ask("status " + xid, WAIT));
            assertEquals("ok new zero", b.ask("read " + REL + " 0 100 8", WAIT));
            assertEquals("ok new one", b.ask("read " + REL + " 1 100 7", WAIT));
            assertEquals("ok", b.ask("write " + REL + " 1 100 newer!!", WAIT), "A's content locks were released");
        }
        finally
        {
            a.close();
        }
        cluster.stop("immediate");
        cluster.start();
        assertTrue(logContains("redo done"), "the start after the crash replayed the WAL");
        try (LineProcess c = cluster.backend("C"))
        {
            assertEquals("ok new zero", c.ask("read " + REL + " 0 100 8", WAIT));
            assertEquals("ok newer!!", c.ask("read " + REL + " 1 100 7", WAIT));
        }
    }

    @Test
    void threeBackendsCommittingTogetherAreAllAcknowledgedAndAllThereAfterACrash() throws Exception
    {
        newCluster().initdb("shared_buffers=16").start();
        final int sessions = 3;
        final int each = 40;
        final List<LineProcess> backends = new ArrayList<>();
        try
        {
            for (int s = 0; s < sessions; s++)
            {
                backends.add(cluster.backend("S" + s));
            }
            // each transaction changes two of four shared blocks, in either order: the committers
            // lock them in block order, so none waits for another in a cycle
            for (int i = 0; i < each; i++)
            {
                for (int s = 0; s < sessions; s++)
                {
                    final LineProcess p = backends.get(s);
                    final int offset = 100 + s * 2000 + i * 16;
                    p.send("begin");
                    p.send("write " + REL + " " + (i + s) % 4 + " " + offset + " s" + s + "i" + i);
                    p.send("write " + REL + " " + (i + s + 3) % 4 + " " + offset + " s" + s + "i" + i);
                    p.send("commit");
                }
            }
            for (final LineProcess p : backends)
            {
                for (int i = 0; i < each; i++)
                {
                    assertEquals("ok", p.readLine(WAIT), p.stderrTail());
                    assertEquals("ok", p.readLine(WAIT));
                    assertEquals("ok", p.readLine(WAIT));
                    assertCommitted(p.readLine(WAIT));
                }
            }
        }
        finally
        {
            backends.forEach(LineProcess::close);
        }
        cluster.stop("immediate");
        cluster.start();
        try (LineProcess r = cluster.backend("reader"))
        {
            for (int s = 0; s < sessions; s++)
            {
                for (int i = 0; i < each; i++)
                {
                    final int offset = 100 + s * 2000 + i * 16;
                    final String value = "s" + s + "i" + i;
                    assertEquals("ok " + value, r.ask("read " + REL + " " + (i + s) % 4 + " " + offset + " "
                        + value.length(), WAIT));
                    assertEquals("ok " + value, r.ask("read " + REL + " " + (i + s + 3) % 4 + " " + offset + " "
                        + value.length(), WAIT));
                }
            }
        }
    }
}
