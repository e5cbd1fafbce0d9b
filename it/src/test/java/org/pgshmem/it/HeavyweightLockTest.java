package org.pgshmem.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.pgshmem.cli.LineProcess;
import org.pgshmem.testing.CliResult;
import org.pgshmem.testing.TestCluster;

/**
 * The heavyweight lock manager as PostgreSQL's isolation tests exercise it: sessions are
 * {@code pgshmem backend} processes, steps are their {@code lock}/{@code unlock} lines, and a
 * step that blocks answers {@code waiting} before its outcome.
 */
class HeavyweightLockTest extends ClusterTestSupport
{
    private static final Duration WAIT = TestCluster.WAIT;

    /** PostgreSQL's "Conflicting Lock Modes" table as documented: row = requested, column = held, X = conflict. */
    private static final String[] MODES = {"AccessShareLock", "RowShareLock", "RowExclusiveLock",
        "ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"};
    private static final String[] CONFLICTS = {
        ".......X",
        "......XX",
        "....XXXX",
        "...XXXXX",
        "..XX.XXX",
        "..XXXXXX",
        ".XXXXXXX",
        "XXXXXXXX"};

    private static void assertWaiting(final LineProcess session, final String step) throws Exception
    {
        assertEquals("waiting", session.ask(step, WAIT), step);
    }

    @Test
    void everyPairOfModesConflictsExactlyAsInPostgres() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess holder = cluster.backend("holder"); LineProcess requester = cluster.backend("requester"))
        {
            for (int held = 0; held < 8; held++)
            {
                for (int requested = 0; requested < 8; requested++)
                {
                    final String tag = "relation:" + (16384 + held * 8 + requested);
                    assertEquals("ok", holder.ask("lock " + tag + " " + MODES[held], WAIT));
                    final String answer = requester.ask("lock " + tag + " " + MODES[requested] + " nowait", WAIT);
                    final boolean conflict = CONFLICTS[requested].charAt(held) == 'X';
                    assertEquals(conflict ? "error: could not obtain lock on relation " + tag.substring(9)
                        + " of database 0" : "ok", answer, MODES[requested] + " requested while " + MODES[held] + " is held");
                    assertEquals("ok " + (conflict ? 0 : 1), requester.ask("unlockall", WAIT));
                    assertEquals("ok 1", holder.ask("unlockall", WAIT));
                }
            }
        }
    }

    @Test
    void aLockTakenTwiceIsHeldUntilReleasedTwice() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess s1 = cluster.backend("s1"); LineProcess s2 = cluster.backend("s2"))
        {
            assertEquals("ok", s1.ask("lock advisory:7 ExclusiveLock", WAIT));
            assertEquals("ok", s1.ask("lock advisory:7 ExclusiveLock", WAIT), "re-entrant: no wait on oneself");
            assertEquals("ok", s1.ask("unlock advisory:7 ExclusiveLock", WAIT));
            assertEquals("error: could not obtain lock on advisory lock [0,0,7,1]",
                s2.ask("lock advisory:7 ExclusiveLock nowait", WAIT), "still held once");
            assertWaiting(s2, "lock advisory:7 ExclusiveLock");
            assertEquals("ok", s1.ask("unlock advisory:7 ExclusiveLock", WAIT));
            assertEquals("ok", s2.readLine(WAIT), "granted at the second release");
            assertEquals("error: you don't own a lock of type ExclusiveLock",
                s1.ask("unlock advisory:7 ExclusiveLock", WAIT));
        }
    }

    @Test
    void aRequestThatConflictsWithAnEarlierWaiterQueuesBehindIt() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess s1 = cluster.backend("s1"); LineProcess s2 = cluster.backend("s2");
            LineProcess s3 = cluster.backend("s3"))
        {
            assertEquals("ok", s1.ask("lock relation:1 ShareLock", WAIT));
            assertWaiting(s2, "lock relation:1 ExclusiveLock");
            // ShareLock is compatible with the holder's ShareLock, but not with s2's queued ExclusiveLock
            assertWaiting(s3, "lock relation:1 ShareLock");
            assertEquals("ok", s1.ask("unlock relation:1 ShareLock", WAIT));
            assertEquals("ok", s2.readLine(WAIT), "the first waiter goes first");
            assertEquals("ok 1", s2.ask("unlockall", WAIT));
            assertEquals("ok", s3.readLine(WAIT), "then the one queued behind it");
        }
    }

    @Test
    void aHolderUpgradesItsLockAndGoesAheadOfAWaiterThatWaitsForIt() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess s1 = cluster.backend("s1"); LineProcess s2 = cluster.backend("s2");
            LineProcess s3 = cluster.backend("s3"))
        {
            // alone: an upgrade is granted at once, its own ShareLock does not block it
            assertEquals("ok", s1.ask("lock relation:2 ShareLock", WAIT));
            assertEquals("ok", s1.ask("lock relation:2 ExclusiveLock", WAIT));
            assertEquals("ok 2", s1.ask("unlockall", WAIT));

            // with a waiter that waits for s1's ShareLock: s1's upgrade goes ahead of it, as ProcSleep does
            assertEquals("ok", s1.ask("lock relation:3 ShareLock", WAIT));
            assertWaiting(s2, "lock relation:3 ExclusiveLock");
            assertEquals("ok", s1.ask("lock relation:3 ShareRowExclusiveLock", WAIT));
            assertEquals("ok 2", s1.ask("unlockall", WAIT));
            assertEquals("ok", s2.readLine(WAIT));

            // with another holder: the upgrade waits for it
            assertEquals("ok", s3.ask("lock relation:4 ShareLock", WAIT));
            assertEquals("ok", s1.ask("lock relation:4 ShareLock", WAIT));
            assertWaiting(s1, "lock relation:4 ExclusiveLock");
            assertEquals("ok", s3.ask("unlock relation:4 ShareLock", WAIT));
            assertEquals("ok", s1.readLine(WAIT));
        }
    }

    @Test
    void nowaitFailsAtOnceAndLockTimeoutGivesUpAndLeavesTheQueue() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess s1 = cluster.backend("s1"); LineProcess s2 = cluster.backend("s2");
            LineProcess s3 = cluster.backend("s3"))
        {
            assertEquals("ok", s1.ask("lock relation:5 AccessExclusiveLock", WAIT));
            assertEquals("error: could not obtain lock on relation 5 of database 0",
                s2.ask("lock relation:5 AccessShareLock nowait", WAIT));
            assertEquals("ok", s2.ask("set lock_timeout 200ms", WAIT));
            final long start = System.nanoTime();
            assertWaiting(s2, "lock relation:5 AccessShareLock");
            assertEquals("error: canceling statement due to lock timeout", s2.readLine(WAIT));
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) >= 200, "waited its lock_timeout");
            // the timed-out request left the queue: a later compatible request is not stuck behind it
            assertWaiting(s3, "lock relation:5 AccessShareLock");
            assertEquals("ok", s1.ask("unlockall", WAIT).substring(0, 2));
            assertEquals("ok", s3.readLine(WAIT));
            assertEquals("ok", s2.ask("lock relation:5 AccessShareLock nowait", WAIT), "s2 holds nothing stale");
        }
    }

    @Test
    void aHolderKilledWithSigkillReleasesEverythingAndItsWaitersAreGrantedWithinOneSecond() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess holder = cluster.backend("holder"); LineProcess w1 = cluster.backend("waiter 1");
            LineProcess w2 = cluster.backend("waiter 2"))
        {
            assertEquals("ok", holder.ask("lock relation:6 AccessExclusiveLock", WAIT));
            assertEquals("ok", holder.ask("lock advisory:6 ExclusiveLock", WAIT));
            assertWaiting(w1, "lock relation:6 AccessShareLock");
            assertWaiting(w2, "lock relation:6 RowExclusiveLock");
            holder.process().destroyForcibly();
            assertTrue(holder.process().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
            final long start = System.nanoTime();
            assertEquals("ok", w1.readLine(WAIT));
            assertEquals("ok", w2.readLine(WAIT));
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms < 1_000, "waiters granted " + ms + " ms after the holder died");
            System.out.println("heavyweight waiters granted " + ms + " ms after the holder was reaped by kill -9");
            assertEquals("ok", w1.ask("lock advisory:6 ExclusiveLock nowait", WAIT), "its advisory lock went too");
            TestCluster.await("the release to be logged", () -> logContains(
                "released 2 heavyweight lock(s) held by terminated process " + holder.pid()));
        }
    }

    @Test
    void pgLocksShowsHoldersAndWaitersWithTheirPids() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess s1 = cluster.backend("s1"); LineProcess s2 = cluster.backend("s2"))
        {
            assertEquals("ok", s1.ask("lock tuple:16384:7:3 RowShareLock", WAIT));
            assertEquals("ok", s1.ask("lock advisory:1:2 ExclusiveLock", WAIT));
            assertWaiting(s2, "lock advisory:1:2 ShareLock");
            final CliResult json = cluster.cli("locks", "-D", dir(), "--json");
            assertEquals(0, json.exitCode(), json.stderr());
            assertTrue(json.stdout().contains("{\"locktype\":\"tuple\",\"tag\":\"tuple:16384:7:3\",\"pid\":" + s1.pid()
                + ",\"mode\":\"RowShareLock\",\"granted\":true,\"waitstart\":null}"), json.stdout());
            assertTrue(json.stdout().contains("{\"locktype\":\"advisory\",\"tag\":\"advisory:1:2\",\"pid\":" + s1.pid()
                + ",\"mode\":\"ExclusiveLock\",\"granted\":true,\"waitstart\":null}"), json.stdout());
            assertTrue(json.stdout().contains("\"tag\":\"advisory:1:2\",\"pid\":" + s2.pid()
                + ",\"mode\":\"ShareLock\",\"granted\":false,\"waitstart\":\""), json.stdout());
            final CliResult table = cluster.cli("locks", "-D", dir());
            assertTrue(table.stdout().contains("(3 rows)"), table.stdout());
            assertEquals("ok 2", s1.ask("unlockall", WAIT));
            assertEquals("ok", s2.readLine(WAIT));
        }
    }

    @Test
    void aBackendThatDetachesReleasesItsLocks() throws Exception
    {
        newCluster().initdb().start();
        try (LineProcess s1 = cluster.backend("s1"); LineProcess s2 = cluster.backend("s2"))
        {
            assertEquals("ok", s1.ask("lock advisory:99 ExclusiveLock", WAIT));
            assertWaiting(s2, "lock advisory:99 ExclusiveLock");
            assertEquals("ok", s1.ask("quit", WAIT));
            assertEquals("ok", s2.readLine(WAIT));
        }
    }
}
