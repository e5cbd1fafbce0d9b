package org.pgshmem.bench.ipc;

import static org.pgshmem.bench.ipc.Wire.ACK_LENGTH;
import static org.pgshmem.bench.ipc.Wire.BATCH_BYTES;
import static org.pgshmem.bench.ipc.Wire.SEQUENCE_OFFSET;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.HdrHistogram.Histogram;

/**
 * What a user would pick otherwise: a JDK Unix-domain {@link SocketChannel} pair
 * ({@link StandardProtocolFamily#UNIX}), blocking on both sides, no framing (messages have a
 * fixed size). The ping-pong writes a message and blocks reading the echo. The stream either
 * writes each message with a write call of its own ({@code socket}: what a program sending
 * messages one at a time does) or packs as many as fit in {@value Wire#BATCH_BYTES} bytes
 * into each write ({@code socket-batched}: what batching buys; throughput only). The receiver
 * reads up to 64 KiB at a time and checks every message's sequence number.
 *
 * <p>Blocking reads have no timeout; the phase's kill timer (see {@link PeerProcess}) bounds
 * them: a killed child closes the connection and the read fails.
 */
final class SocketContender implements Contender
{
    static final String NAME = "socket";
    static final String BATCHED_NAME = "socket-batched";

    private static final int RECEIVE_BUFFER = 64 * 1024;

    private final boolean batched;
    private final PeerProcess peer;
    private final SocketChannel channel;
    private final ByteBuffer out = ByteBuffer.allocateDirect(BATCH_BYTES);
    private final ByteBuffer in = ByteBuffer.allocateDirect(Wire.MAX_SIZE);

    private SocketContender(final boolean batched, final PeerProcess peer, final SocketChannel channel)
    {
        this.batched = batched;
        this.peer = peer;
        this.channel = channel;
    }

    /** Listens on {@code socketFile}, starts a child that connects to it, accepts its connection. */
    static SocketContender start(final Path socketFile, final boolean batched, final Duration phaseTimeout)
        throws IOException, InterruptedException
    {
        PeerProcess peer = null;
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            server.bind(UnixDomainSocketAddress.of(socketFile));
            peer = PeerProcess.start(batched ? "batched socket peer" : "socket peer", batched ? BATCHED_NAME : NAME,
                List.of(socketFile.toString()), phaseTimeout);
            // the child said ready after its connect returned: the connection waits in the backlog
            server.configureBlocking(false);
            final SocketChannel channel = server.accept();
            if (channel == null)
            {
                throw new IllegalStateException(peer.name() + " is ready but no connection to \"" + socketFile
                    + "\" is pending");
            }
            channel.configureBlocking(true);
            return new SocketContender(batched, peer, channel);
        }
        catch (final IOException | InterruptedException | RuntimeException ex)
        {
            if (peer != null)
            {
                peer.close();
            }
            throw ex;
        }
        finally
        {
            Files.deleteIfExists(socketFile);
        }
    }

    @Override
    public String name()
    {
        return batched ? BATCHED_NAME : NAME;
    }

    @Override
    public String label()
    {
        return batched ? "Unix socket, blocking, batched: " + BATCH_BYTES / 1024 + " KiB per write"
            : "Unix socket, blocking, one write per message";
    }

    @Override
    public boolean measuresLatency()
    {
        return !batched;
    }

    @Override
    public boolean measuresThroughput()
    {
        return true;
    }

    @Override
    public boolean slow()
    {
        return !batched;
    }

    @Override
    public PeerProcess peer()
    {
        return peer;
    }

    @Override
    public void pingPong(final int roundTrips, final int size, final Histogram roundTripNanos)
    {
        peer.begin("echo", roundTrips, size);
        try
        {
            for (int i = 0; i < roundTrips; i++)
            {
                roundTripNanos.recordValue(Math.min(roundTrip(i, size), Wire.MAX_RECORDED_NANOS));
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(peer.name() + ": " + ex, ex);
        }
        peer.end();
    }

    private long roundTrip(final long sequence, final int size) throws IOException
    {
        out.clear().limit(size);
        out.putLong(SEQUENCE_OFFSET, sequence);
        final long start = System.nanoTime();
        writeFully(channel, out);
        in.clear().limit(size);
        readFully(channel, in);
        final long elapsed = System.nanoTime() - start;
        if (in.getLong(SEQUENCE_OFFSET) != sequence)
        {
            throw new IllegalStateException(peer.name() + " echoed message " + in.getLong(SEQUENCE_OFFSET) + " for "
                + sequence);
        }
        return elapsed;
    }

    @Override
    public long stream(final int messages, final int size)
    {
        peer.begin("receive", messages, size);
        final long elapsed;
        try
        {
            final long start = System.nanoTime();
            if (batched)
            {
                sendBatched(messages, size);
            }
            else
            {
                for (int i = 0; i < messages; i++)
                {
                    send(i, size);
                }
            }
            in.clear().limit(ACK_LENGTH);
            readFully(channel, in);
            elapsed = System.nanoTime() - start;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(peer.name() + ": " + ex, ex);
        }
        peer.end();
        Wire.checkAck(peer.name(), messages, in.getLong(0), in.getLong(Long.BYTES));
        return elapsed;
    }

    private void send(final long sequence, final int size) throws IOException
    {
        out.clear().limit(size);
        out.putLong(SEQUENCE_OFFSET, sequence);
        writeFully(channel, out);
    }

    private void sendBatched(final int messages, final int size) throws IOException
    {
        final int perWrite = Math.max(1, BATCH_BYTES / size);
        int sent = 0;
        while (sent < messages)
        {
            final int n = Math.min(perWrite, messages - sent);
            out.clear().limit(n * size);
            for (int k = 0; k < n; k++)
            {
                out.putLong(k * size + SEQUENCE_OFFSET, sent + k);
            }
            writeFully(channel, out);
            sent += n;
        }
    }

    static void writeFully(final SocketChannel channel, final ByteBuffer buffer) throws IOException
    {
        while (buffer.hasRemaining())
        {
            channel.write(buffer);
        }
    }

    static void readFully(final SocketChannel channel, final ByteBuffer buffer) throws IOException
    {
        while (buffer.hasRemaining())
        {
            if (channel.read(buffer) < 0)
            {
                throw new EOFException("the connection was closed");
            }
        }
    }

    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            // the child is stopped below either way
        }
        peer.close();
    }

    /** The child's half: connected to the parent's socket, blocking. */
    static final class Side implements PeerSide
    {
        private final SocketChannel channel;
        private final ByteBuffer in = ByteBuffer.allocateDirect(RECEIVE_BUFFER);
        private final ByteBuffer ack = ByteBuffer.allocateDirect(ACK_LENGTH);

        Side(final Path socketFile) throws IOException
        {
            this.channel = SocketChannel.open(UnixDomainSocketAddress.of(socketFile));
        }

        @Override
        public void echo(final int count, final int size, final SpinWatch watch) throws IOException
        {
            for (int i = 0; i < count; i++)
            {
                in.clear().limit(size);
                readFully(channel, in);
                in.flip();
                writeFully(channel, in);
            }
        }

        @Override
        public void receive(final int count, final int size, final SpinWatch watch) throws IOException
        {
            long expected = 0;
            long outOfSequence = 0;
            in.clear();
            while (expected < count)
            {
                if (channel.read(in) < 0)
                {
                    throw new EOFException("the connection was closed after " + expected + " of " + count
                        + " messages");
                }
                in.flip();
                while (in.remaining() >= size)
                {
                    final int at = in.position();
                    if (in.getLong(at + SEQUENCE_OFFSET) != expected)
                    {
                        outOfSequence++;
                    }
                    expected++;
                    in.position(at + size);
                }
                in.compact();
            }
            if (in.position() != 0)
            {
                outOfSequence++;
            }
            ack.clear();
            ack.putLong(0, expected);
            ack.putLong(Long.BYTES, outOfSequence);
            writeFully(channel, ack);
        }

        @Override
        public void close() throws IOException
        {
            channel.close();
        }
    }
}
