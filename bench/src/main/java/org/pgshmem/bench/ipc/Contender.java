package org.pgshmem.bench.ipc;

import org.HdrHistogram.Histogram;

/**
 * One way of moving messages between this process and one child process (its {@link PeerProcess}),
 * measured by {@link MessagingBenchmark}. Each implementation has its own measured loops, so
 * that the JIT compiles each contender's calls monomorphically and none pays for another.
 */
interface Contender extends AutoCloseable
{
    /** Short name, as {@code --contenders} takes it. */
    String name();

    /** What the table row says. */
    String label();

    /** Whether it takes part in the ping-pong (latency) measurement. */
    boolean measuresLatency();

    /** Whether it takes part in the stream (throughput) measurement. */
    boolean measuresThroughput();

    /** Whether it is slow enough to need the smaller socket counts. */
    boolean slow();

    /**
     * {@code roundTrips} ping-pongs of {@code size}-byte messages: send one, wait for it to come
     * back; each round trip's time in nanoseconds goes into {@code roundTripNanos}.
     */
    void pingPong(int roundTrips, int size, Histogram roundTripNanos);

    /**
     * Sends {@code messages} messages of {@code size} bytes as fast as the peer takes them and
     * waits for its ack; returns the nanoseconds from the first send to the ack.
     */
    long stream(int messages, int size);

    /** The child process. */
    PeerProcess peer();

    /** Stops the child and releases what this side holds. */
    @Override
    void close();
}
