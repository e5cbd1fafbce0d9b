package org.pgshmem.ipc;

import static org.pgshmem.proc.ProcSlotDescriptor.BROADCASTS_LOST_OFFSET;
import static org.pgshmem.proc.ProcSlotDescriptor.BROADCASTS_RECEIVED_OFFSET;
import static org.pgshmem.proc.ProcSlotDescriptor.MESSAGES_RECEIVED_OFFSET;
import static org.pgshmem.proc.ProcSlotDescriptor.MESSAGES_SENT_OFFSET;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import org.agrona.DirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.util.PgException;

/**
 * One process's messaging endpoint: writes to other processes' inboxes, reads its own, sends
 * and receives broadcasts, and sleeps on its latch. Inboxes are Agrona
 * {@link ManyToOneRingBuffer}s in shared memory, so a message costs what Agrona's costs plus a
 * counter store and a latch check. Not thread-safe for reading (one reader per process, as an
 * inbox has one consumer); {@link #offer} may be called from any thread.
 */
public final class Messenger
{
    /**
     * An inbox stalled on a claimed, uncommitted record is unblocked (Agrona's unblock) once it
     * has not moved for this long and a process of the cluster died since it last made progress.
     */
    static final long UNBLOCK_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ProcArray procArray;
    private final int slot;
    private final BroadcastChannel broadcast;
    private final BroadcastChannel.Receiver broadcastReceiver;
    private final IdleStrategy idle;
    private final BooleanSupplier postmasterDead;
    private final Long2LongHashMap slotByPid = new Long2LongHashMap(-1);
    private final ManyToOneRingBuffer inbox;
    private final org.agrona.concurrent.AtomicBuffer inboxBuffer;
    private final int inboxMask;
    private final LongSupplier processDeaths;
    private long lastPid;
    private int lastSlot = -1;
    private int emptyPolls;
    private long stuckSince;
    private long stuckAt;
    /** Process deaths counted when this inbox last made progress (read something, or was seen empty). */
    private long deathsAtProgress;

    /**
     * The endpoint of the process in {@code slot}; {@code postmasterDead} makes every call fail
     * once true; {@code processDeaths} is the cluster's count of dead processes.
     */
    public Messenger(final ProcArray procArray, final int slot, final BroadcastChannel broadcast,
        final IdleStrategy idle, final BooleanSupplier postmasterDead, final LongSupplier processDeaths)
    {
        this.processDeaths = processDeaths;
        this.procArray = procArray;
        this.slot = slot;
        this.broadcast = broadcast;
        this.broadcastReceiver = broadcast.newReceiver();
        this.idle = idle;
        this.postmasterDead = postmasterDead;
        this.inbox = procArray.inbox(slot);
        this.inboxBuffer = inbox.buffer();
        this.inboxMask = inbox.capacity() - 1;
        // an inbox that is not empty at attach may hold a dead producer's claim, from before any
        // death this process could count: start without a baseline so that the stall is cleared
        this.deathsAtProgress = inbox.producerPosition() == inbox.consumerPosition()
            ? processDeaths.getAsLong() : -1;
    }

    private void checkPostmaster()
    {
        if (postmasterDead.getAsBoolean())
        {
            throw new PgException("terminating connection due to unexpected postmaster exit", null,
                "Close this backend; attach again once the cluster is restarted.");
        }
    }

    /** The slot of the attached process {@code pid}; an error naming the pid when it is not attached. */
    public int slotOf(final long pid)
    {
        // most senders talk to one peer: check the last one before the map
        final int last = lastSlot;
        if (last >= 0 && lastPid == pid && procArray.pid(last) == pid)
        {
            return last;
        }
        final int cached = (int)slotByPid.get(pid);
        if (cached >= 0 && procArray.pid(cached) == pid)
        {
            lastPid = pid;
            lastSlot = cached;
            return cached;
        }
        final int slot = procArray.slotOf(pid);
        if (slot < 0)
        {
            slotByPid.remove(pid);
            throw new PgException("process " + pid + " is not attached to this cluster", null,
                "It may have exited; \"pgshmem backends\" lists the attached processes.");
        }
        slotByPid.put(pid, slot);
        lastPid = pid;
        lastSlot = slot;
        return slot;
    }

    /**
     * Writes a message to the inbox of process {@code pid} and sets its latch. Returns false
     * when the inbox is full (back-pressure: nothing was written, try again later).
     */
    public boolean offer(final long pid, final int msgTypeId, final DirectBuffer src, final int offset, final int length)
    {
        return offerToSlot(slotOf(pid), msgTypeId, src, offset, length);
    }

    /** {@link #offer} by slot number. */
    public boolean offerToSlot(final int target, final int msgTypeId, final DirectBuffer src, final int offset,
        final int length)
    {
        checkPostmaster();
        if (!procArray.inbox(target).write(msgTypeId, src, offset, length))
        {
            return false;
        }
        procArray.addCounter(slot, MESSAGES_SENT_OFFSET, 1);
        procArray.setLatch(target);
        return true;
    }

    /**
     * Like {@link #offer}, but waits while the inbox is full, up to {@code timeoutNanos}; then
     * fails naming the process. Per-sender order is kept either way.
     */
    public void send(final long pid, final int msgTypeId, final DirectBuffer src, final int offset, final int length,
        final long timeoutNanos)
    {
        final int target = slotOf(pid);
        if (offerToSlot(target, msgTypeId, src, offset, length))
        {
            return;
        }
        final long deadline = System.nanoTime() + timeoutNanos;
        idle.reset();
        while (!offerToSlot(target, msgTypeId, src, offset, length))
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new PgException("could not send to process " + pid + ": its inbox stayed full for "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms", null,
                    "The process is not reading its messages; raise inbox_size or the timeout.");
            }
            if (procArray.pid(target) != pid)
            {
                throw new PgException("process " + pid + " is not attached to this cluster");
            }
            idle.idle();
        }
    }

    /**
     * Delivers up to {@code limit} messages of this process's inbox to {@code handler}, in each
     * sender's order; returns how many. A producer that died between claiming space and
     * committing it would block the inbox forever: when the inbox has not moved for 100 ms past
     * such a record and a process of the cluster died since the inbox last made progress, it is
     * unblocked, as Agrona's consumers do. A live producer that is merely slow is not unblocked
     * under, unless some other process happens to die during its stall.
     */
    public int poll(final MessageHandler handler, final int limit)
    {
        checkPostmaster();
        final int read = inbox.read(handler, limit);
        if (read > 0)
        {
            procArray.addCounter(slot, MESSAGES_RECEIVED_OFFSET, read);
            stuckSince = 0;
            deathsAtProgress = processDeaths.getAsLong();
        }
        else if (stalled())
        {
            checkStall();
        }
        else
        {
            if (stuckSince != 0 || (emptyPolls & 0xFF) == 0)
            {
                deathsAtProgress = processDeaths.getAsLong();
            }
            stuckSince = 0;
        }
        return read;
    }

    /**
     * Whether the inbox holds a record its producer has not committed. The head record's length
     * word is on the line {@code read} just looked at, so checking it costs nothing; a negative
     * length is a claim not yet committed. The tail counter, which would tell of a claim whose
     * header is not even written yet, sits on the producers' line: reading it on every empty
     * poll would pull that line from them, so it is read only once every 256 empty polls.
     */
    private boolean stalled()
    {
        if (inboxBuffer.getIntVolatile((int)(inbox.consumerPosition() & inboxMask)) < 0)
        {
            return true;
        }
        if ((++emptyPolls & 0xFF) != 0)
        {
            return stuckSince != 0;
        }
        return inbox.producerPosition() != inbox.consumerPosition();
    }

    private void checkStall()
    {
        final long head = inbox.consumerPosition();
        final long now = System.nanoTime();
        if (stuckSince == 0 || head != stuckAt)
        {
            stuckSince = now;
            stuckAt = head;
        }
        else if (now - stuckSince > UNBLOCK_AFTER_NANOS && processDeaths.getAsLong() != deathsAtProgress)
        {
            // a process died since the inbox last moved: the claim at the head may be its
            inbox.unblock();
            stuckSince = 0;
        }
    }

    /** Messages waiting in this process's inbox, in bytes. */
    public int inboxDepth()
    {
        return inbox.size();
    }

    /** Sends a message to every process (the postmaster and auxiliaries included). */
    public void broadcast(final int msgTypeId, final DirectBuffer src, final int offset, final int length)
    {
        checkPostmaster();
        broadcast.transmit(msgTypeId, src, offset, length);
    }

    /** Delivers up to {@code limit} broadcasts to {@code handler}; returns how many. */
    public int pollBroadcasts(final BroadcastHandler handler, final int limit)
    {
        checkPostmaster();
        final long lostBefore = broadcastReceiver.lost();
        final int n = broadcastReceiver.poll(handler, limit);
        if (n > 0)
        {
            procArray.addCounter(slot, BROADCASTS_RECEIVED_OFFSET, n);
            final long lostNow = broadcastReceiver.lost() - lostBefore;
            if (lostNow > 0)
            {
                procArray.addCounter(slot, BROADCASTS_LOST_OFFSET, lostNow);
            }
        }
        return n;
    }

    /** Broadcasts this process lost because it was lapped (read them faster, or raise broadcast_size). */
    public long broadcastsLost()
    {
        return broadcastReceiver.lost();
    }

    /** Wakes process {@code pid} if it sleeps on its latch (PostgreSQL's SetLatch). */
    public void setLatch(final long pid)
    {
        checkPostmaster();
        procArray.setLatch(slotOf(pid));
    }

    /**
     * Sleeps until this process's latch is set or {@code timeoutNanos} pass (WaitLatch), waiting
     * with the {@code latch_idle_strategy}; clears the latch and returns whether it was set.
     */
    public boolean waitLatch(final long timeoutNanos)
    {
        checkPostmaster();
        if (procArray.isLatchSet(slot))
        {
            procArray.resetLatch(slot);
            return true;
        }
        final long deadline = System.nanoTime() + timeoutNanos;
        procArray.sleeping(slot, true);
        idle.reset();
        try
        {
            while (!procArray.isLatchSet(slot))
            {
                if (System.nanoTime() - deadline > 0 || postmasterDead.getAsBoolean())
                {
                    return false;
                }
                idle.idle();
            }
            procArray.resetLatch(slot);
            return true;
        }
        finally
        {
            procArray.sleeping(slot, false);
        }
    }

    /**
     * The raw Agrona inbox of process {@code pid}, for zero-copy {@code tryClaim}/{@code commit};
     * neither counters nor latch are touched.
     */
    public ManyToOneRingBuffer inboxOf(final long pid)
    {
        return procArray.inbox(slotOf(pid));
    }
}
