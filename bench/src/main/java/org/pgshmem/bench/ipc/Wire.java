package org.pgshmem.bench.ipc;

import org.pgshmem.ipc.MessageTypes;

/**
 * What every contender sends, so that all of them move the same bytes: a message of the
 * benchmark's size whose first eight bytes are its sequence number (0, 1, 2, ... within a
 * phase), the rest left as they are. Ring-buffer contenders send it as one record of type
 * {@link #TYPE}; the socket sends the bytes alone (the size is fixed, so no framing is needed).
 * The receiver of a stream checks every sequence number and answers with an {@linkplain #ACK_LENGTH ack}.
 */
final class Wire
{
    /** The message type of every record: the first id applications may use. */
    static final int TYPE = MessageTypes.FIRST_APPLICATION_TYPE;
    /** Where the sequence number sits in a message. */
    static final int SEQUENCE_OFFSET = 0;
    /** The smallest message: it must hold the sequence number. */
    static final int MIN_SIZE = Long.BYTES;
    /** The largest message: the socket's batch and Agrona's limit for a 64 KiB ring (capacity / 8). */
    static final int MAX_SIZE = 8 * 1024;
    /** Bytes a batched socket write carries (several messages at once). */
    static final int BATCH_BYTES = 8 * 1024;
    /** The answer to a stream: messages received (long), then messages out of sequence (long). */
    static final int ACK_LENGTH = 2 * Long.BYTES;
    /** Records one poll may deliver: all there are, as Agrona's {@code read(handler)} does. */
    static final int POLL_LIMIT = Integer.MAX_VALUE;
    /** Round trips longer than this are recorded as this (the histogram's range). */
    static final long MAX_RECORDED_NANOS = 60_000_000_000L;

    private Wire()
    {
    }

    /** Fails unless the ack says {@code expected} messages arrived in order. */
    static void checkAck(final String who, final long expected, final long received, final long outOfSequence)
    {
        if (received != expected || outOfSequence != 0)
        {
            throw new IllegalStateException(who + " received " + received + " of " + expected + " messages, "
                + outOfSequence + " of them out of sequence or malformed");
        }
    }
}
