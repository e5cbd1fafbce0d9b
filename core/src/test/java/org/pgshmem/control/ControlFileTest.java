package org.pgshmem.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.util.PgException;

class ControlFileTest
{
    private static Path make(final Path dir) throws Exception
    {
        Files.createDirectories(dir.resolve("global"));
        new ControlFile(ControlFile.newSystemIdentifier(), DbState.SHUT_DOWN).write(dir);
        return dir.resolve(ControlFile.PATH);
    }

    @Test
    void writesEightKibAndReadsBack(@TempDir final Path dir) throws Exception
    {
        final Path file = make(dir);
        assertEquals(8192, Files.size(file));
        final ControlFile cf = ControlFile.read(dir);
        assertEquals(DbState.SHUT_DOWN, cf.state());
        cf.state(DbState.IN_PRODUCTION).write(dir);
        assertEquals(DbState.IN_PRODUCTION, ControlFile.read(dir).state());
        assertEquals(cf.systemIdentifier(), ControlFile.read(dir).systemIdentifier());
        assertTrue(Files.notExists(dir.resolve("global/control.tmp")), "no temporary file left behind");
    }

    @Test
    void systemIdentifierCarriesTimeAndPidAsPostgresMakesIt()
    {
        final long before = System.currentTimeMillis() / 1000;
        final long id = ControlFile.newSystemIdentifier();
        assertTrue((id >>> 32) >= before && (id >>> 32) <= before + 1, Long.toHexString(id));
        assertEquals(ProcessHandle.current().pid() & 0xFFF, id & 0xFFF);
    }

    @Test
    void aFlippedByteAnywhereIsACrcError(@TempDir final Path dir) throws Exception
    {
        final Path file = make(dir);
        final byte[] good = Files.readAllBytes(file);
        for (final int offset : new int[] {0, 12, 17, 100, 4000, 8187, 8190})
        {
            final byte[] bad = good.clone();
            bad[offset] ^= 0x01;
            Files.write(file, bad);
            final PgException ex = assertThrows(PgException.class, () -> ControlFile.read(dir), "offset " + offset);
            assertTrue(ex.getMessage().startsWith("incorrect checksum in control file"), ex.getMessage());
        }
    }

    @Test
    void wrongSizeAndWrongVersionAreRefused(@TempDir final Path dir) throws Exception
    {
        final Path file = make(dir);
        final byte[] good = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(good, 4096));
        assertTrue(assertThrows(PgException.class, () -> ControlFile.read(dir)).getMessage().contains("wrong size"));

        final ByteBuffer bb = ByteBuffer.wrap(good.clone()).order(ByteOrder.LITTLE_ENDIAN);
        bb.putInt(ControlFileDescriptor.VERSION_OFFSET, 99);
        final CRC32C crc = new CRC32C();
        crc.update(bb.array(), 0, ControlFileDescriptor.CRC_OFFSET);
        bb.putInt(ControlFileDescriptor.CRC_OFFSET, (int)crc.getValue());
        Files.write(file, bb.array());
        final PgException ex = assertThrows(PgException.class, () -> ControlFile.read(dir));
        assertEquals("database files are incompatible with server", ex.getMessage());
        assertEquals("It looks like you need to initdb.", ex.hint());
    }
}
