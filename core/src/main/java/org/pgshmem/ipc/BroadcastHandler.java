package org.pgshmem.ipc;

import org.agrona.DirectBuffer;

/** Receives a broadcast message. */
@FunctionalInterface
public interface BroadcastHandler
{
    /**
     * @param msgTypeId the message type
     * @param buffer    holds the payload; valid only during the call
     * @param offset    where the payload starts
     * @param length    payload length
     * @param senderPid the pid of the process that broadcast it
     */
    void onBroadcast(int msgTypeId, DirectBuffer buffer, int offset, int length, long senderPid);
}
