package org.pgshmem.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.util.PgException;

class SettingsTest
{
    @Test
    void defaultsAreThoseOfTheIssue()
    {
        final Settings s = Settings.defaults();
        assertEquals(128L * 1024 * 1024, s.getBytes("shared_buffers"));
        assertEquals("128MB", s.show("shared_buffers"));
        assertEquals(100, s.getInt("max_connections"));
        assertEquals(200, s.getMillis("bgwriter_delay"));
        assertEquals(300_000, s.getMillis("checkpoint_timeout"));
        assertEquals("5min", s.show("checkpoint_timeout"));
        assertEquals(2.0, s.getReal("bgwriter_lru_multiplier"));
    }

    @Test
    void memoryAndTimeUnitsConvertToTheBaseUnit()
    {
        final Settings s = Settings.parse("""
            shared_buffers = 1GB
            bgwriter_delay = 1s     # a comment
            checkpoint_timeout 2min
            max_connections = '7'
            """, "test.conf");
        assertEquals(1024L * 1024 * 1024, s.getBytes("shared_buffers"));
        assertEquals(131072, s.getLong("shared_buffers"));
        assertEquals(1000, s.getMillis("bgwriter_delay"));
        assertEquals(120_000, s.getMillis("checkpoint_timeout"));
        assertEquals(7, s.getInt("max_connections"));
        assertEquals("128kB", Settings.parse("shared_buffers = 16", "x").show("shared_buffers"));
        assertEquals(16, Settings.parse("shared_buffers = 128kB", "x").getLong("shared_buffers"));
    }

    @Test
    void sharedBuffersBelow128kBIsAnErrorNamingTheRange()
    {
        final PgException ex = assertThrows(PgException.class, () -> Settings.parse("shared_buffers = 64kB", "x"));
        assertEquals("64kB is outside the valid range for parameter \"shared_buffers\" (128kB .. 1920MB)",
            ex.getMessage());
    }

    @Test
    void unknownNamesAndBadValuesAreErrorsNamingThem()
    {
        final PgException unknown = assertThrows(PgException.class,
            () -> Settings.parse("\n\nshared_bufers = 1MB\n", "/d/pgshmem.conf"));
        assertEquals("unrecognized configuration parameter \"shared_bufers\" in file \"/d/pgshmem.conf\" line 3",
            unknown.getMessage());

        final PgException badUnit = assertThrows(PgException.class, () -> Settings.parse("shared_buffers = 12XB", "f"));
        assertTrue(badUnit.getMessage().startsWith("invalid value for parameter \"shared_buffers\": \"12XB\""),
            badUnit.getMessage());
        assertTrue(badUnit.hint().contains("\"kB\""), badUnit.hint());

        assertThrows(PgException.class, () -> Settings.parse("max_connections = many", "f"));
        assertThrows(PgException.class, () -> Settings.parse("bgwriter_lru_multiplier = 11", "f"));
        assertThrows(PgException.class, () -> Settings.parse("shared_buffers = = 3", "f"));
        assertThrows(PgException.class, () -> Settings.parse("shm_dir = 'unterminated", "f"));
    }

    @Test
    void commandLineOverridesWinOverTheFile(@TempDir final Path dir) throws Exception
    {
        Files.writeString(dir.resolve(Settings.CONFIG_FILE), "shared_buffers = 1MB\nmax_connections = 5\n");
        final Settings s = Settings.load(dir, List.of("max_connections=9", "bgwriter_delay=50ms"));
        assertEquals(1024 * 1024, s.getBytes("shared_buffers"));
        assertEquals(9, s.getInt("max_connections"));
        assertEquals(50, s.getMillis("bgwriter_delay"));
        final PgException ex = assertThrows(PgException.class, () -> Settings.load(dir, List.of("no_such=1")));
        assertEquals("unrecognized configuration parameter \"no_such\"", ex.getMessage());
    }

    @Test
    void customModuleSettingsAreKeptAsStrings()
    {
        final Settings s = Settings.parse("example_counter.start = 42\npreload_modules = 'a, b'", "f");
        assertEquals("42", s.getString("example_counter.start", "0"));
        assertEquals("0", s.getString("example_counter.other", "0"));
        assertEquals(List.of("a", "b"), s.getList("preload_modules"));
    }

    @Test
    void serializedSettingsParseBackToTheSameValues()
    {
        final Settings s = Settings.parse("shared_buffers = 2MB\nshm_dir = '/tmp/it''s'\nx.y = z", "f");
        final Settings back = Settings.parse(s.serialize(), "shared memory");
        assertEquals(s.getBytes("shared_buffers"), back.getBytes("shared_buffers"));
        assertEquals("/tmp/it's", back.getString("shm_dir"));
        assertEquals("z", back.getString("x.y", ""));
    }

    @Test
    void theSampleFileParsesToTheDefaults()
    {
        final Settings s = Settings.parse(Settings.sampleFile(Settings.defaults().with("max_connections", "3")), "f");
        assertEquals(3, s.getInt("max_connections"));
        assertEquals(Settings.defaults().getBytes("shared_buffers"), s.getBytes("shared_buffers"));
    }
}
