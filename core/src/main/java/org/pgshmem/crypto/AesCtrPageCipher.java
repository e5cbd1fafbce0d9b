package org.pgshmem.crypto;

import static org.pgshmem.wal.WalPageHeaderDescriptor.LENGTH;
import static org.pgshmem.wal.WalPageHeaderDescriptor.PAGE_SIZE;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.pgshmem.control.ControlFile;
import org.pgshmem.util.PgException;
import org.pgshmem.wal.WalPageCipher;

/**
 * WAL pages in AES-256-CTR: the initial counter block is the page address (the LSN of the
 * page's first byte, big-endian) followed by eight zero bytes, so each page has a key stream of
 * its own (a page uses 512 of the 2^64 counter values after its address; no two pages overlap).
 * CTR keeps lengths, so a page is transformed in place and a partly written page decrypts as
 * far as it was written. There is no authentication tag: the records' CRC-32C catches damage,
 * not forgery.
 *
 * <p>Each thread gets its own {@link Cipher}, reused for every page it transforms.
 */
final class AesCtrPageCipher implements WalPageCipher
{
    private static final String TRANSFORMATION = "AES/CTR/NoPadding";
    private static final int BLOCK = 16;

    private final SecretKeySpec key;
    private final ThreadLocal<Cipher> ciphers = ThreadLocal.withInitial(AesCtrPageCipher::newCipher);

    /** A cipher with the 32-byte {@code dataKey}, which is copied: the caller may zero it. */
    AesCtrPageCipher(final byte[] dataKey)
    {
        if (dataKey.length != EncryptionKeyFile.KEY_LENGTH)
        {
            throw new IllegalArgumentException("a WAL data key is " + EncryptionKeyFile.KEY_LENGTH + " bytes, not "
                + dataKey.length);
        }
        this.key = new SecretKeySpec(dataKey, "AES");
    }

    @Override
    public void encrypt(final long pageAddress, final int epoch, final ByteBuffer page, final int end)
    {
        transform(Cipher.ENCRYPT_MODE, pageAddress, epoch, page, end);
    }

    @Override
    public void decrypt(final long pageAddress, final int epoch, final ByteBuffer page, final int end)
    {
        transform(Cipher.DECRYPT_MODE, pageAddress, epoch, page, end);
    }

    private void transform(final int mode, final long pageAddress, final int epoch, final ByteBuffer page,
        final int end)
    {
        if (end < LENGTH || end > PAGE_SIZE)
        {
            throw new IllegalArgumentException("end " + end + " of a WAL page is outside " + LENGTH + " .. " + PAGE_SIZE);
        }
        if (end == LENGTH)
        {
            return;
        }
        final int start = page.position();
        // views of the page, so that the caller's position and limit stay as they were
        final ByteBuffer in = page.duplicate();
        in.limit(start + end).position(start + LENGTH);
        final ByteBuffer out = page.duplicate();
        out.limit(start + end).position(start + LENGTH);
        final Cipher cipher = ciphers.get();
        try
        {
            cipher.init(mode, key, new IvParameterSpec(counterBlock(pageAddress, epoch)));
            // copy-safe: Cipher allows the output to be the input's own memory
            cipher.doFinal(in, out);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new PgException("could not " + (mode == Cipher.ENCRYPT_MODE ? "encrypt" : "decrypt")
                + " WAL page at " + ControlFile.formatLsn(pageAddress) + ": " + ex, null, null, ex);
        }
    }

    /**
     * The page address, big-endian, then the write epoch, big-endian, then a zero 32-bit block
     * counter that CTR increments (a page is 512 blocks: it never carries into the epoch).
     */
    static byte[] counterBlock(final long pageAddress, final int epoch)
    {
        final byte[] iv = new byte[BLOCK];
        for (int i = 0; i < Long.BYTES; i++)
        {
            iv[i] = (byte)(pageAddress >>> (56 - 8 * i));
        }
        for (int i = 0; i < Integer.BYTES; i++)
        {
            iv[Long.BYTES + i] = (byte)(epoch >>> (24 - 8 * i));
        }
        return iv;
    }

    private static Cipher newCipher()
    {
        try
        {
            return Cipher.getInstance(TRANSFORMATION);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new PgException("could not create the WAL page cipher " + TRANSFORMATION + ": " + ex, null, null, ex);
        }
    }
}
