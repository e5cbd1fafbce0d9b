package org.pgshmem.ipc;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;
import static org.agrona.BitUtil.SIZE_OF_LONG;

import java.util.concurrent.TimeUnit;

import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.broadcast.BroadcastBufferDescriptor;
import org.agrona.concurrent.broadcast.BroadcastReceiver;
import org.agrona.concurrent.broadcast.BroadcastTransmitter;
import org.pgshmem.lock.SpinLock;
import org.pgshmem.proc.MyProc;
import org.pgshmem.shmem.ShmemStruct;
import org.pgshmem.module.ShmemModule;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSize;
import org.pgshmem.util.PgException;
import org.pgshmem.util.Processes;

/**
 * The broadcast channel: one Agrona broadcast buffer that reaches every process. Agrona's
 * transmitter has one producer, so transmitters across processes take a spinlock first; each
 * message carries a sequence number so that a receiver lapped by the transmitter learns how
 * many messages it lost (Agrona only tells it that it was lapped).
 *
 * <pre>
 *  Structure "Broadcast Buffer":
 *  +---------------------------------------------------------------+
 *  |  Transmit Lock (spinlock word: owner token, 0 free)           |  0
 *  |  Sequence (number of the last message transmitted)            |  8
 *  |  Reserved up to 64                                           ...
 *  +---------------------------------------------------------------+
 *  |  Agrona broadcast buffer: broadcast_size bytes + trailer     ...  64
 *  +---------------------------------------------------------------+
 *  Message (Agrona record payload): Sequence (8) | Sender PID (8) | payload
 * </pre>
 */
public final class BroadcastChannel implements ShmemModule
{
    /** The label of the structure. */
    public static final String LABEL = "Broadcast Buffer";
    public static final int LOCK_OFFSET = 0;
    public static final int SEQUENCE_OFFSET = LOCK_OFFSET + SIZE_OF_LONG;
    public static final int BUFFER_OFFSET = CACHE_LINE_LENGTH;
    /** Bytes before the payload in each message. */
    public static final int MESSAGE_HEADER_LENGTH = 2 * SIZE_OF_LONG;

    private static final long STUCK_LOCK_NANOS = TimeUnit.SECONDS.toNanos(10);

    private AtomicBuffer region;
    private AtomicBuffer segment;
    private int lockOffset;
    private MyProc myProc;
    private BroadcastTransmitter transmitter;
    private UnsafeBuffer scratch;

    @Override
    public String name()
    {
        return "broadcast";
    }

    private static int capacity(final Settings settings)
    {
        final long capacity = settings.getBytes("broadcast_size");
        if (!BitUtil.isPowerOfTwo(capacity))
        {
            throw new PgException("invalid value for parameter \"broadcast_size\": \""
                + settings.show("broadcast_size") + "\"", "It must be a power of two.", null);
        }
        return (int)capacity;
    }

    @Override
    public long shmemSize(final Settings settings)
    {
        return ShmemSize.addSize(BUFFER_OFFSET, capacity(settings) + (long)BroadcastBufferDescriptor.TRAILER_LENGTH);
    }

    @Override
    public void shmemInit(final Shmem shmem)
    {
        final ShmemStruct struct = shmem.initStruct(LABEL, shmemSize(shmem.settings()), r -> { });
        region = struct.buffer();
        segment = shmem.segment().buffer();
        lockOffset = (int)struct.offset() + LOCK_OFFSET;
        myProc = shmem.processLocal(MyProc.class, MyProc::new);
        final UnsafeBuffer buffer = new UnsafeBuffer(region, BUFFER_OFFSET, region.capacity() - BUFFER_OFFSET);
        transmitter = new BroadcastTransmitter(buffer);
        scratch = new UnsafeBuffer(new byte[transmitter.maxMsgLength()]);
    }

    /** Longest payload a broadcast may carry. */
    public int maxPayloadLength()
    {
        return transmitter.maxMsgLength() - MESSAGE_HEADER_LENGTH;
    }

    /** Sends a message to every receiver; never blocks on receivers, which may be lapped. */
    public void transmit(final int msgTypeId, final DirectBuffer src, final int offset, final int length)
    {
        if (length > maxPayloadLength())
        {
            throw new PgException("broadcast message of " + length + " bytes is too long",
                "The longest is " + maxPayloadLength() + " bytes (broadcast_size / 8, less a 16-byte header).", null);
        }
        final long self = Processes.selfPid();
        // threads of this process take turns before the spinlock: a process records one held
        // spinlock, so two of its threads holding it in turn must not overlap
        synchronized (scratch)
        {
            // a process killed while holding it is released by the postmaster's cleanup of its slot
            SpinLock.acquire(segment, lockOffset, myProc, STUCK_LOCK_NANOS, "BroadcastTransmitLock");
            try
            {
                final long sequence = region.getLong(SEQUENCE_OFFSET) + 1;
                scratch.putLong(0, sequence);
                scratch.putLong(SIZE_OF_LONG, self);
                scratch.putBytes(MESSAGE_HEADER_LENGTH, src, offset, length);
                transmitter.transmit(msgTypeId, scratch, 0, MESSAGE_HEADER_LENGTH + length);
                region.putLongRelease(SEQUENCE_OFFSET, sequence);
            }
            finally
            {
                SpinLock.release(segment, lockOffset, myProc, "BroadcastTransmitLock");
            }
        }
    }

    /** A receiver for this process that sees messages transmitted from now on. Not thread-safe. */
    public Receiver newReceiver()
    {
        return new Receiver(this);
    }

    /** One process's (one thread's) view of the channel: receives in order and counts what it lost. */
    public static final class Receiver
    {
        private final BroadcastReceiver receiver;
        private final UnsafeBuffer copy;
        private long expected;
        private long received;
        private long lost;

        Receiver(final BroadcastChannel channel)
        {
            this.receiver = new BroadcastReceiver(
                new UnsafeBuffer(channel.region, BUFFER_OFFSET, channel.region.capacity() - BUFFER_OFFSET));
            this.copy = new UnsafeBuffer(new byte[channel.transmitter.maxMsgLength()]);
            this.expected = channel.region.getLongVolatile(SEQUENCE_OFFSET) + 1;
        }

        /** Delivers up to {@code limit} messages to {@code handler}; returns how many. */
        public int poll(final BroadcastHandler handler, final int limit)
        {
            int count = 0;
            while (count < limit && receiver.receiveNext())
            {
                final int type = receiver.typeId();
                final int length = receiver.length();
                copy.putBytes(0, receiver.buffer(), receiver.offset(), length);
                if (!receiver.validate())
                {
                    // overwritten while we copied: lapped; the sequence gap counts the loss
                    continue;
                }
                final long sequence = copy.getLong(0);
                if (sequence < expected)
                {
                    // Agrona starts a new receiver at the latest message, which it had not seen
                    continue;
                }
                if (sequence > expected)
                {
                    lost += sequence - expected;
                }
                expected = sequence + 1;
                received++;
                count++;
                handler.onBroadcast(type, copy, MESSAGE_HEADER_LENGTH, length - MESSAGE_HEADER_LENGTH,
                    copy.getLong(SIZE_OF_LONG));
            }
            return count;
        }

        /** Messages this receiver lost to being lapped. */
        public long lost()
        {
            return lost;
        }

        /** Messages delivered. */
        public long received()
        {
            return received;
        }
    }
}
