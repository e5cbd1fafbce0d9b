package org.pgshmem.ipc;

/**
 * Message type ids (Agrona's msgTypeId, always positive). Ids 1 to 999 are pgshmem's own;
 * applications use {@link #FIRST_APPLICATION_TYPE} and above. docs/PROTOCOL.md lists the
 * layouts, so that a plain Agrona client in another program can speak to a cluster.
 */
public final class MessageTypes
{
    /**
     * Broadcast by the postmaster when a shutdown begins. Payload: int mode (1 smart, 2 fast,
     * 3 immediate). Backends should detach; on fast and immediate they are expected to at once.
     */
    public static final int SHUTDOWN_NOTICE = 1;
    /** To the postmaster's inbox: please shut down. Payload: int mode, as above. */
    public static final int SHUTDOWN_REQUEST = 2;
    /**
     * To the checkpointer's inbox (proc-array slot 2): please checkpoint. Payload: nothing, for
     * IMMEDIATE | FORCE (PostgreSQL's CHECKPOINT command), or an int of CheckPoint flags
     * (IMMEDIATE 4, FORCE 8, CAUSE_XLOG 0x80; other bits are ignored). The request is OR'ed into
     * "Checkpointer Data" as {@code CheckpointerShmem.requestCheckpoint} does; to learn when it is
     * done, read Checkpoints Started before sending and wait until Checkpoints Done passes it.
     */
    public static final int CHECKPOINT_REQUEST = 10;
    /** To the background writer's inbox: buffers were allocated, leave hibernation (with the buffer manager). */
    public static final int BGWRITER_WAKEUP = 20;
    /** Text from {@code pgshmem backend}'s send and broadcast: payload long sender pid, then UTF-8 text. */
    public static final int TEXT = 100;

    /** The lowest id an application may use. */
    public static final int FIRST_APPLICATION_TYPE = 1000;

    private MessageTypes()
    {
    }
}
