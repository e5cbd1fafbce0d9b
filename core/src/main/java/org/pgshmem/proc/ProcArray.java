package org.pgshmem.proc;

import static org.pgshmem.proc.ProcSlotDescriptor.*;

import java.util.ArrayList;
import java.util.List;

import org.agrona.BitUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.pgshmem.module.ShmemModule;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSize;
import org.pgshmem.shmem.ShmemStruct;
import org.pgshmem.util.PgException;
import org.pgshmem.util.Processes;

/**
 * The proc array: one slot per attached process (see {@link ProcSlotDescriptor}), claimed by
 * compare-and-set on its pid word so that processes racing for slots never share one, each
 * with its own inbox (an Agrona {@link ManyToOneRingBuffer} of {@code inbox_size} bytes in the
 * "Proc Inboxes" structure) and latch. The postmaster reads it to find who is attached, and
 * frees the slots of processes that died.
 */
public final class ProcArray implements ShmemModule
{
    /** The label of the slots. */
    public static final String LABEL = "Proc Array";
    /** The label of the inboxes. */
    public static final String INBOXES_LABEL = "Proc Inboxes";

    private AtomicBuffer buffer;
    private AtomicBuffer inboxes;
    private int slotCount;
    private int inboxStride;
    private ManyToOneRingBuffer[] rings;
    private MyProc myProc;

    @Override
    public String name()
    {
        return "proc_array";
    }

    /** Slots in all for {@code settings}: the fixed ones and {@code max_connections}. */
    public static int slotCount(final Settings settings)
    {
        return FIRST_BACKEND_SLOT + settings.getInt("max_connections");
    }

    /** Bytes of one inbox: the ring's capacity (a power of two) plus Agrona's trailer. */
    private static int inboxStride(final Settings settings)
    {
        final long capacity = settings.getBytes("inbox_size");
        if (!BitUtil.isPowerOfTwo(capacity))
        {
            throw new PgException("invalid value for parameter \"inbox_size\": \"" + settings.show("inbox_size") + "\"",
                "An inbox is an Agrona ring buffer: its size must be a power of two.", "Use 64kB, 1MB, ...");
        }
        return (int)capacity + RingBufferDescriptor.TRAILER_LENGTH;
    }

    private static long slotsSize(final int slots)
    {
        return ShmemSize.addSize(HEADER_LENGTH, ShmemSize.mulSize(slots, SLOT_LENGTH));
    }

    @Override
    public long shmemSize(final Settings settings)
    {
        final int slots = slotCount(settings);
        return ShmemSize.addSize(slotsSize(slots), ShmemSize.mulSize(slots, inboxStride(settings)));
    }

    @Override
    public void shmemInit(final Shmem shmem)
    {
        final int slots = slotCount(shmem.settings());
        final int stride = inboxStride(shmem.settings());
        final ShmemStruct inboxStruct = shmem.initStruct(INBOXES_LABEL, ShmemSize.mulSize(slots, stride),
            region -> { });
        final ShmemStruct struct = shmem.initStruct(LABEL, slotsSize(slots), region ->
        {
            region.putInt(SLOT_COUNT_OFFSET, slots);
            region.putInt(INBOX_CAPACITY_OFFSET, stride - RingBufferDescriptor.TRAILER_LENGTH);
            for (int slot = 0; slot < slots; slot++)
            {
                region.putLong(slotOffset(slot) + INBOX_OFFSET_OFFSET, inboxStruct.offset() + (long)slot * stride);
            }
        });
        wrap(struct);
        this.inboxes = inboxStruct.buffer();
        this.myProc = shmem.processLocal(MyProc.class, MyProc::new);
    }

    /** Wraps an existing proc array for tools that read a segment without the modules (no inboxes). */
    public static ProcArray of(final ShmemStruct struct)
    {
        final ProcArray procArray = new ProcArray();
        procArray.wrap(struct);
        return procArray;
    }

    /** Wraps an existing proc array and its inboxes, for tools that read a segment without the modules. */
    public static ProcArray of(final Shmem shmem)
    {
        final ProcArray procArray = of(shmem.findStruct(LABEL));
        procArray.inboxes = shmem.findStruct(INBOXES_LABEL).buffer();
        return procArray;
    }

    private void wrap(final ShmemStruct struct)
    {
        this.buffer = struct.buffer();
        this.slotCount = buffer.getInt(SLOT_COUNT_OFFSET);
        this.inboxStride = buffer.getInt(INBOX_CAPACITY_OFFSET) + RingBufferDescriptor.TRAILER_LENGTH;
        this.rings = new ManyToOneRingBuffer[slotCount];
    }

    /** Slots in all, fixed ones included. */
    public int slotCount()
    {
        return slotCount;
    }

    /** Claims the fixed slot of an auxiliary process or the postmaster for this process. */
    public int claimFixed(final ProcKind kind)
    {
        final int slot = switch (kind)
        {
            case POSTMASTER -> POSTMASTER_SLOT;
            case BGWRITER -> BGWRITER_SLOT;
            case CHECKPOINTER -> CHECKPOINTER_SLOT;
            case BACKEND -> throw new IllegalArgumentException("backends have no fixed slot");
        };
        if (!tryClaim(slot, kind))
        {
            throw new PgException("the " + kind.description() + " slot is taken by process " + pid(slot),
                null, "Only one " + kind.description() + " runs per cluster.");
        }
        return slot;
    }

    /** Claims a free backend slot for this process; fails as PostgreSQL does when none is free. */
    public int claimBackend()
    {
        for (int slot = FIRST_BACKEND_SLOT; slot < slotCount; slot++)
        {
            if (tryClaim(slot, ProcKind.BACKEND))
            {
                return slot;
            }
        }
        throw new PgException("sorry, too many clients already",
            "All " + (slotCount - FIRST_BACKEND_SLOT) + " backend slots (max_connections) are in use.",
            "Close a backend, or raise max_connections and restart the cluster.");
    }

    private boolean tryClaim(final int slot, final ProcKind kind)
    {
        final int base = slotOffset(slot);
        if (buffer.getLongVolatile(base + PID_OFFSET) != 0
            || !buffer.compareAndSetLong(base + PID_OFFSET, 0, Processes.selfPid()))
        {
            return false;
        }
        buffer.putIntVolatile(base + STATE_OFFSET, STATE_CLAIMING);
        buffer.putLong(base + START_TIME_OFFSET, Processes.selfStartToken());
        buffer.putInt(base + KIND_OFFSET, kind.code());
        final long now = System.currentTimeMillis();
        buffer.putLong(base + ATTACH_TIME_OFFSET, now);
        buffer.putLongVolatile(base + HEARTBEAT_OFFSET, now);
        for (int mark = 0; mark < HASH_MARK_COUNT; mark++)
        {
            buffer.putLongVolatile(base + HASH_MARKS_OFFSET + mark * HASH_MARK_LENGTH, 0);
        }
        buffer.putIntVolatile(base + LATCH_OFFSET, 0);
        buffer.putIntVolatile(base + SLEEPING_OFFSET, 0);
        // lock records left by the slot's previous owner were released by its cleanup
        buffer.setMemory(base + HELD_SPINLOCK_OFFSET, SLOT_LENGTH - HELD_SPINLOCK_OFFSET, (byte)0);
        for (int counter = MESSAGES_SENT_OFFSET; counter <= BROADCASTS_LOST_OFFSET; counter += Long.BYTES)
        {
            buffer.putLongVolatile(base + counter, 0);
        }
        if (inboxes != null)
        {
            // committed messages left for the slot's previous owner are not ours; a pass may only
            // cross padding and read nothing, so drain until the head stops moving
            final ManyToOneRingBuffer ring = inbox(slot);
            long head;
            do
            {
                head = ring.consumerPosition();
                ring.read((type, b, index, length) -> { }, Integer.MAX_VALUE);
            }
            while (ring.consumerPosition() != head);
        }
        buffer.putIntRelease(base + STATE_OFFSET, STATE_ACTIVE);
        if (myProc != null)
        {
            myProc.attach(buffer, slot);
        }
        return true;
    }

    /** Frees {@code slot}, held by this process. */
    public void release(final int slot)
    {
        if (myProc != null && myProc.slot() == slot)
        {
            myProc.detach();
        }
        free(slot, Processes.selfPid());
    }

    /** Frees {@code slot} if {@code pid} still holds it (the postmaster's cleanup of a dead process). */
    public boolean free(final int slot, final long pid)
    {
        final int base = slotOffset(slot);
        if (buffer.getLongVolatile(base + PID_OFFSET) != pid)
        {
            return false;
        }
        buffer.putIntVolatile(base + STATE_OFFSET, STATE_FREE);
        buffer.putLong(base + START_TIME_OFFSET, 0);
        buffer.putLong(base + ATTACH_TIME_OFFSET, 0);
        // the pid word goes last: clearing it makes the slot claimable
        return buffer.compareAndSetLong(base + PID_OFFSET, pid, 0);
    }

    /** The pid in {@code slot}, 0 when free. */
    public long pid(final int slot)
    {
        return buffer.getLongVolatile(slotOffset(slot) + PID_OFFSET);
    }

    /** The slot {@code pid} holds, or -1. */
    public int slotOf(final long pid)
    {
        for (int slot = 0; slot < slotCount; slot++)
        {
            if (buffer.getLongVolatile(slotOffset(slot) + PID_OFFSET) == pid
                && buffer.getIntAcquire(slotOffset(slot) + STATE_OFFSET) == STATE_ACTIVE)
            {
                return slot;
            }
        }
        return -1;
    }

    /** The inbox of {@code slot}: an Agrona ring buffer any process may write and only the slot's owner reads. */
    public ManyToOneRingBuffer inbox(final int slot)
    {
        ManyToOneRingBuffer ring = rings[slot];
        if (ring == null)
        {
            ring = new ManyToOneRingBuffer(new UnsafeBuffer(inboxes, slot * inboxStride, inboxStride));
            rings[slot] = ring;
        }
        return ring;
    }

    /** Records that the owner of {@code slot} is alive now. */
    public void heartbeat(final int slot, final long epochMillis)
    {
        buffer.putLongRelease(slotOffset(slot) + HEARTBEAT_OFFSET, epochMillis);
    }

    /** The last heartbeat of {@code slot}'s owner, epoch ms. */
    public long heartbeat(final int slot)
    {
        return buffer.getLongVolatile(slotOffset(slot) + HEARTBEAT_OFFSET);
    }

    /** Sets {@code slot}'s latch (PostgreSQL's SetLatch): a no-op when already set, so a busy receiver costs a read. */
    public void setLatch(final int slot)
    {
        final int offset = slotOffset(slot) + LATCH_OFFSET;
        if (buffer.getIntVolatile(offset) == 0)
        {
            buffer.putIntVolatile(offset, 1);
        }
    }

    /** Whether {@code slot}'s latch is set. */
    public boolean isLatchSet(final int slot)
    {
        return buffer.getIntVolatile(slotOffset(slot) + LATCH_OFFSET) != 0;
    }

    /** Clears {@code slot}'s latch; its owner does this before checking for work (ResetLatch). */
    public void resetLatch(final int slot)
    {
        buffer.putIntVolatile(slotOffset(slot) + LATCH_OFFSET, 0);
    }

    /** Marks the owner of {@code slot} as possibly parked (true) or running (false). */
    public void sleeping(final int slot, final boolean sleeping)
    {
        buffer.putIntVolatile(slotOffset(slot) + SLEEPING_OFFSET, sleeping ? 1 : 0);
    }

    /** Whether the owner of {@code slot} is waiting on its latch. */
    public boolean isSleeping(final int slot)
    {
        return buffer.getIntVolatile(slotOffset(slot) + SLEEPING_OFFSET) != 0;
    }

    /** Offset in the proc array of hash mark {@code mark}'s label word in {@code slot}; its In Flight count follows. */
    public int hashMarkOffset(final int slot, final int mark)
    {
        return slotOffset(slot) + HASH_MARKS_OFFSET + mark * HASH_MARK_LENGTH;
    }

    /** The proc array structure itself, for the flyweights that write a slot's fields. */
    public AtomicBuffer buffer()
    {
        return buffer;
    }

    /**
     * The hashes the owner of {@code slot} was inside an operation on: shmem index entries + 1,
     * or {@link ProcSlotDescriptor#ANY_HASH}. For the postmaster, after the owner died.
     */
    public List<Integer> hashOperationsInFlight(final int slot)
    {
        final List<Integer> labels = new ArrayList<>();
        for (int mark = 0; mark < HASH_MARK_COUNT; mark++)
        {
            final int offset = hashMarkOffset(slot, mark);
            if (buffer.getIntVolatile(offset + Integer.BYTES) > 0 && buffer.getIntVolatile(offset) != 0)
            {
                labels.add(buffer.getIntVolatile(offset));
            }
        }
        return labels;
    }

    /**
     * Adds to one of the owner's counters ({@code ProcSlotDescriptor.MESSAGES_SENT_OFFSET} ...).
     * Owner only: a counter has one writer, so a plain read and a release store do, and cost no
     * locked instruction on the message path.
     */
    public void addCounter(final int slot, final int counterOffset, final long delta)
    {
        final int offset = slotOffset(slot) + counterOffset;
        buffer.putLongRelease(offset, buffer.getLong(offset) + delta);
    }

    /** One of the counters of {@code slot}. */
    public long counter(final int slot, final int counterOffset)
    {
        return buffer.getLongVolatile(slotOffset(slot) + counterOffset);
    }

    /** Every active slot. */
    public List<ProcInfo> snapshot()
    {
        final List<ProcInfo> out = new ArrayList<>();
        for (int slot = 0; slot < slotCount; slot++)
        {
            final int base = slotOffset(slot);
            final long pid = buffer.getLongVolatile(base + PID_OFFSET);
            if (pid == 0 || buffer.getIntAcquire(base + STATE_OFFSET) != STATE_ACTIVE)
            {
                continue;
            }
            final long start = buffer.getLong(base + START_TIME_OFFSET);
            final ProcKind kind = ProcKind.ofCode(buffer.getInt(base + KIND_OFFSET));
            final long attached = buffer.getLong(base + ATTACH_TIME_OFFSET);
            // fields read while the slot was freed and claimed again would mix two processes
            if (kind != null && buffer.getLongVolatile(base + PID_OFFSET) == pid
                && buffer.getIntAcquire(base + STATE_OFFSET) == STATE_ACTIVE)
            {
                out.add(new ProcInfo(slot, pid, start, kind, attached));
            }
        }
        return out;
    }

    /** Active slots whose process still runs, the caller's own excluded. */
    public List<ProcInfo> liveOthers()
    {
        final List<ProcInfo> out = new ArrayList<>();
        for (final ProcInfo p : snapshot())
        {
            if (p.pid() != Processes.selfPid() && Processes.isAlive(p.pid(), p.startToken()))
            {
                out.add(p);
            }
        }
        return out;
    }
}
