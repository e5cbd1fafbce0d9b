package org.pgshmem.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgshmem.wal.WalPageHeaderDescriptor.PAGE_SIZE;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.initdb.InitDb;
import org.pgshmem.module.BootstrapContext;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.util.PgException;
import org.pgshmem.wal.WalPageCipher;

/**
 * The module's steps in one JVM: bootstrap into a data directory, then shmemInit as the postmaster
 * (creates the key structure from the files) and as another process (attaches to it).
 */
class WalEncryptionModuleTest
{
    private static final long SYSID = 7_000_000_042L;

    @TempDir
    Path tmp;

    private Path data;
    private Path kek;

    private Settings bootstrapped() throws Exception
    {
        data = Files.createDirectory(tmp.resolve("data"));
        kek = EncryptionKeyFileTest.keyFile(tmp.resolve("kek"), EncryptionKeyFileTest.HEX + "\n", "rw-------");
        final Settings settings = Settings.defaults().with(WalEncryption.SETTING, kek.toString());
        final BootstrapContext context = new BootstrapContext(data, settings, SYSID);
        new WalEncryption().bootstrap(context);
        assertNotNull(context.processLocal(WalPageCipher.class, () -> null), "the WAL's bootstrap gets the cipher");
        return settings;
    }

    private Shmem segment(final Settings settings)
    {
        final ShmemSegment segment = ShmemSegment.create(tmp.resolve("segment"), ShmemSegment.overhead() + 4096, SYSID);
        return Shmem.open(segment, settings, data);
    }

    private static WalPageCipher init(final Shmem shmem)
    {
        final WalEncryption module = new WalEncryption();
        module.shmemInit(shmem.forModule(module.name(), module.shmemSize(shmem.settings())));
        return shmem.processLocal(WalPageCipher.class, () -> null);
    }

    @Test
    void bootstrapStoresTheDataKeyWrappedInAPrivateDirectory() throws Exception
    {
        bootstrapped();
        final Path keys = data.resolve(WalEncryption.KEYS_DIRECTORY);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys)));
        final Path walKey = data.resolve(WalEncryption.WAL_KEY_FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(walKey)));
        final byte[] bytes = Files.readAllBytes(walKey);
        assertEquals(WalKeyFileDescriptor.FILE_SIZE, bytes.length);
        assertEquals(-1, Bytes.indexOf(bytes, Arrays.copyOf(EncryptionKeyFile.read(kek, ""), 8)));
    }

    @Test
    void thePostmasterLoadsTheKeyAndOtherProcessesTakeItFromSharedMemory() throws Exception
    {
        final Settings settings = bootstrapped();
        try (Shmem postmaster = segment(settings))
        {
            final WalPageCipher first = init(postmaster);
            final ByteBuffer page = ByteBuffer.allocate(PAGE_SIZE);
            page.put(100, (byte)'x');
            first.encrypt(0x8000, 0, page, PAGE_SIZE);

            // another process never reads the key file: it may be gone by then
            Files.delete(kek);
            try (Shmem other = Shmem.open(ShmemSegment.attach(tmp.resolve("segment"), 10_000), settings, data))
            {
                final WalPageCipher second = init(other);
                second.decrypt(0x8000, 0, page, PAGE_SIZE);
                assertEquals('x', page.get(100), "both processes have the same data key");
            }
        }
    }

    @Test
    void theBootstrapsCipherIsTheOneTheServerLoads() throws Exception
    {
        data = Files.createDirectory(tmp.resolve("data"));
        kek = EncryptionKeyFileTest.keyFile(tmp.resolve("kek"), EncryptionKeyFileTest.HEX, "rw-------");
        final Settings settings = Settings.defaults().with(WalEncryption.SETTING, kek.toString());
        final BootstrapContext context = new BootstrapContext(data, settings, SYSID);
        new WalEncryption().bootstrap(context);
        final ByteBuffer page = ByteBuffer.allocate(PAGE_SIZE);
        page.put(PAGE_SIZE - 1, (byte)7);
        context.processLocal(WalPageCipher.class, () -> null).encrypt(0, 0, page, PAGE_SIZE);
        try (Shmem postmaster = segment(settings))
        {
            init(postmaster).decrypt(0, 0, page, PAGE_SIZE);
            assertEquals(7, page.get(PAGE_SIZE - 1));
        }
    }

    @Test
    void anotherKeyFailsTheStartWithoutMakingTheStructure() throws Exception
    {
        final Settings settings = bootstrapped();
        Files.writeString(kek, EncryptionKeyFileTest.HEX.replace('0', '1'));
        try (Shmem postmaster = segment(settings))
        {
            final PgException ex = assertThrows(PgException.class, () -> init(postmaster));
            assertEquals("could not unwrap the WAL encryption key in \"" + data.resolve(WalEncryption.WAL_KEY_FILE)
                + "\": the key in \"" + kek + "\" is not the one this cluster was initialized with", ex.getMessage());
            assertNull(postmaster.processLocal(WalPageCipher.class, () -> null));
        }
    }

    @Test
    void aMissingKeyFileFailsTheStart() throws Exception
    {
        final Settings settings = bootstrapped();
        Files.delete(kek);
        try (Shmem postmaster = segment(settings))
        {
            final PgException ex = assertThrows(PgException.class, () -> init(postmaster));
            assertEquals("could not open encryption key file \"" + kek + "\": No such file or directory", ex.getMessage());
            assertTrue(ex.hint().startsWith("Set encryption_key_file in pgshmem.conf"), ex.hint());
        }
    }

    @Test
    void anEncryptedClusterStartedWithoutTheSettingIsRefused() throws Exception
    {
        bootstrapped();
        try (Shmem postmaster = segment(Settings.defaults()))
        {
            final PgException ex = assertThrows(PgException.class, () -> init(postmaster));
            assertEquals("encryption_key_file is not set, but the cluster was initialized with WAL encryption",
                ex.getMessage());
        }
    }

    @Test
    void withoutTheSettingTheModuleDoesNothing() throws Exception
    {
        data = Files.createDirectory(tmp.resolve("data"));
        final WalEncryption module = new WalEncryption();
        assertEquals(0, module.shmemSize(Settings.defaults()));
        module.bootstrap(new BootstrapContext(data, Settings.defaults(), SYSID));
        assertFalse(Files.exists(data.resolve(WalEncryption.KEYS_DIRECTORY)));
        try (Shmem postmaster = segment(Settings.defaults()))
        {
            assertNull(init(postmaster));
            assertTrue(postmaster.allocations().stream().noneMatch(a -> WalEncryption.LABEL.equals(a.name())));
        }
    }

    @Test
    void initdbsCheckRefusesABadFileAndPassesAGoodOne() throws Exception
    {
        kek = EncryptionKeyFileTest.keyFile(tmp.resolve("kek"), EncryptionKeyFileTest.HEX, "rw-r--r--");
        final Settings settings = Settings.defaults().with(WalEncryption.SETTING, kek.toString());
        final PgException ex = assertThrows(PgException.class, () -> WalEncryption.checkKeyFile(tmp, settings));
        assertEquals("encryption key file \"" + kek + "\" has group or world access", ex.getMessage());
        Files.setPosixFilePermissions(kek, PosixFilePermissions.fromString("rw-------"));
        WalEncryption.checkKeyFile(tmp, settings);
        WalEncryption.checkKeyFile(tmp, Settings.defaults());
        assertArrayEquals(EncryptionKeyFile.read(kek, ""), EncryptionKeyFile.read(tmp.resolve("./kek"), ""));
    }

    @Test
    void initdbRecordsTheKeyFilesAbsolutePathAndMakesNothingWithABadOne() throws Exception
    {
        kek = EncryptionKeyFileTest.keyFile(tmp.resolve("kek"), EncryptionKeyFileTest.HEX, "rw-------");
        final Path relative = Path.of("").toAbsolutePath().relativize(kek);
        final java.io.PrintStream quiet = new java.io.PrintStream(new java.io.ByteArrayOutputStream());
        final Path made = tmp.resolve("made");
        InitDb.run(made, List.of(), relative, quiet);
        assertEquals(kek.toString(), Settings.load(made, List.of()).getString(WalEncryption.SETTING));
        assertTrue(Files.exists(made.resolve(WalEncryption.WAL_KEY_FILE)));

        Files.setPosixFilePermissions(kek, PosixFilePermissions.fromString("rw----r--"));
        final Path refused = tmp.resolve("refused");
        assertThrows(PgException.class, () -> InitDb.run(refused, List.of(), kek, quiet));
        assertFalse(Files.exists(refused), "checked before anything is made");
        // the same check for a key file named by -c
        assertThrows(PgException.class,
            () -> InitDb.run(refused, List.of(WalEncryption.SETTING + "=" + kek), null, quiet));
        assertFalse(Files.exists(refused));
    }
}
