package org.pgshmem.bench.ipc;

import static org.pgshmem.bench.ipc.SpinWatch.SPINS_PER_CHECK;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The physical floor of a one-way message between two processes: a cache-line ping-pong over
 * a mapped file. The parent stores a counter in its line, the child spins until it sees it and
 * stores the same value in its own line, the parent spins until it sees that. One round trip
 * is two cache-line transfers between cores and nothing else, so half of it is the least any
 * message through shared memory can cost. It carries no payload and has no throughput figure.
 *
 * <pre>
 *   0    ping: the parent's counter (release store; the child reads it volatile)
 *   128  pong: the child's echo of it
 * </pre>
 * The lines are 128 bytes apart so that the adjacent-line prefetcher does not pair them.
 */
final class FloorContender implements Contender
{
    static final String NAME = "floor";

    static final int PING_OFFSET = 0;
    static final int PONG_OFFSET = 128;
    static final int FILE_LENGTH = 4096;

    private final PeerProcess peer;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer lines;
    /** The last value sent: values go on rising across phases, so a stale pong never matches. */
    private long sequence;

    private FloorContender(final PeerProcess peer, final MappedByteBuffer mapped)
    {
        this.peer = peer;
        this.mapped = mapped;
        this.lines = new UnsafeBuffer(mapped, 0, FILE_LENGTH);
    }

    /** Creates {@code file}, zeroed, and starts a child that maps it too. */
    static FloorContender start(final Path file, final Duration phaseTimeout) throws IOException, InterruptedException
    {
        final MappedByteBuffer mapped = MappedFiles.map(file, FILE_LENGTH);
        try
        {
            return new FloorContender(PeerProcess.start("floor peer", NAME, List.of(file.toString()), phaseTimeout),
                mapped);
        }
        catch (final IOException | InterruptedException | RuntimeException ex)
        {
            MappedFiles.unmap(mapped);
            throw ex;
        }
    }

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public String label()
    {
        return "floor: cache-line ping-pong (mapped file)";
    }

    @Override
    public boolean measuresLatency()
    {
        return true;
    }

    @Override
    public boolean measuresThroughput()
    {
        return false;
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

    /** {@code size} is ignored: the floor moves one counter. */
    @Override
    public void pingPong(final int roundTrips, final int size, final Histogram roundTripNanos)
    {
        final SpinWatch watch = peer.begin("echo", roundTrips, Long.BYTES);
        for (int i = 0; i < roundTrips; i++)
        {
            roundTripNanos.recordValue(Math.min(roundTrip(++sequence, watch), Wire.MAX_RECORDED_NANOS));
        }
        peer.end();
    }

    private long roundTrip(final long value, final SpinWatch watch)
    {
        final long start = System.nanoTime();
        lines.putLongRelease(PING_OFFSET, value);
        int idle = 0;
        while (lines.getLongVolatile(PONG_OFFSET) != value)
        {
            if (++idle == SPINS_PER_CHECK)
            {
                idle = 0;
                watch.check();
            }
        }
        return System.nanoTime() - start;
    }

    @Override
    public long stream(final int messages, final int size)
    {
        throw new UnsupportedOperationException("the floor has no throughput figure");
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
            MappedFiles.unmap(mapped);
        }
    }

    /** The child's half: echoes each new counter value into its own line. */
    static final class Side implements PeerSide
    {
        private final MappedByteBuffer mapped;
        private final UnsafeBuffer lines;
        private long last;

        Side(final Path file) throws IOException
        {
            this.mapped = MappedFiles.map(file, FILE_LENGTH);
            this.lines = new UnsafeBuffer(mapped, 0, FILE_LENGTH);
        }

        @Override
        public void echo(final int count, final int size, final SpinWatch watch)
        {
            for (int i = 0; i < count; i++)
            {
                echoNext(watch);
            }
        }

        private void echoNext(final SpinWatch watch)
        {
            final long value = last + 1;
            int idle = 0;
            while (lines.getLongVolatile(PING_OFFSET) != value)
            {
                if (++idle == SPINS_PER_CHECK)
                {
                    idle = 0;
                    watch.check();
                }
            }
            lines.putLongRelease(PONG_OFFSET, value);
            last = value;
        }

        @Override
        public void receive(final int count, final int size, final SpinWatch watch)
        {
            throw new UnsupportedOperationException("the floor has no throughput figure");
        }

        @Override
        public void close()
        {
            MappedFiles.unmap(mapped);
        }
    }
}
