package org.pgshmem.lock;

import static org.pgshmem.lock.LockTableDescriptor.*;
import static org.pgshmem.proc.ProcSlotDescriptor.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.pgshmem.module.ShmemModule;
import org.pgshmem.proc.MyProc;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSize;
import org.pgshmem.shmem.ShmemStruct;
import org.pgshmem.shmem.StructInit;
import org.pgshmem.util.Elog;
import org.pgshmem.util.PgException;

/**
 * The heavyweight lock manager (PostgreSQL's lock.c and proc.c's ProcSleep/ProcLockWakeup): locks
 * on {@link LockTag}s in eight {@link LockMode}s, held by processes until released (session
 * locks: there are no transactions yet). A request takes the tag's partition LWLock, finds or
 * creates the tag's entry in the shared {@link LockTable} and is granted when it conflicts
 * neither with other holders nor with an earlier waiter; otherwise it queues and sleeps until a
 * releaser grants it, running the deadlock check once after {@code deadlock_timeout} and giving
 * up after {@code lock_timeout}. Taking a lock this process already holds only counts it.
 *
 * <p>Locks belong to the process, as in PostgreSQL to the session: one thread at a time may use
 * this object (it is not thread-safe). The postmaster's {@link #cleanupProcess} releases a dead
 * process's locks and takes it off every queue, waking whoever can now go ahead.
 */
public final class LockManager implements ShmemModule
{
    /** The label of the lock table structure. */
    public static final String LABEL = "Lock Table";
    /** The tranche of the partition LWLocks (PostgreSQL's LockManager tranche). */
    public static final String TRANCHE = "LockManager";

    /** What a request came to (PostgreSQL's LockAcquireResult). */
    public enum AcquireResult
    {
        /** Not available and the caller asked not to wait. */
        NOT_AVAIL,
        /** Granted now. */
        OK,
        /** This process already held it: only its count went up. */
        ALREADY_HELD
    }

    private final LocalLockTable locals = new LocalLockTable();
    private final IdleStrategy idle = new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1),
        TimeUnit.MILLISECONDS.toNanos(1));
    private Shmem shmem;
    private LockTable table;
    private LWLockTranche partitions;
    private MyProc me;
    private AtomicBuffer procs;
    private int slots;
    private int[] waiterSlots;
    private long[] waiterTickets;
    private long deadlockTimeoutNanos;
    private long lockTimeoutNanos;
    private BooleanSupplier terminate = () -> false;

    @Override
    public String name()
    {
        return "lock";
    }

    private static int capacity(final Settings settings)
    {
        final long entries = ShmemSize.mulSize(settings.getInt("max_locks_per_transaction"), ProcArray.slotCount(settings));
        return partitionCapacity(entries);
    }

    private static long tableSize(final Settings settings)
    {
        return ShmemSize.mulSize(PARTITIONS,
            partitionLength(capacity(settings), entryStride(ProcArray.slotCount(settings))));
    }

    @Override
    public long shmemSize(final Settings settings)
    {
        return ShmemSize.addSize(ShmemSize.alignUp(LWLockTranche.shmemSize(PARTITIONS)),
            ShmemSize.alignUp(tableSize(settings)));
    }

    @Override
    public void shmemInit(final Shmem shmem)
    {
        final Settings settings = shmem.settings();
        this.shmem = shmem;
        this.slots = ProcArray.slotCount(settings);
        this.partitions = LWLockTranche.init(shmem, TRANCHE, PARTITIONS);
        final ShmemStruct struct = shmem.initStruct(LABEL, tableSize(settings), StructInit.ZEROED);
        this.table = new LockTable(struct.buffer(), slots, capacity(settings));
        this.me = shmem.processLocal(MyProc.class, MyProc::new);
        this.procs = shmem.findStruct(ProcArray.LABEL).buffer();
        this.waiterSlots = new int[slots];
        this.waiterTickets = new long[slots];
        this.deadlockTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(settings.getMillis("deadlock_timeout"));
        this.lockTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(settings.getMillis("lock_timeout"));
    }

    /** This process's {@code lock_timeout} (PostgreSQL's SET lock_timeout); 0 waits forever. */
    public void lockTimeout(final long millis)
    {
        lockTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /** This process's {@code deadlock_timeout}. */
    public void deadlockTimeout(final long millis)
    {
        deadlockTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, millis));
    }

    /** A wait gives up, with an error, once {@code check} turns true (the backend's dead-postmaster check). */
    public void terminateWaitsWhen(final BooleanSupplier check)
    {
        this.terminate = check;
    }

    /** Takes {@code mode} on {@code tag}, waiting as long as it must (LockAcquire). */
    public AcquireResult lock(final LockTag tag, final LockMode mode)
    {
        return lock(tag, mode, false, null);
    }

    /** Takes {@code mode} on {@code tag} only if that needs no wait. */
    public boolean tryLock(final LockTag tag, final LockMode mode)
    {
        return lock(tag, mode, true, null) != AcquireResult.NOT_AVAIL;
    }

    /**
     * Takes {@code mode} on {@code tag} (LockAcquireExtended).
     *
     * @param dontWait return {@link AcquireResult#NOT_AVAIL} rather than wait
     * @param onWait run once, before sleeping, when the request has to wait (may be null)
     * @throws PgException "deadlock detected", "canceling statement due to lock timeout",
     *     "out of shared memory"
     */
    public AcquireResult lock(final LockTag tag, final LockMode mode, final boolean dontWait, final Runnable onWait)
    {
        final long high = tag.high();
        final long low = tag.low();
        final int local = locals.find(high, low, mode.number());
        if (local >= 0)
        {
            locals.count(local, locals.count(local) + 1);
            return AcquireResult.ALREADY_HELD;
        }
        if (me.slot() < 0)
        {
            me.requireSlot("a heavyweight lock");
        }
        final int slot = me.slot();
        final int partition = LockTable.partition(high, low);
        final LWLock partitionLock = partitions.get(partition);
        boolean queued = false;
        partitionLock.acquire(LWLockMode.EXCLUSIVE);
        try
        {
            final int e = table.findOrCreate(partition, high, low);
            if (e < 0)
            {
                throw new PgException("out of shared memory", "The lock table has no room for " + tag.describe() + ".",
                    "You might need to increase \"max_locks_per_transaction\".");
            }
            final int held = table.holdMask(e, slot);
            if ((held & mode.bit()) == 0)
            {
                if ((mode.conflictMask() & table.waitMask(e)) == 0 && !table.conflictsWithHolders(e, mode, held))
                {
                    table.grant(e, mode, slot);
                }
                else if (dontWait)
                {
                    if (table.isUnused(e))
                    {
                        table.remove(partition, e);
                    }
                    return AcquireResult.NOT_AVAIL;
                }
                else
                {
                    queued = !queueOrGrant(e, tag, mode, held);
                }
            }
        }
        finally
        {
            partitionLock.release(LWLockMode.EXCLUSIVE);
        }
        if (queued)
        {
            if (onWait != null)
            {
                onWait.run();
            }
            waitForLock(tag, mode, partition);
        }
        locals.add(high, low, mode.number());
        return AcquireResult.OK;
    }

    /**
     * Releases one hold of {@code mode} on {@code tag} (LockRelease); the last one releases it in
     * the lock table and grants waiters that can now go. False, with PostgreSQL's warning, when
     * this process does not hold it.
     */
    public boolean unlock(final LockTag tag, final LockMode mode)
    {
        final int local = locals.find(tag.high(), tag.low(), mode.number());
        if (local < 0)
        {
            Elog.warning("you don't own a lock of type " + mode.pgName());
            return false;
        }
        final long count = locals.count(local) - 1;
        if (count > 0)
        {
            locals.count(local, count);
            return true;
        }
        locals.remove(local);
        releaseShared(tag.high(), tag.low(), mode);
        return true;
    }

    /** Releases every lock this process holds (LockReleaseAll); returns how many (tag, mode) pairs. */
    public int unlockAll()
    {
        int released = 0;
        for (int i = locals.any(); i >= 0; i = locals.any())
        {
            final long high = locals.high(i);
            final long low = locals.low(i);
            final LockMode mode = LockMode.ofNumber(locals.mode(i));
            locals.remove(i);
            releaseShared(high, low, mode);
            released++;
        }
        return released;
    }

    /** How many times this process holds {@code mode} on {@code tag}. */
    public long holdCount(final LockTag tag, final LockMode mode)
    {
        final int local = locals.find(tag.high(), tag.low(), mode.number());
        return local < 0 ? 0 : locals.count(local);
    }

    /** pg_advisory_lock(key): ExclusiveLock on the key, waiting. */
    public void advisoryLock(final long key)
    {
        lock(LockTag.advisory(key), LockMode.EXCLUSIVE);
    }

    /** pg_advisory_lock_shared(key): ShareLock on the key, waiting. */
    public void advisoryLockShared(final long key)
    {
        lock(LockTag.advisory(key), LockMode.SHARE);
    }

    /** pg_try_advisory_lock(key): ExclusiveLock if free now. */
    public boolean tryAdvisoryLock(final long key)
    {
        return tryLock(LockTag.advisory(key), LockMode.EXCLUSIVE);
    }

    /** pg_advisory_unlock(key): false, with a warning, if not held. */
    public boolean advisoryUnlock(final long key)
    {
        return unlock(LockTag.advisory(key), LockMode.EXCLUSIVE);
    }

    /** pg_advisory_unlock_shared(key). */
    public boolean advisoryUnlockShared(final long key)
    {
        return unlock(LockTag.advisory(key), LockMode.SHARE);
    }

    /** pg_advisory_unlock_all(): releases every advisory lock this process holds, however often taken. */
    public int advisoryUnlockAll()
    {
        int released = 0;
        int i = locals.next(0);
        while (i >= 0)
        {
            final long high = locals.high(i);
            if (LockTagType.ofCode((int)(high & 0xFF)) != LockTagType.ADVISORY)
            {
                i = locals.next(i + 1);
                continue;
            }
            final long low = locals.low(i);
            final LockMode mode = LockMode.ofNumber(locals.mode(i));
            // removal may shift a later entry into this index: look at it again
            locals.remove(i);
            releaseShared(high, low, mode);
            released++;
            i = locals.next(i);
        }
        return released;
    }

    private void releaseShared(final long high, final long low, final LockMode mode)
    {
        final int partition = LockTable.partition(high, low);
        final LWLock partitionLock = partitions.get(partition);
        partitionLock.acquire(LWLockMode.EXCLUSIVE);
        try
        {
            final int e = table.find(partition, high, low);
            if (e < 0 || (table.holdMask(e, me.slot()) & mode.bit()) == 0)
            {
                // our local count said we held it: only a cleanup that took us for dead can explain this
                Elog.warning("lock " + mode.pgName() + " on " + LockTag.ofStored(high, low).describe()
                    + " was no longer held in the lock table");
                return;
            }
            table.ungrant(e, mode, me.slot());
            if (table.waiting(e) > 0)
            {
                wakeup(e, high, low);
            }
            if (table.isUnused(e))
            {
                table.remove(partition, e);
            }
        }
        finally
        {
            partitionLock.release(LWLockMode.EXCLUSIVE);
        }
    }

    /**
     * ProcSleep's prologue, under the partition lock: a requester that already holds a mode on the
     * lock goes ahead of the first waiter that waits for something it holds (else they would
     * deadlock), and is granted at once if nothing else stands in its way; everyone else queues
     * at the tail. Returns true when granted, false when queued.
     */
    private boolean queueOrGrant(final int e, final LockTag tag, final LockMode mode, final int held)
    {
        final int n = collectWaiters(tag.high(), tag.low());
        long ticket = 0;
        if (held != 0)
        {
            int ahead = 0;
            for (int i = 0; i < n && ticket == 0; i++)
            {
                final int w = waiterSlots[i];
                final LockMode wanted = waitMode(w);
                if ((wanted.conflictMask() & held) != 0)
                {
                    if ((mode.conflictMask() & table.holdMask(e, w)) != 0)
                    {
                        throw deadlockDetected(List.of(me.slot(), w), List.of(tag, tag), List.of(mode, wanted));
                    }
                    if ((mode.conflictMask() & ahead) == 0 && !table.conflictsWithHolders(e, mode, held))
                    {
                        table.grant(e, mode, me.slot());
                        return true;
                    }
                    final long previous = i == 0 ? waiterTickets[0] - TICKET_STEP : waiterTickets[i - 1];
                    ticket = previous + (waiterTickets[i] - previous) / 2;
                }
                ahead |= wanted.bit();
            }
        }
        if (ticket == 0)
        {
            ticket = table.nextTailTicket(e);
        }
        final int base = slotOffset(me.slot());
        procs.putLong(base + LOCK_WAIT_TAG_HIGH_OFFSET, tag.high());
        procs.putLong(base + LOCK_WAIT_TAG_LOW_OFFSET, tag.low());
        procs.putInt(base + LOCK_WAIT_MODE_OFFSET, mode.number());
        procs.putLong(base + LOCK_WAIT_TICKET_OFFSET, ticket);
        procs.putLong(base + LOCK_WAIT_START_OFFSET, System.currentTimeMillis());
        procs.putIntVolatile(base + LOCK_WAIT_STATUS_OFFSET, LOCK_WAIT_WAITING);
        table.waiters(e, table.waitMask(e) | mode.bit(), table.waiting(e) + 1);
        return false;
    }

    /** Sleeps until a releaser grants our request; deadlock check, lock_timeout and termination on the way. */
    private void waitForLock(final LockTag tag, final LockMode mode, final int partition)
    {
        final int base = slotOffset(me.slot());
        final long start = System.nanoTime();
        boolean deadlockChecked = false;
        idle.reset();
        while (true)
        {
            if (procs.getIntVolatile(base + LOCK_WAIT_STATUS_OFFSET) == LOCK_WAIT_GRANTED)
            {
                clearWait(me.slot());
                return;
            }
            final long waited = System.nanoTime() - start;
            if (!deadlockChecked && waited >= deadlockTimeoutNanos)
            {
                deadlockChecked = true;
                checkDeadlock(tag);
                idle.reset();
                continue;
            }
            if (lockTimeoutNanos > 0 && waited >= lockTimeoutNanos)
            {
                if (cancelWait(partition, tag))
                {
                    return;
                }
                throw new PgException("canceling statement due to lock timeout");
            }
            if (terminate.getAsBoolean())
            {
                if (cancelWait(partition, tag))
                {
                    return;
                }
                throw new PgException("terminating connection due to unexpected postmaster exit");
            }
            idle.idle();
        }
    }

    /** Leaves the wait queue; true if the lock was granted meanwhile (then it is ours). */
    private boolean cancelWait(final int partition, final LockTag tag)
    {
        final LWLock partitionLock = partitions.get(partition);
        partitionLock.acquire(LWLockMode.EXCLUSIVE);
        try
        {
            if (procs.getIntVolatile(slotOffset(me.slot()) + LOCK_WAIT_STATUS_OFFSET) == LOCK_WAIT_GRANTED)
            {
                clearWait(me.slot());
                return true;
            }
            removeFromWaitQueue(partition, tag.high(), tag.low(), me.slot());
            return false;
        }
        finally
        {
            partitionLock.release(LWLockMode.EXCLUSIVE);
        }
    }

    /** Under the partition lock: takes {@code slot} off the queue of the lock and lets others go ahead. */
    private void removeFromWaitQueue(final int partition, final long high, final long low, final int slot)
    {
        clearWait(slot);
        final int e = table.find(partition, high, low);
        if (e >= 0)
        {
            wakeup(e, high, low);
            if (table.isUnused(e))
            {
                table.remove(partition, e);
            }
        }
    }

    private void clearWait(final int slot)
    {
        final int base = slotOffset(slot);
        procs.putIntVolatile(base + LOCK_WAIT_STATUS_OFFSET, LOCK_WAIT_NONE);
        procs.putLong(base + LOCK_WAIT_TAG_HIGH_OFFSET, 0);
        procs.putLong(base + LOCK_WAIT_TAG_LOW_OFFSET, 0);
        procs.putInt(base + LOCK_WAIT_MODE_OFFSET, 0);
        procs.putLong(base + LOCK_WAIT_TICKET_OFFSET, 0);
        procs.putLong(base + LOCK_WAIT_START_OFFSET, 0);
    }

    private LockMode waitMode(final int slot)
    {
        return LockMode.ofNumber(procs.getInt(slotOffset(slot) + LOCK_WAIT_MODE_OFFSET));
    }

    /** Fills waiterSlots/waiterTickets with the slots waiting for the tag, in queue order; returns how many. */
    private int collectWaiters(final long high, final long low)
    {
        int n = 0;
        for (int slot = 0; slot < slots; slot++)
        {
            final int base = slotOffset(slot);
            if (procs.getIntVolatile(base + LOCK_WAIT_STATUS_OFFSET) == LOCK_WAIT_WAITING
                && procs.getLong(base + LOCK_WAIT_TAG_HIGH_OFFSET) == high
                && procs.getLong(base + LOCK_WAIT_TAG_LOW_OFFSET) == low)
            {
                final long ticket = procs.getLong(base + LOCK_WAIT_TICKET_OFFSET);
                int i = n++;
                while (i > 0 && (waiterTickets[i - 1] > ticket || waiterTickets[i - 1] == ticket && waiterSlots[i - 1] > slot))
                {
                    waiterSlots[i] = waiterSlots[i - 1];
                    waiterTickets[i] = waiterTickets[i - 1];
                    i--;
                }
                waiterSlots[i] = slot;
                waiterTickets[i] = ticket;
            }
        }
        return n;
    }

    /**
     * ProcLockWakeup, under the partition lock: grants, in queue order, every waiter whose request
     * conflicts neither with the holders nor with a waiter ahead of it, and sets the entry's wait
     * mask and count from those left waiting.
     */
    private void wakeup(final int e, final long high, final long low)
    {
        final int n = collectWaiters(high, low);
        int ahead = 0;
        int waiting = 0;
        for (int i = 0; i < n; i++)
        {
            final int w = waiterSlots[i];
            final LockMode wanted = waitMode(w);
            if ((wanted.conflictMask() & ahead) == 0 && !table.conflictsWithHolders(e, wanted, table.holdMask(e, w)))
            {
                table.grant(e, wanted, w);
                procs.putIntVolatile(slotOffset(w) + LOCK_WAIT_STATUS_OFFSET, LOCK_WAIT_GRANTED);
            }
            else
            {
                ahead |= wanted.bit();
                waiting++;
            }
        }
        table.waiters(e, ahead, waiting);
    }

    /**
     * CheckDeadLock: with every partition locked, looks for a cycle of waits through this process;
     * if there is one, this process is the victim: it leaves the queue and gets the error.
     */
    private void checkDeadlock(final LockTag tag)
    {
        for (int p = 0; p < PARTITIONS; p++)
        {
            partitions.get(p).acquire(LWLockMode.EXCLUSIVE);
        }
        try
        {
            final int self = me.slot();
            if (procs.getIntVolatile(slotOffset(self) + LOCK_WAIT_STATUS_OFFSET) != LOCK_WAIT_WAITING)
            {
                return;
            }
            final int[] cycle = new DeadLockDetector(slots, this::blockers).findCycle(self);
            if (cycle == null)
            {
                return;
            }
            final List<Integer> who = new ArrayList<>();
            final List<LockTag> what = new ArrayList<>();
            final List<LockMode> how = new ArrayList<>();
            for (final int slot : cycle)
            {
                final int base = slotOffset(slot);
                who.add(slot);
                what.add(LockTag.ofStored(procs.getLong(base + LOCK_WAIT_TAG_HIGH_OFFSET),
                    procs.getLong(base + LOCK_WAIT_TAG_LOW_OFFSET)));
                how.add(waitMode(slot));
            }
            final PgException error = deadlockDetected(who, what, how);
            removeFromWaitQueue(LockTable.partition(tag.high(), tag.low()), tag.high(), tag.low(), self);
            throw error;
        }
        finally
        {
            for (int p = PARTITIONS - 1; p >= 0; p--)
            {
                partitions.get(p).release(LWLockMode.EXCLUSIVE);
            }
        }
    }

    /**
     * The processes {@code slot} waits for: holders of a conflicting mode (hard edges) and waiters
     * ahead of it in the queue that want a conflicting mode (soft edges, which PostgreSQL may undo
     * by reordering the queue; here they count as waits). Empty when {@code slot} does not wait.
     */
    private int[] blockers(final int slot)
    {
        final int base = slotOffset(slot);
        if (procs.getIntVolatile(base + LOCK_WAIT_STATUS_OFFSET) != LOCK_WAIT_WAITING)
        {
            return new int[0];
        }
        final long high = procs.getLong(base + LOCK_WAIT_TAG_HIGH_OFFSET);
        final long low = procs.getLong(base + LOCK_WAIT_TAG_LOW_OFFSET);
        final LockMode mode = waitMode(slot);
        final long ticket = procs.getLong(base + LOCK_WAIT_TICKET_OFFSET);
        final int e = table.find(LockTable.partition(high, low), high, low);
        if (e < 0 || mode == null)
        {
            return new int[0];
        }
        final int[] out = new int[slots];
        int n = 0;
        for (int other = 0; other < slots; other++)
        {
            if (other != slot && (table.holdMask(e, other) & mode.conflictMask()) != 0)
            {
                out[n++] = other;
            }
        }
        final int waiters = collectWaiters(high, low);
        for (int i = 0; i < waiters; i++)
        {
            final int w = waiterSlots[i];
            if (w != slot && waiterTickets[i] < ticket && (mode.conflictMask() & waitMode(w).bit()) != 0)
            {
                out[n++] = w;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** PostgreSQL's deadlock report: one line per process of the cycle, each blocked by the next. */
    private PgException deadlockDetected(final List<Integer> slotsInCycle, final List<LockTag> tags,
        final List<LockMode> modes)
    {
        final StringBuilder detail = new StringBuilder();
        for (int i = 0; i < slotsInCycle.size(); i++)
        {
            final int next = slotsInCycle.get((i + 1) % slotsInCycle.size());
            if (i > 0)
            {
                detail.append('\n');
            }
            detail.append("Process ").append(pidOf(slotsInCycle.get(i))).append(" waits for ")
                .append(modes.get(i).pgName()).append(" on ").append(tags.get(i).describe())
                .append("; blocked by process ").append(pidOf(next)).append('.');
        }
        // PostgreSQL's hint points at the server log's query texts; there are no queries here
        return new PgException("deadlock detected", detail.toString(), null);
    }

    private long pidOf(final int slot)
    {
        return procs.getLongVolatile(slotOffset(slot) + PID_OFFSET);
    }

    /**
     * In the postmaster, for a process that died in {@code slot}: clears every mode it held and its
     * wait, recomputes each entry's counts from what is left (it may have died changing them), grants
     * whoever can now go, and drops entries no one uses. A partition lock the dead process held is
     * taken over, not released, so that no one sees the partition before it is repaired.
     */
    @Override
    public void cleanupProcess(final int slot, final long pid)
    {
        final int base = slotOffset(slot);
        final int status = procs.getIntVolatile(base + LOCK_WAIT_STATUS_OFFSET);
        final long waitHigh = procs.getLong(base + LOCK_WAIT_TAG_HIGH_OFFSET);
        final long waitLow = procs.getLong(base + LOCK_WAIT_TAG_LOW_OFFSET);
        int released = 0;
        for (int p = 0; p < PARTITIONS; p++)
        {
            final LWLock partitionLock = partitions.get(p);
            if (!partitionLock.adoptExclusive(slot))
            {
                partitionLock.acquire(LWLockMode.EXCLUSIVE);
            }
            try
            {
                if (status != LOCK_WAIT_NONE && waitHigh != 0 && LockTable.partition(waitHigh, waitLow) == p)
                {
                    clearWait(slot);
                }
                released += repairPartition(p, slot);
            }
            finally
            {
                partitionLock.release(LWLockMode.EXCLUSIVE);
            }
        }
        if (released > 0)
        {
            Elog.log("released " + released + " heavyweight lock(s) held by terminated process " + pid);
        }
    }

    private int repairPartition(final int partition, final int deadSlot)
    {
        int released = 0;
        int index = 0;
        while (index < table.capacity())
        {
            final int e = table.entry(partition, index);
            final long high = table.tagHigh(e);
            if (high == 0)
            {
                index++;
                continue;
            }
            final long low = table.tagLow(e);
            released += Integer.bitCount(table.clearHolds(e, deadSlot));
            table.recomputeGranted(e);
            wakeup(e, high, low);
            if (table.isUnused(e))
            {
                // the next entry of the run may shift into this index: look at it again
                table.remove(partition, e);
                continue;
            }
            index++;
        }
        return released;
    }

    /** pg_locks: every granted hold and every wait, read from a running cluster's memory without locking. */
    public static List<LockStatus> status(final Shmem shmem)
    {
        final AtomicBuffer procs = shmem.findStruct(ProcArray.LABEL).buffer();
        final int slots = procs.getInt(SLOT_COUNT_OFFSET);
        final ShmemStruct struct = shmem.findStruct(LABEL);
        final int stride = entryStride(slots);
        final int capacity = (int)((struct.size() / PARTITIONS - PARTITION_HEADER_LENGTH) / stride);
        final LockTable table = new LockTable(struct.buffer(), slots, capacity);
        final List<LockStatus> rows = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++)
        {
            for (int index = 0; index < capacity; index++)
            {
                final int e = table.entry(p, index);
                final long high = table.tagHigh(e);
                final long low = table.tagLow(e);
                if (high == 0 || LockTagType.ofCode((int)(high & 0xFF)) == null)
                {
                    continue;
                }
                final LockTag tag = LockTag.ofStored(high, low);
                for (int slot = 0; slot < slots; slot++)
                {
                    final int held = table.holdMask(e, slot);
                    final long pid = procs.getLongVolatile(slotOffset(slot) + PID_OFFSET);
                    for (int m = 1; m <= 8 && held != 0 && pid != 0; m++)
                    {
                        if ((held & 1 << m) != 0)
                        {
                            rows.add(new LockStatus(tag, LockMode.ofNumber(m), true, pid, slot, 0));
                        }
                    }
                }
            }
        }
        for (int slot = 0; slot < slots; slot++)
        {
            final int base = slotOffset(slot);
            final long high = procs.getLong(base + LOCK_WAIT_TAG_HIGH_OFFSET);
            final LockMode mode = LockMode.ofNumber(procs.getInt(base + LOCK_WAIT_MODE_OFFSET));
            if (procs.getIntVolatile(base + LOCK_WAIT_STATUS_OFFSET) == LOCK_WAIT_WAITING && mode != null
                && LockTagType.ofCode((int)(high & 0xFF)) != null)
            {
                rows.add(new LockStatus(LockTag.ofStored(high, procs.getLong(base + LOCK_WAIT_TAG_LOW_OFFSET)), mode,
                    false, procs.getLongVolatile(base + PID_OFFSET), slot, procs.getLong(base + LOCK_WAIT_START_OFFSET)));
            }
        }
        return rows;
    }
}
