package org.pgshmem.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgshmem.proc.ProcSlotDescriptor.HELD_LWLOCKS_OFFSET;
import static org.pgshmem.proc.ProcSlotDescriptor.HELD_SPINLOCK_OFFSET;
import static org.pgshmem.proc.ProcSlotDescriptor.MAX_HELD_LWLOCKS;
import static org.pgshmem.proc.ProcSlotDescriptor.slotOffset;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.AtomicBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.module.Modules;
import org.pgshmem.proc.MyProc;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.shmem.StructInit;
import org.pgshmem.util.PgException;
import org.pgshmem.util.Processes;

/**
 * LWLocks and slot-owned spinlocks in one JVM. Two handles on one segment, each with its own
 * MyProc and backend slot, stand for two processes A and B; a "dead" B is one whose slot the
 * postmaster's cleanup is run for while its records are still in place.
 */
class LWLockSingleProcessTest
{
    private static final String TRANCHE = "lwlock test";
    private static final String SPIN_LABEL = "spinlock test";
    private static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long PID = Processes.selfPid();

    /** One attached "process": its view of the segment, its modules, its slot and its locks. */
    private record Proc(Shmem shmem, Modules modules, int slot, LWLock lock0, LWLock lock1, int spinWord)
    {
        static Proc attach(final Shmem shmem)
        {
            final Modules modules = Modules.load(shmem.settings());
            modules.shmemInit(shmem);
            final int slot = modules.get(ProcArray.class).claimBackend();
            final LWLockTranche tranche = LWLockTranche.init(shmem, TRANCHE, 2);
            final int spinWord = (int)shmem.initStruct(SPIN_LABEL, Long.BYTES, StructInit.ZEROED).offset();
            return new Proc(shmem, modules, slot, tranche.get(0), tranche.get(1), spinWord);
        }

        MyProc me()
        {
            return shmem.processLocal(MyProc.class, MyProc::new);
        }

        AtomicBuffer segment()
        {
            return shmem.segment().buffer();
        }

        AtomicBuffer procs()
        {
            return modules.get(ProcArray.class).buffer();
        }

        /** The held-LWLock records of this process's slot, without the empty ones. */
        List<Integer> heldLWLocks()
        {
            final List<Integer> held = new ArrayList<>();
            for (int i = 0; i < MAX_HELD_LWLOCKS; i++)
            {
                final int entry = procs().getIntVolatile(slotOffset(slot) + HELD_LWLOCKS_OFFSET + i * Integer.BYTES);
                if (entry != 0)
                {
                    held.add(entry);
                }
            }
            return held;
        }

        long heldSpinlockField()
        {
            return procs().getLongVolatile(slotOffset(slot) + HELD_SPINLOCK_OFFSET);
        }
    }

    @TempDir
    Path dir;

    private Proc a;
    private Proc b;

    @BeforeEach
    void twoProcessesAttached()
    {
        final Settings settings = Settings.defaults().with("max_connections", "2").with("inbox_size", "4");
        final long size = Modules.load(settings).calculateShmemSize(settings) + LWLockTranche.shmemSize(2) + 4096;
        final Path file = dir.resolve("segment");
        a = Proc.attach(Shmem.open(ShmemSegment.create(file, size, 42), settings, dir));
        b = Proc.attach(Shmem.open(ShmemSegment.attach(file, 10_000), settings, dir));
    }

    @AfterEach
    void detach()
    {
        b.shmem().close();
        a.shmem().close();
    }

    /** The postmaster's cleanup of B's slot, run from A, as if B had died. */
    private void cleanUpAfterDeathOfB()
    {
        a.modules().get(LWLocks.class).cleanupProcess(b.slot(), PID);
    }

    private long stateOf(final LWLock lock)
    {
        return a.segment().getLongVolatile(lock.offset() + LWLockDescriptor.LOCK_STATE_OFFSET);
    }

    @Test
    void theTwoProcessesHaveSlotsAndShareTheLocks()
    {
        assertTrue(a.slot() >= 0 && b.slot() >= 0);
        assertFalse(a.slot() == b.slot());
        assertEquals(a.lock0().offset(), b.lock0().offset());
        assertEquals(TRANCHE + " 0", a.lock0().name());
    }

    @Test
    void exclusiveExcludesExclusiveAndShared()
    {
        a.lock0().acquire(LWLockMode.EXCLUSIVE);
        assertTrue(b.lock0().isHeld());
        assertEquals(a.slot(), LWLockDescriptor.exclusiveOwner(stateOf(a.lock0())));
        assertFalse(b.lock0().tryAcquire(LWLockMode.EXCLUSIVE));
        assertFalse(b.lock0().tryAcquire(LWLockMode.SHARED));
        assertFalse(a.lock0().tryAcquire(LWLockMode.EXCLUSIVE), "not re-entrant");
        assertTrue(b.lock1().tryAcquire(LWLockMode.EXCLUSIVE), "another lock of the tranche is free");

        a.lock0().release(LWLockMode.EXCLUSIVE);
        assertFalse(a.lock0().isHeld());
        assertTrue(b.lock0().tryAcquire(LWLockMode.EXCLUSIVE));
        b.lock0().release(LWLockMode.EXCLUSIVE);
        b.lock1().release(LWLockMode.EXCLUSIVE);
    }

    @Test
    void sharedAllowsSharedButNotExclusive()
    {
        a.lock0().acquire(LWLockMode.SHARED);
        assertTrue(b.lock0().tryAcquire(LWLockMode.SHARED));
        assertEquals(2, stateOf(a.lock0()) & LWLockDescriptor.SHARED_MASK);
        assertFalse(b.lock1().isHeld());
        assertFalse(a.lock0().tryAcquire(LWLockMode.EXCLUSIVE));

        a.lock0().release(LWLockMode.SHARED);
        assertFalse(a.lock0().tryAcquire(LWLockMode.EXCLUSIVE), "B still holds it shared");
        b.lock0().release(LWLockMode.SHARED);
        assertTrue(a.lock0().tryAcquire(LWLockMode.EXCLUSIVE));
        a.lock0().release(LWLockMode.EXCLUSIVE);
    }

    @Test
    void releaseByANonHolderThrowsAndLeavesTheHolderHoldingIt()
    {
        a.lock0().acquire(LWLockMode.EXCLUSIVE);
        final IllegalStateException ex = assertThrows(IllegalStateException.class,
            () -> b.lock0().release(LWLockMode.EXCLUSIVE));
        assertTrue(ex.getMessage().contains("\"" + TRANCHE + " 0\""), ex.getMessage());
        assertThrows(IllegalStateException.class, () -> b.lock0().release(LWLockMode.SHARED));
        assertFalse(b.lock0().tryAcquire(LWLockMode.SHARED), "A still holds it");
        a.lock0().release(LWLockMode.EXCLUSIVE);
    }

    @Test
    void releasingAFreeLockThrowsAndLeavesItFree()
    {
        assertThrows(IllegalStateException.class, () -> a.lock0().release(LWLockMode.SHARED));
        assertThrows(IllegalStateException.class, () -> a.lock0().release(LWLockMode.EXCLUSIVE));
        assertEquals(0, stateOf(a.lock0()));
        assertTrue(b.lock0().tryAcquire(LWLockMode.EXCLUSIVE));
        b.lock0().release(LWLockMode.EXCLUSIVE);
    }

    @Test
    void sharedReleaseByANonHolderLeavesTheOtherSharedHolderHoldingIt()
    {
        a.lock0().acquire(LWLockMode.SHARED);
        assertThrows(IllegalStateException.class, () -> b.lock0().release(LWLockMode.SHARED));
        assertEquals(1, stateOf(a.lock0()) & LWLockDescriptor.SHARED_MASK, "A's share is still counted");
        assertFalse(b.lock0().tryAcquire(LWLockMode.EXCLUSIVE), "A still holds it shared");
    }

    @Test
    void heldLWLocksAreRecordedInTheSlotAndClearedOnRelease()
    {
        assertEquals(List.of(), a.heldLWLocks());
        a.lock0().acquire(LWLockMode.EXCLUSIVE);
        a.lock1().acquire(LWLockMode.SHARED);
        assertEquals(List.of(a.lock0().offset() | 1, a.lock1().offset()), a.heldLWLocks());
        assertEquals(List.of(), b.heldLWLocks());

        assertFalse(b.lock0().tryAcquire(LWLockMode.SHARED));
        assertEquals(List.of(), b.heldLWLocks(), "a failed try leaves no record");

        a.lock0().release(LWLockMode.EXCLUSIVE);
        assertEquals(List.of(a.lock1().offset()), a.heldLWLocks());
        a.lock1().release(LWLockMode.SHARED);
        assertEquals(List.of(), a.heldLWLocks());
    }

    @Test
    void aProcessWithoutASlotCannotTakeAnLWLock()
    {
        a.modules().get(ProcArray.class).release(a.slot());
        final PgException ex = assertThrows(PgException.class, () -> a.lock0().tryAcquire(LWLockMode.SHARED));
        assertTrue(ex.getMessage().contains("without a proc-array slot"), ex.getMessage());
        assertFalse(a.lock0().isHeld());
    }

    @Test
    void cleanupReleasesTheExclusiveLockOfADeadHolder()
    {
        b.lock0().acquire(LWLockMode.EXCLUSIVE);
        assertFalse(a.lock0().tryAcquire(LWLockMode.SHARED));

        cleanUpAfterDeathOfB();

        assertFalse(a.lock0().isHeld());
        assertEquals(List.of(), b.heldLWLocks(), "the dead slot's records are cleared");
        assertTrue(a.lock0().tryAcquire(LWLockMode.EXCLUSIVE));
        a.lock0().release(LWLockMode.EXCLUSIVE);
    }

    @Test
    void cleanupReleasesOnlyTheDeadHoldersShare()
    {
        a.lock0().acquire(LWLockMode.SHARED);
        b.lock0().acquire(LWLockMode.SHARED);
        b.lock1().acquire(LWLockMode.SHARED);

        cleanUpAfterDeathOfB();

        assertEquals(1, stateOf(a.lock0()) & LWLockDescriptor.SHARED_MASK, "A's share stays");
        assertFalse(a.lock1().isHeld());
        assertEquals(List.of(), b.heldLWLocks());
        a.lock0().release(LWLockMode.SHARED);
        assertFalse(a.lock0().isHeld());
    }

    @Test
    void cleanupLeavesLocksTheDeadProcessDidNotHold()
    {
        a.lock0().acquire(LWLockMode.EXCLUSIVE);
        a.lock1().acquire(LWLockMode.SHARED);

        cleanUpAfterDeathOfB();

        assertEquals(a.slot(), LWLockDescriptor.exclusiveOwner(stateOf(a.lock0())));
        assertEquals(1, stateOf(a.lock1()) & LWLockDescriptor.SHARED_MASK);
        assertEquals(List.of(a.lock0().offset() | 1, a.lock1().offset()), a.heldLWLocks());
        a.lock0().release(LWLockMode.EXCLUSIVE);
        a.lock1().release(LWLockMode.SHARED);
    }

    @Test
    void cleanupOfADeadSharedRecordWithoutItsShareLeavesTheCountAlone()
    {
        // B recorded the hold and died before its compare-and-set: the count is A's alone
        a.lock0().acquire(LWLockMode.SHARED);
        b.me().rememberLWLock(b.lock0().offset());

        cleanUpAfterDeathOfB();

        assertEquals(1, stateOf(a.lock0()) & LWLockDescriptor.SHARED_MASK);
        assertEquals(List.of(), b.heldLWLocks());
        a.lock0().release(LWLockMode.SHARED);
    }

    @Test
    void spinlockHeldBySlotOwnerIsRecordedInTheSlotUntilReleased()
    {
        final AtomicBuffer segment = a.segment();
        SpinLock.acquire(segment, a.spinWord(), a.me(), STUCK_NANOS, SPIN_LABEL);
        assertEquals(a.me().ownerToken(), segment.getLongVolatile(a.spinWord()));
        assertEquals(MyProc.ownerToken(PID, a.slot()), a.me().ownerToken());
        assertEquals(a.spinWord() + 1, a.heldSpinlockField());
        assertFalse(SpinLock.tryAcquire(segment, a.spinWord(), b.me().ownerToken()));

        SpinLock.release(segment, a.spinWord(), a.me(), SPIN_LABEL);
        assertEquals(0, segment.getLongVolatile(a.spinWord()));
        assertEquals(0, a.heldSpinlockField());
    }

    @Test
    void spinlockReleaseByAnotherOwnerThrowsAndLeavesTheWord()
    {
        SpinLock.acquire(a.segment(), a.spinWord(), a.me(), STUCK_NANOS, SPIN_LABEL);
        final IllegalStateException ex = assertThrows(IllegalStateException.class,
            () -> SpinLock.release(b.segment(), b.spinWord(), b.me(), SPIN_LABEL));
        assertTrue(ex.getMessage().contains("\"" + SPIN_LABEL + "\""), ex.getMessage());
        assertEquals(a.me().ownerToken(), a.segment().getLongVolatile(a.spinWord()));
        SpinLock.release(a.segment(), a.spinWord(), a.me(), SPIN_LABEL);
    }

    @Test
    void releaseHeldByFreesTheSpinlockOfTheDeadSlotsOwner()
    {
        SpinLock.acquire(b.segment(), b.spinWord(), b.me(), STUCK_NANOS, SPIN_LABEL);

        assertEquals(b.spinWord(), SpinLock.releaseHeldBy(a.segment(), a.procs(), b.slot(), PID));

        assertEquals(0, a.segment().getLongVolatile(a.spinWord()));
        assertEquals(0, b.heldSpinlockField());
        assertTrue(SpinLock.tryAcquire(a.segment(), a.spinWord(), a.me().ownerToken()));
    }

    @Test
    void releaseHeldByLeavesASpinlockTheWordSaysAnotherOwnerHolds()
    {
        // B recorded the lock and died before its compare-and-set; A took it meanwhile
        SpinLock.acquire(a.segment(), a.spinWord(), a.me(), STUCK_NANOS, SPIN_LABEL);
        assertTrue(b.me().trackSpinlock(b.spinWord()));

        assertEquals(-1, SpinLock.releaseHeldBy(a.segment(), a.procs(), b.slot(), PID));

        assertEquals(a.me().ownerToken(), a.segment().getLongVolatile(a.spinWord()), "still A's");
        assertEquals(0, b.heldSpinlockField(), "the dead slot's record is cleared");
        assertEquals(a.spinWord() + 1, a.heldSpinlockField());
        SpinLock.release(a.segment(), a.spinWord(), a.me(), SPIN_LABEL);
    }

    @Test
    void releaseHeldByOfASlotWithNoRecordDoesNothing()
    {
        SpinLock.acquire(a.segment(), a.spinWord(), a.me(), STUCK_NANOS, SPIN_LABEL);
        assertEquals(-1, SpinLock.releaseHeldBy(a.segment(), a.procs(), b.slot(), PID));
        assertEquals(a.me().ownerToken(), a.segment().getLongVolatile(a.spinWord()));
        SpinLock.release(a.segment(), a.spinWord(), a.me(), SPIN_LABEL);
    }

    @Test
    void lwlockCleanupAlsoReleasesTheDeadSlotsSpinlock()
    {
        SpinLock.acquire(b.segment(), b.spinWord(), b.me(), STUCK_NANOS, SPIN_LABEL);
        cleanUpAfterDeathOfB();
        assertEquals(0, a.segment().getLongVolatile(a.spinWord()));
        assertEquals(0, b.heldSpinlockField());
    }
}
