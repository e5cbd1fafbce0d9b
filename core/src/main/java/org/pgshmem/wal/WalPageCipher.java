package org.pgshmem.wal;

import java.nio.ByteBuffer;

/**
 * Encrypts WAL pages on their way to the segment files and decrypts them on the way back (the
 * hook the WAL encryption module fills). A page's header stays in the clear; bytes
 * {@link WalPageHeaderDescriptor#LENGTH} up to {@code end} are transformed in place. The nonce is
 * the page's address (its LSN) and the write epoch (a random number drawn at every start and kept
 * in the page header), so that no two pages share a key stream: a page written again with more
 * records reuses its key stream only over bytes that did not change, and WAL written over a torn
 * tail after a crash gets a new key stream.
 */
public interface WalPageCipher
{
    /**
     * Encrypts bytes {@code LENGTH .. end} of the page starting at {@code page.position()} in
     * place; {@code pageAddress} is the LSN of the page's first byte, {@code epoch} the write
     * epoch in its header.
     */
    void encrypt(long pageAddress, int epoch, ByteBuffer page, int end);

    /** Decrypts what {@link #encrypt} made of bytes {@code LENGTH .. end}, in place. */
    void decrypt(long pageAddress, int epoch, ByteBuffer page, int end);
}
