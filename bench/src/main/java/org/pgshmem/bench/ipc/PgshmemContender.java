package org.pgshmem.bench.ipc;

import static org.pgshmem.bench.ipc.SpinWatch.SPINS_PER_CHECK;
import static org.pgshmem.bench.ipc.Wire.ACK_LENGTH;
import static org.pgshmem.bench.ipc.Wire.POLL_LIMIT;
import static org.pgshmem.bench.ipc.Wire.SEQUENCE_OFFSET;
import static org.pgshmem.bench.ipc.Wire.TYPE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.HdrHistogram.Histogram;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.backend.Backend;
import org.pgshmem.ipc.Messenger;

/**
 * pgshmem's messaging as an application uses it: both processes {@link Backend#attach} to the
 * cluster; a message is {@link Messenger#offer(long, int, org.agrona.DirectBuffer, int, int)}
 * to the other's pid (spinning while its inbox is full) and is taken with
 * {@link Messenger#poll}, busy-polled. Every call goes through the public API, pid lookup,
 * counters and latch included.
 */
final class PgshmemContender implements Contender
{
    static final String NAME = "pgshmem";

    private final Messenger messenger;
    private final PeerProcess peer;
    private final long peerPid;
    private final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(Wire.MAX_SIZE));
    private final Handlers.Reply reply = new Handlers.Reply();

    private PgshmemContender(final Messenger messenger, final PeerProcess peer)
    {
        this.messenger = messenger;
        this.peer = peer;
        this.peerPid = peer.pid();
    }

    /** Starts a child that attaches to the cluster in {@code dataDir}; this side uses {@code backend}. */
    static PgshmemContender start(final Backend backend, final Path dataDir, final Duration phaseTimeout)
        throws IOException, InterruptedException
    {
        return new PgshmemContender(backend.messenger(),
            PeerProcess.start("pgshmem peer", NAME, List.of(dataDir.toString()), phaseTimeout));
    }

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public String label()
    {
        return "pgshmem (Messenger.offer to a pid / poll)";
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
        while (!messenger.offer(peerPid, TYPE, payload, 0, size))
        {
            if (++idle == SPINS_PER_CHECK)
            {
                idle = 0;
                watch.check();
            }
        }
        idle = 0;
        while (messenger.poll(reply, POLL_LIMIT) == 0)
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
        while (messenger.poll(reply, POLL_LIMIT) == 0)
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
        while (!messenger.offer(peerPid, TYPE, payload, 0, size))
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
        peer.close();
    }

    /** The child's half: attached as a backend, answers through the same API. */
    static final class Side implements PeerSide
    {
        private final Backend backend;
        private final Messenger messenger;
        private final long parentPid;
        private final Echo echo = new Echo();
        private final Handlers.Receiver receiver = new Handlers.Receiver();
        private final UnsafeBuffer ack = new UnsafeBuffer(ByteBuffer.allocateDirect(ACK_LENGTH));

        Side(final Path dataDir, final long parentPid)
        {
            this.backend = Backend.attach(dataDir);
            this.messenger = backend.messenger();
            this.parentPid = parentPid;
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

        /** Waits for the next message and sends it back (from inside the poll). */
        private void echoNext(final SpinWatch watch)
        {
            int idle = 0;
            while (messenger.poll(echo, POLL_LIMIT) == 0)
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
                if (messenger.poll(receiver, POLL_LIMIT) == 0)
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
            while (!messenger.offer(parentPid, TYPE, ack, 0, ACK_LENGTH))
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
            backend.close();
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
                while (!messenger.offer(parentPid, msgTypeId, buffer, index, length))
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
