package org.pgshmem.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.pgshmem.backend.Backend;
import org.pgshmem.cli.LineProcess;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.proc.ProcSlotDescriptor;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.testing.TestCluster;

/**
 * Spinlocks and LWLocks record their owner's slot, so a holder killed with -9 does not wedge the
 * others: the postmaster's cleanup for that slot releases what it held and wakes the waiters.
 * A spinlock held too long by a live owner is reported by name and owner.
 */
class LightLockTest extends ClusterTestSupport
{
    private static final Duration WAIT = TestCluster.WAIT;

    private LineProcess child(final String name) throws Exception
    {
        final LineProcess p = LineProcess.startJvm(name, LightLockChild.class.getName(), List.of(dir()));
        final String ready = p.readLine(WAIT);
        assertTrue(ready.startsWith("ready "), name + " said: " + ready + "\n" + p.stderrTail());
        return p;
    }


    /** Whether the process in {@code slot} is registered as waiting for an LWLock (its wait record is set). */
    private boolean waitsForLWLock(final long pid)
    {
        try (Shmem shmem = Backend.inspect(cluster.dataDir()))
        {
            final ProcArray procs = ProcArray.of(shmem);
            final int slot = procs.slotOf(pid);
            return slot >= 0 && procs.buffer().getIntVolatile(
                ProcSlotDescriptor.slotOffset(slot) + ProcSlotDescriptor.LWLOCK_WAIT_OFFSET) != 0;
        }
    }

    private static void kill(final LineProcess p) throws InterruptedException
    {
        p.process().destroyForcibly();
        assertTrue(p.process().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the holder did not die");
    }

    @Test
    void aWaiterIsWokenWhenTheHolderReleases() throws Exception
    {
        newCluster().initdb("preload_modules=" + LockProbeModule.NAME).start();
        try (LineProcess holder = child("holder"); LineProcess waiter = child("waiter"))
        {
            assertEquals("acquired", holder.ask("lwlock X", WAIT));
            waiter.send("lwlock S");
            TestCluster.await("the waiter to queue on the LWLock", () -> waitsForLWLock(waiter.pid()));
            assertEquals("released", holder.ask("release X", WAIT));
            assertEquals("acquired", waiter.readLine(WAIT));
            assertEquals("acquired", holder.ask("lwlock S", WAIT), "shared holders share");
        }
    }

    @Test
    void anExclusiveHolderKilledWithSigkillIsReleasedAndItsWaiterGoesOn() throws Exception
    {
        newCluster().initdb("preload_modules=" + LockProbeModule.NAME).start();
        try (LineProcess holder = child("holder"); LineProcess waiter = child("waiter"))
        {
            assertEquals("acquired", holder.ask("lwlock X", WAIT));
            waiter.send("lwlock X");
            TestCluster.await("the waiter to queue on the LWLock", () -> waitsForLWLock(waiter.pid()));
            kill(holder);
            final long start = System.nanoTime();
            assertEquals("acquired", waiter.readLine(WAIT));
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms < 1_000, "the waiter got the LWLock " + ms + " ms after the holder died");
            System.out.println("LWLock waiter acquired " + ms + " ms after the holder was killed");
            TestCluster.await("the release to be logged",
                () -> logContains("released LWLock \"lock probe\" 0 (exclusive) held by terminated process " + holder.pid()));
        }
    }

    @Test
    void aSharedHolderKilledWithSigkillNoLongerBlocksAnExclusiveWaiter() throws Exception
    {
        newCluster().initdb("preload_modules=" + LockProbeModule.NAME).start();
        try (LineProcess shared1 = child("shared 1"); LineProcess shared2 = child("shared 2");
            LineProcess waiter = child("waiter"))
        {
            assertEquals("acquired", shared1.ask("lwlock S", WAIT));
            assertEquals("acquired", shared2.ask("lwlock S", WAIT));
            waiter.send("lwlock X");
            TestCluster.await("the waiter to queue on the LWLock", () -> waitsForLWLock(waiter.pid()));
            kill(shared1);
            TestCluster.await("the dead holder's share to be released",
                () -> logContains("released LWLock \"lock probe\" 0 (shared) held by terminated process " + shared1.pid()));
            // the live shared holder still holds it: exactly one share was released, not both
            assertEquals("released", shared2.ask("release S", WAIT));
            assertEquals("acquired", waiter.readLine(WAIT));
        }
    }

    @Test
    void aSpinlockHolderKilledWithSigkillIsReleasedByTheCleanupOfItsSlot() throws Exception
    {
        newCluster().initdb("preload_modules=" + LockProbeModule.NAME).start();
        try (LineProcess holder = child("holder"); LineProcess waiter = child("waiter"))
        {
            assertEquals("acquired", holder.ask("spin 60000", WAIT));
            waiter.send("spin 60000");
            kill(holder);
            final long start = System.nanoTime();
            assertEquals("acquired", waiter.readLine(WAIT));
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms < 1_000, "the waiter got the spinlock " + ms + " ms after the holder died");
            System.out.println("spinlock waiter acquired " + ms + " ms after the holder was killed");
            TestCluster.await("the release to be logged", () -> logContains(
                "released spinlock at \"lock probe spinlock\"+0 held by terminated process " + holder.pid()));
            assertEquals("released", waiter.ask("unspin", WAIT));
        }
    }

    @Test
    void aSpinlockHeldTooLongByALiveOwnerIsReportedStuckNamingItAndTheOwner() throws Exception
    {
        newCluster().initdb("preload_modules=" + LockProbeModule.NAME).start();
        try (LineProcess holder = child("holder"); LineProcess waiter = child("waiter"))
        {
            assertEquals("acquired", holder.ask("spin 60000", WAIT));
            assertEquals("error: stuck spinlock \"" + LockProbeModule.SPINLOCK_LABEL + "\" held by process "
                + holder.pid(), waiter.ask("spin 300", WAIT));
            assertEquals("released", holder.ask("unspin", WAIT));
            assertEquals("acquired", waiter.ask("spin 300", WAIT), "the lock is usable once released");
        }
    }
}
