package org.pgshmem.buffer;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;
import static org.pgshmem.buffer.BufferDescriptorLayout.*;

import java.util.function.IntConsumer;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.util.PgException;

/**
 * The clock sweep (PostgreSQL's freelist.c): one shared hand that every process advances to find
 * a victim, decrementing usage counts on the way; and what the background writer learns from it.
 * <pre>
 *  Structure "Buffer Strategy Status" (192 bytes):
 *  +---------------------------------------------------------------+
 *  |  Next Victim (clock ticks so far; hand = ticks % buffers)     |   0
 *  +---------------------------------------------------------------+
 *  |  Allocations since the background writer last looked          |  64
 *  +---------------------------------------------------------------+
 *  |  Background writer slot + 1 (0: it is not hibernating)        | 128
 *  +---------------------------------------------------------------+
 * </pre>
 * The hand is a 64-bit count that never wraps, so complete passes are ticks / buffers.
 */
final class BufferStrategy
{
    static final String LABEL = "Buffer Strategy Status";
    static final int NEXT_VICTIM_OFFSET = 0;
    static final int RECENT_ALLOCS_OFFSET = CACHE_LINE_LENGTH;
    static final int BGWRITER_SLOT_OFFSET = 2 * CACHE_LINE_LENGTH;
    static final int LENGTH = 3 * CACHE_LINE_LENGTH;

    private final AtomicBuffer buffer;
    private final int nbuffers;
    private IntConsumer setLatch = slot -> { };

    BufferStrategy(final AtomicBuffer buffer, final int nbuffers)
    {
        this.buffer = buffer;
        this.nbuffers = nbuffers;
    }

    /** How a process sets another's latch (to wake the hibernating background writer). */
    void latchSetter(final IntConsumer setLatch)
    {
        this.setLatch = setLatch;
    }

    /**
     * StrategyGetBuffer: the next buffer of the sweep that nobody pins and nobody used lately,
     * returned pinned by this process. Wakes a hibernating background writer first.
     */
    int getBuffer(final BufferManager bm)
    {
        final int bgwriter = buffer.getIntVolatile(BGWRITER_SLOT_OFFSET) - 1;
        if (bgwriter >= 0 && buffer.compareAndSetInt(BGWRITER_SLOT_OFFSET, bgwriter + 1, 0))
        {
            setLatch.accept(bgwriter);
        }
        buffer.getAndAddLong(RECENT_ALLOCS_OFFSET, 1);
        bm.stats().allocated();
        int tries = nbuffers;
        while (true)
        {
            final int buf = (int)(buffer.getAndAddLong(NEXT_VICTIM_OFFSET, 1) % nbuffers);
            final long state = bm.state(buf);
            if (refcount(state) == 0)
            {
                if (usageCount(state) > 0)
                {
                    bm.casState(buf, state, state - USAGE_ONE);
                    tries = nbuffers;
                }
                else if (bm.pinIfUnused(buf, state))
                {
                    return buf;
                }
            }
            else if (--tries == 0)
            {
                throw new PgException("no unpinned buffers available", "All " + nbuffers
                    + " shared buffers are pinned.", "Release pinned buffers, or raise shared_buffers.");
            }
        }
    }

    /** StrategySyncStart, part one: ticks of the hand so far. */
    long ticks()
    {
        return buffer.getLongVolatile(NEXT_VICTIM_OFFSET);
    }

    /** StrategySyncStart, part two: allocations since the last call, counted from zero again. */
    long takeRecentAllocations()
    {
        return buffer.getAndSetLong(RECENT_ALLOCS_OFFSET, 0);
    }

    /** StrategyNotifyBgWriter: the next allocation sets the latch of the process in {@code slot}. */
    void notifyBgwriter(final int slot)
    {
        buffer.putIntVolatile(BGWRITER_SLOT_OFFSET, slot + 1);
    }

    /** Stops waking the process in {@code slot} (it woke up, or died). */
    void forgetBgwriter(final int slot)
    {
        buffer.compareAndSetInt(BGWRITER_SLOT_OFFSET, slot + 1, 0);
    }

    /** Whether the background writer is hibernating, waiting for an allocation to wake it. */
    boolean bgwriterHibernating()
    {
        return buffer.getIntVolatile(BGWRITER_SLOT_OFFSET) != 0;
    }
}
