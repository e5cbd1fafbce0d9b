package org.pgshmem.wal;

import org.agrona.DirectBuffer;
import org.pgshmem.module.ShmemModule;

/**
 * The write-ahead log (PostgreSQL's xlog.c), a module: records are inserted by any process with
 * one atomic add on the shared insert position, copied into the WAL buffers in shared memory
 * ({@code wal_buffers}), then written to the segment files under {@code DATA/wal} and flushed;
 * committers waiting for the same flush share one fsync (group commit).
 */
public final class Wal implements ShmemModule
{
    /** The module's name. */
    public static final String NAME = "wal";
    /** No LSN (InvalidXLogRecPtr). */
    public static final long INVALID_LSN = 0;

    /** Insertion state of a slot: not inserting. */
    public static final int INSERT_IDLE = 0;
    /** Insertion state of a slot: reserving space; its start is not known yet. */
    public static final int INSERT_RESERVING = 1;
    /** Insertion state of a slot: copying its record into the WAL buffers. */
    public static final int INSERT_COPYING = 2;
    /** Insertion state of a slot: its record is in the WAL buffers and it is applying it to pages. */
    public static final int INSERT_APPLYING = 3;

    @Override
    public String name()
    {
        return NAME;
    }

    /** RedoRecPtr: the redo location of the checkpoint in progress or the last one; a page whose LSN is not past it needs a full-page image at its next change. */
    public long redoRecPtr()
    {
        throw new UnsupportedOperationException("not yet");
    }

    /** Whether full_page_writes is on. */
    public boolean fullPageWrites()
    {
        throw new UnsupportedOperationException("not yet");
    }

    /**
     * XLogInsert: appends a record of {@code type} for transaction {@code xid} (0: none) with the
     * payload {@code payload[offset, offset + length)}, and returns its end LSN (what a page it
     * changes gets as its LSN). Returns {@link #INVALID_LSN} instead when the redo pointer moved
     * past {@code redoRecPtrUsed} (the value of {@link #redoRecPtr} the caller based its full-page
     * image decisions on): the record was not inserted, and the caller builds it again.
     * With {@code apply}, this process's slot stays in {@link #INSERT_APPLYING} until
     * {@link #endApply}, so that if it dies meanwhile the record is applied again by its cleanup.
     */
    public long insert(final int type, final long xid, final DirectBuffer payload, final int offset, final int length,
        final long redoRecPtrUsed, final boolean apply)
    {
        throw new UnsupportedOperationException("not yet");
    }

    /** Where the record this process inserted last starts. */
    public long lastInsertLsn()
    {
        throw new UnsupportedOperationException("not yet");
    }

    /** The record inserted with {@code apply} is applied: this process's slot goes back to idle. */
    public void endApply()
    {
        throw new UnsupportedOperationException("not yet");
    }

    /** XLogFlush: returns once the WAL up to {@code lsn} is on disk (written and fsynced). */
    public void flush(final long lsn)
    {
        throw new UnsupportedOperationException("not yet");
    }

    /** The insertion state of proc-array slot {@code slot} ({@link #INSERT_IDLE} ...). */
    public int insertState(final int slot)
    {
        throw new UnsupportedOperationException("not yet");
    }

    /** The start LSN of the record slot {@code slot} is inserting or applying. */
    public long insertStartOf(final int slot)
    {
        throw new UnsupportedOperationException("not yet");
    }

    /** Reads back the record at {@code lsn}, from the files (flushing up to it first if needed). */
    public WalRecord readRecord(final long lsn)
    {
        throw new UnsupportedOperationException("not yet");
    }

    /** Registers this process's redo routine for records of {@code type}. */
    public void registerRedo(final int type, final RedoHandler handler)
    {
        throw new UnsupportedOperationException("not yet");
    }

    /** Installs the cipher every WAL page is encrypted with on its way to disk (the encryption module's shmemInit). */
    public void pageCipher(final WalPageCipher cipher)
    {
        throw new UnsupportedOperationException("not yet");
    }
}
