package org.pgshmem.proc;

import static org.pgshmem.proc.ProcSlotDescriptor.*;

import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.module.ShmemModule;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSize;
import org.pgshmem.shmem.ShmemStruct;
import org.pgshmem.util.PgException;
import org.pgshmem.util.Processes;

/**
 * The proc array: one slot per attached process, claimed by compare-and-set on its pid word so
 * that processes racing for slots never share one. The postmaster reads it to find who is
 * attached, and frees the slots of processes that died.
 */
public final class ProcArray implements ShmemModule
{
    /** The label of the structure. */
    public static final String LABEL = "Proc Array";

    private AtomicBuffer buffer;
    private int slotCount;

    @Override
    public String name()
    {
        return "proc_array";
    }

    @Override
    public long shmemSize(final Settings settings)
    {
        return size(settings.getInt("max_connections"));
    }

    private static long size(final int maxConnections)
    {
        return ShmemSize.addSize(HEADER_LENGTH,
            ShmemSize.mulSize(FIRST_BACKEND_SLOT + (long)maxConnections, SLOT_LENGTH));
    }

    @Override
    public void shmemInit(final Shmem shmem)
    {
        final int maxConnections = shmem.settings().getInt("max_connections");
        final ShmemStruct struct = shmem.initStruct(LABEL, size(maxConnections),
            region -> region.putInt(SLOT_COUNT_OFFSET, FIRST_BACKEND_SLOT + maxConnections));
        wrap(struct);
    }

    /** Wraps an existing proc array structure (for tools that read a segment without the modules). */
    public static ProcArray of(final ShmemStruct struct)
    {
        final ProcArray procArray = new ProcArray();
        procArray.wrap(struct);
        return procArray;
    }

    private void wrap(final ShmemStruct struct)
    {
        this.buffer = struct.buffer();
        this.slotCount = buffer.getInt(SLOT_COUNT_OFFSET);
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
        buffer.putLong(base + START_TIME_OFFSET, Processes.selfStartMillis());
        buffer.putInt(base + KIND_OFFSET, kind.code());
        buffer.putLong(base + ATTACH_TIME_OFFSET, System.currentTimeMillis());
        buffer.putIntRelease(base + STATE_OFFSET, STATE_ACTIVE);
        return true;
    }

    /** Frees {@code slot}, held by this process. */
    public void release(final int slot)
    {
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
            if (p.pid() != Processes.selfPid() && Processes.isAlive(p.pid(), p.startMillis()))
            {
                out.add(p);
            }
        }
        return out;
    }
}
