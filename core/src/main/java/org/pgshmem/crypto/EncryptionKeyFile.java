package org.pgshmem.crypto;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;

import org.pgshmem.util.PgException;

/**
 * The file {@code encryption_key_file} names: the key encryption key that wraps the cluster's WAL
 * key, as 64 hexadecimal digits (256 bits; {@code openssl rand -hex 32 > FILE}), white space
 * around them ignored. It is checked as PostgreSQL checks a server's private key file (be-secure-
 * common.c): a regular file, owned by the user running the server or by root, with no group or
 * world access.
 */
final class EncryptionKeyFile
{
    /** Bytes of the key: AES-256. */
    static final int KEY_LENGTH = 32;
    /** A file longer than this is not a key file; reading stops before loading it. */
    private static final long MAX_FILE_SIZE = 4096;

    private EncryptionKeyFile()
    {
    }

    /**
     * Checks and reads the key in {@code file}; {@code missingHint} is the hint when it does not
     * exist (what to do differs between initdb and a start). The caller zeroes the returned array.
     */
    static byte[] read(final Path file, final String missingHint)
    {
        final PosixFileAttributes attributes;
        try
        {
            attributes = Files.readAttributes(file, PosixFileAttributes.class);
        }
        catch (final NoSuchFileException ex)
        {
            throw new PgException("could not open encryption key file \"" + file + "\": No such file or directory",
                null, missingHint);
        }
        catch (final IOException ex)
        {
            throw new PgException("could not access encryption key file \"" + file + "\": " + reason(ex));
        }
        if (!attributes.isRegularFile())
        {
            throw new PgException("encryption key file \"" + file + "\" is not a regular file");
        }
        final String owner = attributes.owner().getName();
        if (!owner.equals(System.getProperty("user.name")) && !owner.equals("root"))
        {
            throw new PgException("encryption key file \"" + file + "\" must be owned by the database user or root",
                "It is owned by \"" + owner + "\".", null);
        }
        for (final PosixFilePermission p : attributes.permissions())
        {
            if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))
            {
                throw new PgException("encryption key file \"" + file + "\" has group or world access",
                    "File must have permissions u=rw (0600) or less.", "Run \"chmod 0600 " + file + "\".");
            }
        }
        if (attributes.size() > MAX_FILE_SIZE)
        {
            throw malformed(file, "The file has " + attributes.size() + " bytes.");
        }
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new PgException("could not read encryption key file \"" + file + "\": " + reason(ex));
        }
        try
        {
            return parse(file, bytes);
        }
        finally
        {
            Arrays.fill(bytes, (byte)0);
        }
    }

    /** The key in {@code text}: 64 hexadecimal digits between optional white space. */
    static byte[] parse(final Path file, final byte[] text)
    {
        int from = 0;
        int to = text.length;
        while (from < to && Character.isWhitespace(text[from]))
        {
            from++;
        }
        while (to > from && Character.isWhitespace(text[to - 1]))
        {
            to--;
        }
        if (to - from != 2 * KEY_LENGTH)
        {
            // the length only, never the content: it may be a key of the wrong size
            throw malformed(file, "It holds " + (to - from) + " characters between white space; a key is "
                + 2 * KEY_LENGTH + " hexadecimal digits.");
        }
        final byte[] key = new byte[KEY_LENGTH];
        for (int i = 0; i < KEY_LENGTH; i++)
        {
            final int high = Character.digit(text[from + 2 * i], 16);
            final int low = Character.digit(text[from + 2 * i + 1], 16);
            if (high < 0 || low < 0)
            {
                Arrays.fill(key, (byte)0);
                throw malformed(file, "It holds a character that is not a hexadecimal digit.");
            }
            key[i] = (byte)(high << 4 | low);
        }
        return key;
    }

    private static PgException malformed(final Path file, final String detail)
    {
        return new PgException("invalid encryption key in file \"" + file + "\"", detail,
            "The file must hold a 256-bit key as " + 2 * KEY_LENGTH + " hexadecimal digits, as made by \"openssl rand -hex "
                + KEY_LENGTH + "\".");
    }

    private static String reason(final IOException ex)
    {
        if (ex instanceof AccessDeniedException)
        {
            return "Permission denied";
        }
        return ex.getMessage() == null ? ex.toString() : ex.getMessage();
    }
}
