package org.pgshmem.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.util.PgException;

class EncryptionKeyFileTest
{
    static final String HEX = "00112233445566778899aabbccddeeff0123456789ABCDEFfedcba9876543210";

    @TempDir
    Path tmp;

    /** A key file with {@code content} and {@code mode}. */
    static Path keyFile(final Path file, final String content, final String mode) throws Exception
    {
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    @Test
    void sixtyFourHexDigitsBetweenWhiteSpaceAreTheKey() throws Exception
    {
        final Path file = keyFile(tmp.resolve("kek"), "\n  " + HEX + " \n\n", "rw-------");
        assertArrayEquals(HexFormat.of().parseHex(HEX.toLowerCase()), EncryptionKeyFile.read(file, "hint"));
        assertEquals(32, EncryptionKeyFile.read(keyFile(tmp.resolve("ro"), HEX, "r--------"), "hint").length,
            "read-only for the owner is fine");
    }

    @Test
    void aKeyOfTheWrongLengthIsRefusedWithoutShowingIt() throws Exception
    {
        for (final String bad : new String[] {HEX.substring(2), HEX + "00", ""})
        {
            final Path file = keyFile(tmp.resolve("kek"), bad, "rw-------");
            final PgException ex = assertThrows(PgException.class, () -> EncryptionKeyFile.read(file, "hint"));
            assertEquals("invalid encryption key in file \"" + file + "\"", ex.getMessage());
            assertEquals("It holds " + bad.length() + " characters between white space; a key is 64 hexadecimal digits.",
                ex.detail());
            assertEquals("The file must hold a 256-bit key as 64 hexadecimal digits, as made by \"openssl rand -hex 32\".",
                ex.hint());
            assertFalse(!bad.isEmpty() && (ex.getMessage() + ex.detail()).contains(bad.substring(0, 8)));
        }
    }

    @Test
    void aCharacterThatIsNoHexDigitIsRefused() throws Exception
    {
        for (final String bad : new String[] {HEX.substring(0, 63) + "g", HEX.substring(0, 32) + " " + HEX.substring(33)})
        {
            final Path file = keyFile(tmp.resolve("kek"), bad, "rw-------");
            final PgException ex = assertThrows(PgException.class, () -> EncryptionKeyFile.read(file, "hint"));
            assertEquals("invalid encryption key in file \"" + file + "\"", ex.getMessage());
            assertEquals("It holds a character that is not a hexadecimal digit.", ex.detail());
        }
    }

    @Test
    void aMissingFileIsRefusedWithTheCallersHint()
    {
        final Path file = tmp.resolve("nowhere");
        final PgException ex = assertThrows(PgException.class, () -> EncryptionKeyFile.read(file, "do this"));
        assertEquals("could not open encryption key file \"" + file + "\": No such file or directory", ex.getMessage());
        assertEquals("do this", ex.hint());
    }

    @Test
    void aFileWithGroupOrWorldAccessIsRefused() throws Exception
    {
        for (final String mode : new String[] {"rw-r-----", "rw----r--", "rw--w----", "rw------x"})
        {
            final Path file = keyFile(tmp.resolve("kek"), HEX, mode);
            final PgException ex = assertThrows(PgException.class, () -> EncryptionKeyFile.read(file, "hint"), mode);
            assertEquals("encryption key file \"" + file + "\" has group or world access", ex.getMessage());
            assertEquals("File must have permissions u=rw (0600) or less.", ex.detail());
            assertEquals("Run \"chmod 0600 " + file + "\".", ex.hint());
        }
    }

    @Test
    void aDirectoryIsNoKeyFile() throws Exception
    {
        final Path dir = Files.createDirectory(tmp.resolve("dir"));
        final PgException ex = assertThrows(PgException.class, () -> EncryptionKeyFile.read(dir, "hint"));
        assertEquals("encryption key file \"" + dir + "\" is not a regular file", ex.getMessage());
    }

    @Test
    void aHugeFileIsNotRead() throws Exception
    {
        final Path file = keyFile(tmp.resolve("kek"), HEX.repeat(100), "rw-------");
        final PgException ex = assertThrows(PgException.class, () -> EncryptionKeyFile.read(file, "hint"));
        assertEquals("The file has 6400 bytes.", ex.detail());
    }
}
