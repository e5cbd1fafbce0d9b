package org.pgshmem.crypto;

import static org.pgshmem.crypto.WalKeyFileDescriptor.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.util.zip.CRC32C;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.util.DurableFiles;
import org.pgshmem.util.PgException;
import org.pgshmem.util.Platform;

/**
 * {@code DATA/keys/wal.key} ({@link WalKeyFileDescriptor}): writes the wrapped data key at
 * initdb, and at start reads it back, checks it belongs to this cluster and unwraps it with the
 * key encryption key. A wrong key encryption key is found by the key wrap's integrity check.
 */
final class WalKeyFile
{
    /** The JDK's name of AES key wrap, RFC 3394 (AES/KW/NoPadding). */
    private static final String KEY_WRAP = "AESWrap";

    private WalKeyFile()
    {
    }

    /** RFC 3394 of {@code dataKey} under {@code keyEncryptionKey}. */
    static byte[] wrap(final byte[] keyEncryptionKey, final byte[] dataKey)
    {
        try
        {
            final Cipher cipher = Cipher.getInstance(KEY_WRAP);
            cipher.init(Cipher.WRAP_MODE, new SecretKeySpec(keyEncryptionKey, "AES"));
            return cipher.wrap(new SecretKeySpec(dataKey, "AES"));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new PgException("could not wrap the WAL encryption key: " + ex, null, null, ex);
        }
    }

    /**
     * The data key {@code wrapped} holds, or null when the key wrap's integrity check fails:
     * {@code keyEncryptionKey} is not the key it was wrapped with (or the bytes were changed).
     */
    static byte[] unwrap(final byte[] keyEncryptionKey, final byte[] wrapped)
    {
        final Cipher cipher;
        try
        {
            cipher = Cipher.getInstance(KEY_WRAP);
            cipher.init(Cipher.UNWRAP_MODE, new SecretKeySpec(keyEncryptionKey, "AES"));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new PgException("could not unwrap the WAL encryption key: " + ex, null, null, ex);
        }
        try
        {
            final Key key = cipher.unwrap(wrapped, "AES", Cipher.SECRET_KEY);
            return key.getEncoded();
        }
        catch (final InvalidKeyException ex)
        {
            return null;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new PgException("could not unwrap the WAL encryption key: " + ex, null, null, ex);
        }
    }

    /** Writes {@code file} durably (0600) with the {@code wrapped} key of cluster {@code systemIdentifier}. */
    static void write(final Path file, final long systemIdentifier, final byte[] wrapped) throws IOException
    {
        Platform.requireLittleEndian();
        final byte[] bytes = new byte[FILE_SIZE];
        final UnsafeBuffer buf = new UnsafeBuffer(bytes);
        buf.putInt(MAGIC_OFFSET, MAGIC);
        buf.putShort(VERSION_OFFSET, VERSION);
        buf.putShort(ALGORITHM_OFFSET, ALGORITHM_AES256_KW_CTR);
        buf.putLong(SYSTEM_IDENTIFIER_OFFSET, systemIdentifier);
        buf.putInt(WRAPPED_KEY_LENGTH_OFFSET, wrapped.length);
        buf.putBytes(WRAPPED_KEY_OFFSET, wrapped);
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, CRC_OFFSET);
        buf.putInt(CRC_OFFSET, (int)crc.getValue());
        DurableFiles.write(file, bytes);
    }

    /**
     * Reads {@code file}, checks it names cluster {@code systemIdentifier}, and unwraps its key with
     * the key encryption key read from {@code keyFile}. The caller zeroes the returned array.
     */
    static byte[] readDataKey(final Path file, final long systemIdentifier, final byte[] keyEncryptionKey,
        final Path keyFile)
    {
        final byte[] wrapped = readWrapped(file, systemIdentifier);
        final byte[] dataKey = unwrap(keyEncryptionKey, wrapped);
        if (dataKey == null)
        {
            throw new PgException("could not unwrap the WAL encryption key in \"" + file + "\": the key in \"" + keyFile
                + "\" is not the one this cluster was initialized with",
                "The integrity check of the AES key wrap (RFC 3394) failed.",
                "Set encryption_key_file in pgshmem.conf to the file given to initdb --encryption-key-file,"
                    + " or put that key back in \"" + keyFile + "\".");
        }
        return dataKey;
    }

    /** The wrapped key of {@code file}, after checking size, CRC, magic, version, algorithm and cluster. */
    static byte[] readWrapped(final Path file, final long systemIdentifier)
    {
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            throw new PgException("could not open file \"" + file + "\": No such file or directory",
                "encryption_key_file is set, but the cluster was not initialized with WAL encryption"
                    + " (or its wrapped WAL key was removed).",
                "WAL encryption is chosen at initdb (--encryption-key-file); remove encryption_key_file from"
                    + " pgshmem.conf, or restore the file from a backup.");
        }
        catch (final IOException ex)
        {
            throw new PgException("could not read file \"" + file + "\": " + ex.getMessage());
        }
        if (bytes.length != FILE_SIZE)
        {
            throw damaged(file, "It is " + bytes.length + " bytes; the file is " + FILE_SIZE + " bytes.");
        }
        final UnsafeBuffer buf = new UnsafeBuffer(bytes);
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, CRC_OFFSET);
        if ((int)crc.getValue() != buf.getInt(CRC_OFFSET))
        {
            throw damaged(file, "Calculated CRC checksum does not match value stored in file.");
        }
        if (buf.getInt(MAGIC_OFFSET) != MAGIC)
        {
            throw damaged(file, "It is not a pgshmem WAL key file.");
        }
        if (buf.getShort(VERSION_OFFSET) != VERSION || buf.getShort(ALGORITHM_OFFSET) != ALGORITHM_AES256_KW_CTR
            || buf.getInt(WRAPPED_KEY_LENGTH_OFFSET) != WRAPPED_KEY_LENGTH)
        {
            throw new PgException("WAL key file \"" + file + "\" is incompatible with server",
                "It has version " + buf.getShort(VERSION_OFFSET) + ", algorithm " + buf.getShort(ALGORITHM_OFFSET)
                    + " and a wrapped key of " + buf.getInt(WRAPPED_KEY_LENGTH_OFFSET) + " bytes; the server knows version "
                    + VERSION + ", algorithm " + ALGORITHM_AES256_KW_CTR + ", " + WRAPPED_KEY_LENGTH + " bytes.",
                "It looks like you need to initdb.");
        }
        final long owner = buf.getLong(SYSTEM_IDENTIFIER_OFFSET);
        if (owner != systemIdentifier)
        {
            throw new PgException("WAL key file \"" + file + "\" belongs to another cluster",
                "It was made for system identifier " + Long.toUnsignedString(owner) + "; this cluster's is "
                    + Long.toUnsignedString(systemIdentifier) + ".",
                "Restore this cluster's own keys directory from a backup.");
        }
        final byte[] wrapped = new byte[WRAPPED_KEY_LENGTH];
        buf.getBytes(WRAPPED_KEY_OFFSET, wrapped);
        return wrapped;
    }

    private static PgException damaged(final Path file, final String detail)
    {
        return new PgException("WAL key file \"" + file + "\" is damaged", detail,
            "Restore the data directory's keys directory from a backup.");
    }
}
