package org.pgshmem.bench.ipc;

import static org.pgshmem.bench.ipc.SpinWatch.SPINS_PER_CHECK;
import static org.pgshmem.bench.ipc.Wire.ACK_LENGTH;
import static org.pgshmem.bench.ipc.Wire.POLL_LIMIT;
import static org.pgshmem.bench.ipc.Wire.SEQUENCE_OFFSET;
import static org.pgshmem.bench.ipc.Wire.TYPE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.HdrHistogram.Histogram;
import org.agrona.BitUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.pgshmem.backend.Backend;

/**
 * Two Agrona {@link ManyToOneRingBuffer}s used directly: one to the child, one back. The peer
 * of pgshmem's messaging: {@code write} and {@code read} with nothing around them.
 *
 * <p>{@link #overMappedFile} puts the two rings, of pgshmem's inbox capacity, in a file both
 * processes map (raw Agrona, the peer). {@link #overInboxes} uses the two processes'
 * pgshmem inboxes instead, found with {@code Messenger.inboxOf}, with the same raw calls: a
 * diagnostic that tells what the {@code Messenger} adds apart from where the rings are.
 */
final class AgronaContender implements Contender
{
    static final String NAME = "agrona";
    static final String INBOX_NAME = "inbox";

    /** Each ring starts on a page of its own. */
    private static final int RING_ALIGNMENT = 4096;

    private final String name;
    private final String label;
    private final PeerProcess peer;
    private final ManyToOneRingBuffer toPeer;
    private final ManyToOneRingBuffer fromPeer;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(Wire.MAX_SIZE));
    private final Handlers.Reply reply = new Handlers.Reply();

    private AgronaContender(final String name, final String label, final PeerProcess peer,
        final ManyToOneRingBuffer toPeer, final ManyToOneRingBuffer fromPeer, final MappedByteBuffer mapped)
    {
        this.name = name;
        this.label = label;
        this.peer = peer;
        this.toPeer = toPeer;
        this.fromPeer = fromPeer;
        this.mapped = mapped;
    }

    /** Bytes from one ring's start to the next's in the file. */
    static int ringStride(final int capacity)
    {
        return BitUtil.align(capacity + RingBufferDescriptor.TRAILER_LENGTH, RING_ALIGNMENT);
    }

    /** Ring {@code index} (0: to the child, 1: back) of a file mapped by {@link #overMappedFile}. */
    static ManyToOneRingBuffer ring(final MappedByteBuffer mapped, final int capacity, final int index)
    {
        return new ManyToOneRingBuffer(new UnsafeBuffer(mapped, index * ringStride(capacity),
            capacity + RingBufferDescriptor.TRAILER_LENGTH));
    }

    /** Creates {@code file} with two empty rings of {@code capacity} bytes and starts a child that maps it too. */
    static AgronaContender overMappedFile(final Path file, final int capacity, final Duration phaseTimeout)
        throws IOException, InterruptedException
    {
        final MappedByteBuffer mapped = MappedFiles.map(file, 2L * ringStride(capacity));
        try
        {
            final ManyToOneRingBuffer toPeer = ring(mapped, capacity, 0);
            final ManyToOneRingBuffer fromPeer = ring(mapped, capacity, 1);
            final PeerProcess peer = PeerProcess.start("raw Agrona peer", NAME,
                List.of(file.toString(), Integer.toString(capacity)), phaseTimeout);
            return new AgronaContender(NAME, "raw Agrona ManyToOneRingBuffer (mapped file, " + (capacity / 1024)
                + " KiB)", peer, toPeer, fromPeer, mapped);
        }
        catch (final IOException | InterruptedException | RuntimeException ex)
        {
            MappedFiles.unmap(mapped);
            throw ex;
        }
    }

    /** Starts a child attached to the cluster in {@code dataDir}; the two use their pgshmem inboxes as raw rings. */
    static AgronaContender overInboxes(final Backend backend, final Path dataDir, final Duration phaseTimeout)
        throws IOException, InterruptedException
    {
        final PeerProcess peer = PeerProcess.start("inbox peer", INBOX_NAME, List.of(dataDir.toString()),
            phaseTimeout);
        try
        {
            return new AgronaContender(INBOX_NAME, "pgshmem inboxes, raw Agrona calls (Messenger.inboxOf; diagnostic)",
                peer, backend.messenger().inboxOf(peer.pid()), backend.procArray().inbox(backend.slot()), null);
        }
        catch (final RuntimeException ex)
        {
            peer.close();
            throw ex;
        }
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public String label()
    {
        return label;
    }

    @Override
    public boolean measuresLatency()
    {
        return true;
    }

    @Override
    public boolean measuresThroughput()
    {
        return true;
    }

    @Override
    public boolean slow()
    {
        return false;
    }

    @Override
    public PeerProcess peer()
    {
        return peer;
    }

    @Override
    public void pingPong(final int roundTrips, final int size, final Histogram roundTripNanos)
    {
        final SpinWatch watch = peer.begin("echo", roundTrips, size);
        for (int i = 0; i < roundTrips; i++)
        {
            roundTripNanos.recordValue(Math.min(roundTrip(i, size, watch), Wire.MAX_RECORDED_NANOS));
        }
        peer.end();
    }

    /** One timed round trip; a method of its own so that it is compiled before any round that records. */
    private long roundTrip(final long sequence, final int size, final SpinWatch watch)
    {
        payload.putLong(SEQUENCE_OFFSET, sequence);
        final int before = reply.messages;
        final long start = System.nanoTime();
        int idle = 0;
        while (!toPeer.write(TYPE, payload, 0, size))
        {
            if (++idle == SPINS_PER_CHECK)
            {
                idle = 0;
                watch.check();
            }
        }
        idle = 0;
        while (fromPeer.read(reply, POLL_LIMIT) == 0)
        {
            if (++idle == SPINS_PER_CHECK)
            {
                idle = 0;
                watch.check();
            }
        }
        final long elapsed = System.nanoTime() - start;
        if (reply.messages != before + 1 || reply.type != TYPE || reply.first != sequence)
        {
            throw new IllegalStateException(peer.name() + " echoed message " + reply.first + " for " + sequence);
        }
        return elapsed;
    }

    @Override
    public long stream(final int messages, final int size)
    {
        final SpinWatch watch = peer.begin("receive", messages, size);
        final int before = reply.messages;
        final long start = System.nanoTime();
        for (int i = 0; i < messages; i++)
        {
            send(i, size, watch);
        }
        int idle = 0;
        while (fromPeer.read(reply, POLL_LIMIT) == 0)
        {
            if (++idle == SPINS_PER_CHECK)
            {
                idle = 0;
                watch.check();
            }
        }
        final long elapsed = System.nanoTime() - start;
        peer.end();
        if (reply.messages != before + 1)
        {
            throw new IllegalStateException(peer.name() + " sent " + (reply.messages - before) + " acks");
        }
        Wire.checkAck(peer.name(), messages, reply.first, reply.second);
        return elapsed;
    }

    private void send(final long sequence, final int size, final SpinWatch watch)
    {
        payload.putLong(SEQUENCE_OFFSET, sequence);
        int idle = 0;
        while (!toPeer.write(TYPE, payload, 0, size))
        {
            if (++idle == SPINS_PER_CHECK)
            {
                idle = 0;
                watch.check();
            }
        }
    }

    @Override
    public void close()
    {
        try
        {
            peer.close();
        }
        finally
        {
            // the child is gone (or killed): nobody writes the rings any more
            MappedFiles.unmap(mapped);
        }
    }

    /** The child's half: reads the ring to it, writes the ring back. */
    static final class Side implements PeerSide
    {
        private final ManyToOneRingBuffer fromParent;
        private final ManyToOneRingBuffer toParent;
        private final Runnable release;
        private final Echo echo = new Echo();
        private final Handlers.Receiver receiver = new Handlers.Receiver();
        private final UnsafeBuffer ack = new UnsafeBuffer(ByteBuffer.allocateDirect(ACK_LENGTH));

        /** Over the rings of {@code file}, as {@link #overMappedFile} made it. */
        static Side overMappedFile(final Path file, final int capacity) throws IOException
        {
            final MappedByteBuffer mapped = MappedFiles.map(file, 2L * ringStride(capacity));
            return new Side(ring(mapped, capacity, 0), ring(mapped, capacity, 1), () -> MappedFiles.unmap(mapped));
        }

        /** Over this process's inbox and the parent's, attached to the cluster in {@code dataDir}. */
        static Side overInboxes(final Path dataDir, final long parentPid)
        {
            final Backend backend = Backend.attach(dataDir);
            try
            {
                return new Side(backend.procArray().inbox(backend.slot()), backend.messenger().inboxOf(parentPid),
                    backend::close);
            }
            catch (final RuntimeException ex)
            {
                backend.close();
                throw ex;
            }
        }

        private Side(final ManyToOneRingBuffer fromParent, final ManyToOneRingBuffer toParent,
            final Runnable release)
        {
            this.fromParent = fromParent;
            this.toParent = toParent;
            this.release = release;
        }

        @Override
        public void echo(final int count, final int size, final SpinWatch watch)
        {
            echo.watch = watch;
            final long target = echo.echoed + count;
            while (echo.echoed < target)
            {
                echoNext(watch);
            }
        }

        /** Waits for the next message and sends it back (from inside the read). */
        private void echoNext(final SpinWatch watch)
        {
            int idle = 0;
            while (fromParent.read(echo, POLL_LIMIT) == 0)
            {
                if (++idle == SPINS_PER_CHECK)
                {
                    idle = 0;
                    watch.check();
                }
            }
        }

        @Override
        public void receive(final int count, final int size, final SpinWatch watch)
        {
            receiver.reset(size);
            int idle = 0;
            while (receiver.expected < count)
            {
                if (fromParent.read(receiver, POLL_LIMIT) == 0)
                {
                    if (++idle == SPINS_PER_CHECK)
                    {
                        idle = 0;
                        watch.check();
                    }
                }
                else
                {
                    idle = 0;
                }
            }
            ack.putLong(0, receiver.expected);
            ack.putLong(Long.BYTES, receiver.outOfSequence);
            idle = 0;
            while (!toParent.write(TYPE, ack, 0, ACK_LENGTH))
            {
                if (++idle == SPINS_PER_CHECK)
                {
                    idle = 0;
                    watch.check();
                }
            }
        }

        @Override
        public void close()
        {
            release.run();
        }

        /** Sends each message back as it is read, unchanged. */
        private final class Echo implements MessageHandler
        {
            SpinWatch watch;
            long echoed;

            @Override
            public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index,
                final int length)
            {
                int idle = 0;
                while (!toParent.write(msgTypeId, buffer, index, length))
                {
                    if (++idle == SPINS_PER_CHECK)
                    {
                        idle = 0;
                        watch.check();
                    }
                }
                echoed++;
            }
        }
    }
}
