package org.pgshmem.xact;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of struct "Transam Variables" (PostgreSQL's TransamVariablesData, with the xid of every
 * PGPROC beside it as in ProcGlobal->xids): the next transaction id on a cache line of its own,
 * then one long per proc-array slot holding the transaction id its process runs.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  Next XID: the id the next transaction to write gets          |  0
 *  +---------------------------------------------------------------+
 *  |  zeros up to 64                                              ...  8
 *  +---------------------------------------------------------------+
 *  |  XID of slot 0                                                | 64
 *  |  XID of slot 1 ...                                            | 72
 *  +---------------------------------------------------------------+
 * </pre>
 * A slot's XID is 0 when its process runs no transaction that has written, {@link #ASSIGNING}
 * while it takes an id (written before Next XID is incremented, so that a reader never sees an
 * id below Next XID that is neither recorded here nor finished), else the id.
 */
public final class TransamVariablesDescriptor
{
    public static final int NEXT_XID_OFFSET = 0;
    public static final int SLOT_XIDS_OFFSET = CACHE_LINE_LENGTH;

    /** A slot's XID while its process takes an id. */
    public static final long ASSIGNING = -1;

    private TransamVariablesDescriptor()
    {
    }

    /** Where slot {@code slot}'s XID is. */
    public static int slotXidOffset(final int slot)
    {
        return SLOT_XIDS_OFFSET + slot * SIZE_OF_LONG;
    }

    /** Bytes of the struct for {@code slots} proc-array slots. */
    public static int length(final int slots)
    {
        return SLOT_XIDS_OFFSET + slots * SIZE_OF_LONG;
    }
}
