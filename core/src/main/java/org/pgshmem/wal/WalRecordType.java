package org.pgshmem.wal;

/**
 * The record types (PostgreSQL's resource manager id and info bits in one byte). The high
 * nibble names the resource manager: 0x0_ the WAL itself (xlog), 0x1_ transactions (xact).
 */
public final class WalRecordType
{
    /** A checkpoint at shutdown: nothing was running, redo starts at this record. */
    public static final int CHECKPOINT_SHUTDOWN = 0x01;
    /** A checkpoint while running: redo starts at the location it records. */
    public static final int CHECKPOINT_ONLINE = 0x02;
    /** Fills space reserved by an insertion that was abandoned (a dead process, a redo pointer that moved). */
    public static final int NOOP = 0x03;
    /** A transaction committed; carries its page changes (blocks) so that they are all or nothing. */
    public static final int XACT_COMMIT = 0x10;
    /** A transaction aborted. */
    public static final int XACT_ABORT = 0x11;

    private WalRecordType()
    {
    }

    /** The name pg_waldump would print: rmgr/INFO. */
    public static String name(final int type)
    {
        return switch (type)
        {
            case CHECKPOINT_SHUTDOWN -> "XLOG/CHECKPOINT_SHUTDOWN";
            case CHECKPOINT_ONLINE -> "XLOG/CHECKPOINT_ONLINE";
            case NOOP -> "XLOG/NOOP";
            case XACT_COMMIT -> "Transaction/COMMIT";
            case XACT_ABORT -> "Transaction/ABORT";
            default -> "UNKNOWN/0x" + Integer.toHexString(type);
        };
    }
}
