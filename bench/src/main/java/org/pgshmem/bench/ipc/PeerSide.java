package org.pgshmem.bench.ipc;

import java.io.IOException;

/** What a {@link Peer} does for its contender: the child's half of the measured loops. */
interface PeerSide extends AutoCloseable
{
    /** Sends back each of the next {@code count} messages as it arrives. */
    void echo(int count, int size, SpinWatch watch) throws Exception;

    /** Takes {@code count} messages, checks their sequence numbers, then acks (see {@link Wire#ACK_LENGTH}). */
    void receive(int count, int size, SpinWatch watch) throws Exception;

    /** Detaches, unmaps or disconnects. */
    @Override
    void close() throws IOException;
}
