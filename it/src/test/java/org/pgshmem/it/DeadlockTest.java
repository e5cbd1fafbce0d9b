package org.pgshmem.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.pgshmem.cli.LineProcess;
import org.pgshmem.testing.TestCluster;

/**
 * Deadlocks, as PostgreSQL's isolation specs deadlock-simple and deadlock-hard set them up:
 * exactly one session of the cycle gets "deadlock detected" with the cycle in its detail; once
 * it lets go of its locks (as PostgreSQL's aborted transaction does), the others proceed.
 */
class DeadlockTest extends ClusterTestSupport
{
    private static final Duration WAIT = TestCluster.WAIT;

    private static String waitsLine(final LineProcess who, final String mode, final String on, final LineProcess by)
    {
        return "Process " + who.pid() + " waits for " + mode + " on " + on + "; blocked by process " + by.pid() + ".";
    }

    /** deadlock-simple: both hold AccessShareLock and both ask for AccessExclusiveLock. */
    @Test
    void twoSessionsUpgradingTheSameLockDeadlockAndTheSecondIsTheVictim() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess s1 = cluster.backend("s1"); LineProcess s2 = cluster.backend("s2"))
        {
            assertEquals("ok", s1.ask("lock relation:100 AccessShareLock", WAIT));
            assertEquals("ok", s2.ask("lock relation:100 AccessShareLock", WAIT));
            assertEquals("waiting", s1.ask("lock relation:100 AccessExclusiveLock", WAIT));
            // s2 waits for s1, which waits for s2's AccessShareLock: found before s2 ever sleeps
            assertEquals("error: deadlock detected DETAIL: "
                + waitsLine(s2, "AccessExclusiveLock", "relation 100 of database 0", s1) + " "
                + waitsLine(s1, "AccessExclusiveLock", "relation 100 of database 0", s2),
                s2.ask("lock relation:100 AccessExclusiveLock", WAIT));
            assertEquals("ok 1", s2.ask("unlockall", WAIT));
            assertEquals("ok", s1.readLine(WAIT));
        }
    }

    /** Two sessions each holding what the other wants: the first to reach deadlock_timeout is the victim. */
    @Test
    void aTwoProcessCycleIsFoundAfterDeadlockTimeoutWithOneVictim() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess s1 = cluster.backend("s1"); LineProcess s2 = cluster.backend("s2"))
        {
            assertEquals("ok", s1.ask("set deadlock_timeout 100s", WAIT));
            assertEquals("ok", s1.ask("lock relation:201 ExclusiveLock", WAIT));
            assertEquals("ok", s2.ask("lock relation:202 ExclusiveLock", WAIT));
            assertEquals("waiting", s1.ask("lock relation:202 ExclusiveLock", WAIT));
            assertEquals("waiting", s2.ask("lock relation:201 ExclusiveLock", WAIT));
            assertEquals("error: deadlock detected DETAIL: "
                + waitsLine(s2, "ExclusiveLock", "relation 201 of database 0", s1) + " "
                + waitsLine(s1, "ExclusiveLock", "relation 202 of database 0", s2), s2.readLine(WAIT),
                "s2 checks after the default deadlock_timeout of 1s; s1 would only after 100s");
            assertEquals("ok 1", s2.ask("unlockall", WAIT));
            assertEquals("ok", s1.readLine(WAIT));
        }
    }

    /**
     * deadlock-hard: eight sessions each hold a table and wait for the next one's; the last closes
     * the cycle and, with the short deadlock_timeout, is the one victim. When it lets go, the
     * chain unwinds: each session gets its lock once the next has let go.
     */
    @Test
    void anEightProcessCycleHasExactlyOneVictimAndTheOthersProceed() throws Exception
    {
        newCluster().initdb().start();
        final List<LineProcess> s = new ArrayList<>();
        try
        {
            for (int i = 1; i <= 8; i++)
            {
                s.add(cluster.backend("s" + i));
            }
            for (int i = 0; i < 8; i++)
            {
                assertEquals("ok", s.get(i).ask("set deadlock_timeout " + (i < 7 ? "100s" : "10ms"), WAIT));
                assertEquals("ok", s.get(i).ask("lock relation:" + (301 + i) + " AccessExclusiveLock", WAIT));
            }
            for (int i = 0; i < 7; i++)
            {
                assertEquals("waiting", s.get(i).ask("lock relation:" + (302 + i) + " AccessExclusiveLock", WAIT));
            }
            assertEquals("waiting", s.get(7).ask("lock relation:301 AccessExclusiveLock", WAIT));
            final String victim = s.get(7).readLine(WAIT);
            final StringBuilder cycle = new StringBuilder("error: deadlock detected DETAIL: ");
            cycle.append(waitsLine(s.get(7), "AccessExclusiveLock", "relation 301 of database 0", s.get(0)));
            for (int i = 0; i < 7; i++)
            {
                cycle.append(' ').append(waitsLine(s.get(i), "AccessExclusiveLock",
                    "relation " + (302 + i) + " of database 0", s.get(i + 1)));
            }
            assertEquals(cycle.toString(), victim);
            assertEquals("ok 1", s.get(7).ask("unlockall", WAIT));
            for (int i = 6; i >= 0; i--)
            {
                assertEquals("ok", s.get(i).readLine(WAIT), "s" + (i + 1) + " proceeds");
                assertEquals("ok 2", s.get(i).ask("unlockall", WAIT));
            }
            final String locks = cluster.cli("locks", "-D", dir()).stdout();
            assertTrue(locks.contains("(0 rows)"), locks);
        }
        finally
        {
            for (final LineProcess p : s)
            {
                p.close();
            }
        }
    }
}
