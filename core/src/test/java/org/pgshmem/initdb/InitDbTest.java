package org.pgshmem.initdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.control.ControlFile;
import org.pgshmem.control.DbState;
import org.pgshmem.example.CounterModule;
import org.pgshmem.settings.Settings;
import org.pgshmem.util.PgException;

class InitDbTest
{
    @TempDir
    Path tmp;

    private static PrintStream quiet()
    {
        return new PrintStream(new ByteArrayOutputStream());
    }

    @Test
    void makesADataDirectoryOnlyItsOwnerCanRead() throws Exception
    {
        final Path data = tmp.resolve("a/b/data");
        final long sysid = InitDb.run(data, List.of("shared_buffers=1MB"), quiet());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(ControlFile.PATH))));
        final ControlFile cf = ControlFile.read(data);
        assertEquals(sysid, cf.systemIdentifier());
        assertEquals(DbState.SHUT_DOWN, cf.state());
        assertEquals(1024 * 1024, Settings.load(data, List.of()).getBytes("shared_buffers"));
        for (final String sub : InitDb.SUBDIRECTORIES)
        {
            assertTrue(Files.isDirectory(data.resolve(sub)), sub);
        }
    }

    @Test
    void aNonEmptyDirectoryIsRefusedAndLeftAsItWas() throws Exception
    {
        final Path data = Files.createDirectory(tmp.resolve("data"));
        Files.writeString(data.resolve("precious.txt"), "keep me");
        final PgException ex = assertThrows(PgException.class, () -> InitDb.run(data, List.of(), quiet()));
        assertEquals("directory \"" + data + "\" exists but is not empty", ex.getMessage());
        assertTrue(ex.hint().startsWith("If you want to create a new database system, either remove or empty"), ex.hint());
        try (Stream<Path> entries = Files.list(data))
        {
            assertEquals(List.of(data.resolve("precious.txt")), entries.toList());
        }
        assertEquals("keep me", Files.readString(data.resolve("precious.txt")));
    }

    @Test
    void anEmptyExistingDirectoryIsUsedWithItsPermissionsFixed() throws Exception
    {
        final Path data = Files.createDirectory(tmp.resolve("data"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        InitDb.run(data, List.of(), quiet());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
    }

    @Test
    void badSettingsOrUnknownModulesFailBeforeAnythingIsMade()
    {
        final Path data = tmp.resolve("data");
        assertThrows(PgException.class, () -> InitDb.run(data, List.of("shared_buffers=1kB"), quiet()));
        final PgException ex = assertThrows(PgException.class,
            () -> InitDb.run(data, List.of("preload_modules=no_such_module"), quiet()));
        assertEquals("could not load module \"no_such_module\" named in preload_modules", ex.getMessage());
        final PgException big = assertThrows(PgException.class,
            () -> InitDb.run(data, List.of("max_connections=100000", "inbox_size=64kB"), quiet()));
        assertTrue(big.getMessage().startsWith("these settings need a shared memory segment of "), big.getMessage());
        final PgException ring = assertThrows(PgException.class, () -> InitDb.run(data, List.of("inbox_size=3kB"), quiet()));
        assertTrue(ring.detail().contains("power of two"), ring.detail());
        assertFalse(Files.exists(data));
    }

    @Test
    void aFailingModuleBootstrapRemovesTheHalfMadeDirectory()
    {
        final Path data = tmp.resolve("data");
        // example_counter.slots is checked by the module's bootstrap, after the control file is written
        final PgException ex = assertThrows(PgException.class, () -> InitDb.run(data,
            List.of("preload_modules=" + CounterModule.NAME, "example_counter.slots=0"), quiet()));
        assertTrue(ex.getMessage().contains("example_counter.slots"), ex.getMessage());
        assertFalse(Files.exists(data), "initdb removed what it made");
    }

    @Test
    void modulesBootstrapAtInitdb() throws Exception
    {
        final Path data = tmp.resolve("data");
        InitDb.run(data, List.of("preload_modules=" + CounterModule.NAME, "example_counter.slots=4",
            "example_counter.start=10"), quiet());
        assertEquals(4 * Long.BYTES, Files.size(data.resolve(CounterModule.START_FILE)));
    }
}
