package org.pgshmem.bench.ipc;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;

/**
 * The message handlers both ring-buffer contenders share, so that pgshmem's inbox and raw
 * Agrona run the same handler classes and the ring's read loop sees the same types for both.
 */
final class Handlers
{
    private Handlers()
    {
    }

    /** The parent's: keeps the first two longs of the last message (the echoed sequence, or an ack). */
    static final class Reply implements MessageHandler
    {
        int messages;
        int type;
        long first;
        long second;

        @Override
        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            messages++;
            type = msgTypeId;
            first = buffer.getLong(index);
            second = length >= 2 * Long.BYTES ? buffer.getLong(index + Long.BYTES) : -1;
        }
    }

    /** The receiving child's: counts messages and those out of sequence, of the wrong type or size. */
    static final class Receiver implements MessageHandler
    {
        int size;
        long expected;
        long outOfSequence;

        void reset(final int size)
        {
            this.size = size;
            expected = 0;
            outOfSequence = 0;
        }

        @Override
        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            if (msgTypeId != Wire.TYPE || length != size || buffer.getLong(index + Wire.SEQUENCE_OFFSET) != expected)
            {
                outOfSequence++;
            }
            expected++;
        }
    }
}
