package org.pgshmem.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.util.PgException;

class WalKeyFileTest
{
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path tmp;

    static byte[] randomKey()
    {
        final byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return key;
    }

    @Test
    void aWrappedKeyUnwrapsWithItsKeyEncryptionKeyOnly()
    {
        final byte[] kek = randomKey();
        final byte[] dataKey = randomKey();
        final byte[] wrapped = WalKeyFile.wrap(kek, dataKey);
        assertEquals(WalKeyFileDescriptor.WRAPPED_KEY_LENGTH, wrapped.length);
        assertTrue(Bytes.indexOf(wrapped, Arrays.copyOf(dataKey, 8)) < 0, "the data key is not in the wrapped bytes");
        assertArrayEquals(dataKey, WalKeyFile.unwrap(kek, wrapped));
        assertNull(WalKeyFile.unwrap(randomKey(), wrapped), "another key fails the integrity check");
        wrapped[20] ^= 1;
        assertNull(WalKeyFile.unwrap(kek, wrapped), "a changed byte fails the integrity check");
    }

    @Test
    void theFileRoundTripsAndIsPrivate() throws Exception
    {
        final byte[] kek = randomKey();
        final byte[] dataKey = randomKey();
        final Path file = tmp.resolve("wal.key");
        WalKeyFile.write(file, 42, WalKeyFile.wrap(kek, dataKey));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(WalKeyFileDescriptor.FILE_SIZE, Files.size(file));
        assertArrayEquals(dataKey, WalKeyFile.readDataKey(file, 42, kek, Path.of("/kek")));
    }

    @Test
    void aWrongKeyEncryptionKeyIsRefusedClearly() throws Exception
    {
        final Path file = tmp.resolve("wal.key");
        WalKeyFile.write(file, 42, WalKeyFile.wrap(randomKey(), randomKey()));
        final PgException ex = assertThrows(PgException.class,
            () -> WalKeyFile.readDataKey(file, 42, randomKey(), Path.of("/etc/other.key")));
        assertEquals("could not unwrap the WAL encryption key in \"" + file
            + "\": the key in \"/etc/other.key\" is not the one this cluster was initialized with", ex.getMessage());
        assertEquals("The integrity check of the AES key wrap (RFC 3394) failed.", ex.detail());
        assertTrue(ex.hint().startsWith("Set encryption_key_file in pgshmem.conf to the file given to initdb"), ex.hint());
    }

    @Test
    void aDamagedFileIsToldApartFromAWrongKey() throws Exception
    {
        final byte[] kek = randomKey();
        final Path file = tmp.resolve("wal.key");
        WalKeyFile.write(file, 42, WalKeyFile.wrap(kek, randomKey()));
        final byte[] bytes = Files.readAllBytes(file);
        bytes[WalKeyFileDescriptor.WRAPPED_KEY_OFFSET + 3] ^= 0x10;
        Files.write(file, bytes);
        final PgException ex = assertThrows(PgException.class, () -> WalKeyFile.readDataKey(file, 42, kek, Path.of("/k")));
        assertEquals("WAL key file \"" + file + "\" is damaged", ex.getMessage());
        assertEquals("Calculated CRC checksum does not match value stored in file.", ex.detail());

        Files.write(file, Arrays.copyOf(bytes, 10));
        assertEquals("It is 10 bytes; the file is 68 bytes.",
            assertThrows(PgException.class, () -> WalKeyFile.readWrapped(file, 42)).detail());
    }

    @Test
    void anotherClustersKeyFileIsRefused() throws Exception
    {
        final Path file = tmp.resolve("wal.key");
        WalKeyFile.write(file, 7, WalKeyFile.wrap(randomKey(), randomKey()));
        final PgException ex = assertThrows(PgException.class, () -> WalKeyFile.readWrapped(file, 42));
        assertEquals("WAL key file \"" + file + "\" belongs to another cluster", ex.getMessage());
        assertEquals("It was made for system identifier 7; this cluster's is 42.", ex.detail());
    }

    @Test
    void aMissingFileSaysTheClusterIsNotEncrypted()
    {
        final Path file = tmp.resolve("wal.key");
        final PgException ex = assertThrows(PgException.class, () -> WalKeyFile.readWrapped(file, 42));
        assertEquals("could not open file \"" + file + "\": No such file or directory", ex.getMessage());
        assertTrue(ex.detail().startsWith("encryption_key_file is set, but the cluster was not initialized with WAL"),
            ex.detail());
    }
}
