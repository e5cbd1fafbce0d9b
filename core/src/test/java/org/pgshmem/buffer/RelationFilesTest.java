package org.pgshmem.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgshmem.buffer.PageHeaderDescriptor.PAGE_SIZE;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.util.PgException;

/** Relation files under DATA/base/: blocks of 8192 bytes at block × 8192, PostgreSQL's messages. */
class RelationFilesTest
{
    private static final int REL = 16384;

    @TempDir
    Path data;

    private RelationFiles files;

    @BeforeEach
    void open()
    {
        files = new RelationFiles(data);
    }

    @AfterEach
    void close()
    {
        files.close();
    }

    private static ByteBuffer pageOf(final int fill)
    {
        final ByteBuffer page = Page.allocate();
        for (int i = 0; i < PAGE_SIZE; i++)
        {
            page.put(i, (byte)(fill + i));
        }
        return page;
    }

    private static byte[] bytes(final ByteBuffer page)
    {
        final byte[] b = new byte[PAGE_SIZE];
        page.duplicate().clear().get(b);
        return b;
    }

    @Test
    void relationRIsTheFileBaseSlashRWithAnUnsignedName()
    {
        assertEquals(data.resolve("base").resolve("16384"), files.path(REL));
        assertEquals(data.resolve("base").resolve("4294967295"), files.path(-1));
    }

    @Test
    void aWrittenBlockReadsBackAndCountsInNblocks()
    {
        assertEquals(0, files.nblocks(REL), "no file yet");
        assertFalse(Files.exists(files.path(REL)), "asking does not create it");
        files.write(REL, 0, pageOf(1));
        files.write(REL, 1, pageOf(2));
        assertEquals(2, files.nblocks(REL));
        assertEquals(2L * PAGE_SIZE, files.path(REL).toFile().length());

        final ByteBuffer in = Page.allocate();
        files.read(REL, 1, in);
        assertArrayEquals(bytes(pageOf(2)), bytes(in));
        files.read(REL, 0, in);
        assertArrayEquals(bytes(pageOf(1)), bytes(in));

        files.write(REL, 0, pageOf(3));
        files.read(REL, 0, in);
        assertArrayEquals(bytes(pageOf(3)), bytes(in), "a rewrite replaces the block");
        assertEquals(2, files.nblocks(REL));
    }

    @Test
    void aBlockWrittenPastTheEndLeavesZeroPagesBeforeIt()
    {
        files.write(REL, 3, pageOf(7));
        assertEquals(4, files.nblocks(REL));
        final ByteBuffer in = Page.allocate();
        files.read(REL, 1, in);
        assertTrue(Page.isNew(in));
        files.read(REL, 3, in);
        assertArrayEquals(bytes(pageOf(7)), bytes(in));
    }

    @Test
    void whatOneInstanceWroteAnotherReadsAfterSync()
    {
        files.write(REL, 0, pageOf(9));
        files.sync(REL);
        files.syncAll();
        try (RelationFiles other = new RelationFiles(data))
        {
            assertEquals(1, other.nblocks(REL));
            final ByteBuffer in = Page.allocate();
            other.read(REL, 0, in);
            assertArrayEquals(bytes(pageOf(9)), bytes(in));
        }
    }

    @Test
    void readingPastTheEndFailsWithPostgresqlsMessage()
    {
        files.write(REL, 0, pageOf(1));
        final PgException ex = assertThrows(PgException.class, () -> files.read(REL, 1, Page.allocate()));
        assertEquals("could not read block 1 in file \"base/16384\": read only 0 of 8192 bytes", ex.getMessage());
        final PgException far = assertThrows(PgException.class, () -> files.read(REL, 1000, Page.allocate()));
        assertEquals("could not read block 1000 in file \"base/16384\": read only 0 of 8192 bytes", far.getMessage());
    }

    @Test
    void aTornLastBlockReportsTheBytesThatWereThere() throws IOException
    {
        files.write(REL, 1, pageOf(1));
        try (RandomAccessFile f = new RandomAccessFile(files.path(REL).toFile(), "rw"))
        {
            f.setLength(PAGE_SIZE + 100);
        }
        assertEquals(1, files.nblocks(REL), "a partial block does not count");
        final PgException ex = assertThrows(PgException.class, () -> files.read(REL, 1, Page.allocate()));
        assertEquals("could not read block 1 in file \"base/16384\": read only 100 of 8192 bytes", ex.getMessage());
    }

    @Test
    void readingARelationWithoutAFileSaysNoSuchFileOrDirectory()
    {
        final PgException ex = assertThrows(PgException.class, () -> files.read(REL, 0, Page.allocate()));
        assertEquals("could not open file \"base/16384\": No such file or directory", ex.getMessage());
        assertEquals("Relation 16384 does not exist yet: extend it first.", ex.hint());
        assertFalse(Files.exists(files.path(REL)), "reading does not create the file");
    }

    @Test
    void filesAreCreated0600InABaseDirectoryCreated0700() throws IOException
    {
        assertFalse(Files.exists(data.resolve("base")));
        files.write(REL, 0, pageOf(1));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("base"))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.path(REL))));
    }

    @Test
    void closeLetsTheFilesBeOpenedAgain()
    {
        files.write(REL, 0, pageOf(4));
        files.close();
        final ByteBuffer in = Page.allocate();
        files.read(REL, 0, in);
        assertArrayEquals(bytes(pageOf(4)), bytes(in));
    }
}
