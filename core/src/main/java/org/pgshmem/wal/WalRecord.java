package org.pgshmem.wal;

import org.agrona.DirectBuffer;

/**
 * A record read back from the WAL: a flyweight the reader reuses for every record, valid until
 * the next one is read.
 */
public interface WalRecord
{
    /** Where the record starts. */
    long lsn();

    /** Where the next record may start: this record's end, page headers counted, aligned. */
    long endLsn();

    /** The record type ({@link WalRecordType}). */
    int type();

    /** The transaction id, 0 for none. */
    long xid();

    /** The payload, contiguous (page headers removed), from offset 0. */
    DirectBuffer payload();

    /** Bytes of payload. */
    int payloadLength();
}
