package org.pgshmem.proc;

import static org.pgshmem.proc.ProcSlotDescriptor.ANY_HASH;
import static org.pgshmem.proc.ProcSlotDescriptor.HASH_MARK_COUNT;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.shmem.HashOperationMarks;

/**
 * A backend's hash-operation marks, kept in its proc-array slot: up to four hashes each get a
 * (label, in-flight) pair of their own; a process that opens more shares the last pair among
 * them, labelled "any hash", so that its death recovers every hash rather than a wrong one.
 */
public final class SlotHashMarks implements HashOperationMarks
{
    private final AtomicBuffer buffer;
    private final int[] offsets = new int[HASH_MARK_COUNT];
    private final int[] entries = new int[HASH_MARK_COUNT];
    private int used;

    /** The marks of {@code slot}, owned by this process. */
    public SlotHashMarks(final ProcArray procArray, final int slot)
    {
        this.buffer = procArray.buffer();
        for (int mark = 0; mark < HASH_MARK_COUNT; mark++)
        {
            offsets[mark] = procArray.hashMarkOffset(slot, mark);
        }
    }

    @Override
    public synchronized int markFor(final int entry)
    {
        for (int mark = 0; mark < used; mark++)
        {
            if (entries[mark] == entry + 1)
            {
                return mark;
            }
        }
        if (used < HASH_MARK_COUNT - 1)
        {
            entries[used] = entry + 1;
            buffer.putIntVolatile(offsets[used], entry + 1);
            return used++;
        }
        final int last = HASH_MARK_COUNT - 1;
        if (used == last)
        {
            entries[last] = entry + 1;
            buffer.putIntVolatile(offsets[last], entry + 1);
            used++;
        }
        else if (entries[last] != entry + 1)
        {
            entries[last] = ANY_HASH;
            buffer.putIntVolatile(offsets[last], ANY_HASH);
        }
        return last;
    }

    @Override
    public void enter(final int mark)
    {
        buffer.getAndAddInt(offsets[mark] + Integer.BYTES, 1);
    }

    @Override
    public void exit(final int mark)
    {
        buffer.getAndAddInt(offsets[mark] + Integer.BYTES, -1);
    }

    @Override
    public int inFlight(final int mark)
    {
        return buffer.getIntVolatile(offsets[mark] + Integer.BYTES);
    }
}
