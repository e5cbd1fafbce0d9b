package org.pgshmem.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.pgshmem.backend.Backend;
import org.pgshmem.cli.LineProcess;
import org.pgshmem.crypto.WalEncryption;
import org.pgshmem.crypto.WalKeyFileDescriptor;
import org.pgshmem.proc.ProcSlotDescriptor;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.testing.CliResult;
import org.pgshmem.testing.TestCluster;
import org.pgshmem.util.Processes;
import org.pgshmem.wal.WalPageHeaderDescriptor;

/**
 * WAL encryption end to end, with the real CLI and server processes: a key given at initdb, kept
 * only wrapped under DATA/keys, loaded by the postmaster at every start; a wrong or missing key
 * fails the start; the WAL on disk shows nothing of what was logged, and recovery reads it back.
 */
class WalEncryptionTest extends ClusterTestSupport
{
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int REL = 16384;

    private Path keyFile;
    private byte[] keyEncryptionKey;

    /** A new key file of random key in the test's directory, 0600. */
    private Path newKeyFile(final String name) throws Exception
    {
        final byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        final Path file = tmp.resolve(name);
        Files.writeString(file, HexFormat.of().formatHex(key) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        keyEncryptionKey = key;
        return file;
    }

    /** initdb with WAL encryption and {@code settings}; asserts success. */
    private void initdbEncrypted(final String... settings) throws Exception
    {
        keyFile = newKeyFile("wal-kek");
        newCluster();
        final List<String> args = new ArrayList<>(List.of("initdb", "-D", dir(), "--encryption-key-file",
            keyFile.toString()));
        for (final String s : settings)
        {
            args.add("-c");
            args.add(s);
        }
        final CliResult r = cluster.cli(args.toArray(new String[0]));
        assertEquals(0, r.exitCode(), r.all());
    }

    /** The data key the running cluster loaded into shared memory. */
    private byte[] dataKeyInSharedMemory()
    {
        try (Shmem shmem = Backend.inspect(cluster.dataDir()))
        {
            final byte[] key = new byte[32];
            shmem.findStruct(WalEncryption.LABEL).buffer().getBytes(0, key);
            return key;
        }
    }

    /** Every regular file under {@code dir}, read. */
    private static List<byte[]> contents(final Path dir) throws Exception
    {
        final List<byte[]> all = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir))
        {
            for (final Path f : files.filter(Files::isRegularFile).toList())
            {
                all.add(Files.readAllBytes(f));
            }
        }
        return all;
    }

    private static boolean anyContains(final List<byte[]> files, final byte[] needle)
    {
        // ISO-8859-1 maps every byte to one char: a byte search by String.contains
        final String text = new String(needle, StandardCharsets.ISO_8859_1);
        return files.stream().anyMatch(f -> new String(f, StandardCharsets.ISO_8859_1).contains(text));
    }

    /** Neither the key encryption key nor {@code dataKey}, raw or in hexadecimal, is in any file of the data directory. */
    private void assertNoKeyInTheDataDirectory(final byte[] dataKey) throws Exception
    {
        final List<byte[]> files = contents(cluster.dataDir());
        for (final byte[] key : List.of(keyEncryptionKey, dataKey))
        {
            final String hex = HexFormat.of().formatHex(key);
            for (final byte[] form : List.of(Arrays.copyOf(key, 12), hex.substring(0, 24).getBytes(StandardCharsets.US_ASCII),
                hex.substring(0, 24).toUpperCase().getBytes(StandardCharsets.US_ASCII)))
            {
                assertFalse(anyContains(files, form), (key == dataKey ? "data key" : "key encryption key")
                    + " found in the data directory");
            }
        }
    }

    @Test
    void initdbKeepsTheDataKeyOnlyWrappedAndTheServerLoadsIt() throws Exception
    {
        initdbEncrypted();
        final Path keys = cluster.dataDir().resolve(WalEncryption.KEYS_DIRECTORY);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys)));
        final Path walKey = cluster.dataDir().resolve(WalEncryption.WAL_KEY_FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(walKey)));
        final String conf = Files.readString(cluster.dataDir().resolve("pgshmem.conf"));
        assertTrue(conf.contains("encryption_key_file = '" + keyFile + "'"), conf);

        cluster.start();
        final byte[] dataKey = dataKeyInSharedMemory();
        // what a reader of LAYOUTS.md computes: RFC 3394 unwrap of the file's wrapped key with the key file's key
        final byte[] file = Files.readAllBytes(walKey);
        final Cipher unwrap = Cipher.getInstance("AESWrap");
        unwrap.init(Cipher.UNWRAP_MODE, new SecretKeySpec(keyEncryptionKey, "AES"));
        assertArrayEquals(dataKey, unwrap.unwrap(Arrays.copyOfRange(file, WalKeyFileDescriptor.WRAPPED_KEY_OFFSET,
            WalKeyFileDescriptor.CRC_OFFSET), "AES", Cipher.SECRET_KEY).getEncoded());
        assertFalse(Arrays.equals(new byte[32], dataKey));
        assertNoKeyInTheDataDirectory(dataKey);
        cluster.stop("fast");
        assertNoKeyInTheDataDirectory(dataKey);

        cluster.start();
        assertArrayEquals(dataKey, dataKeyInSharedMemory(), "the same data key at every start");
        cluster.stop("fast");
    }

    @Test
    void anotherKeyFailsTheStartAndLeavesNothingBehind() throws Exception
    {
        initdbEncrypted();
        final byte[] right = Files.readAllBytes(keyFile);
        Files.copy(newKeyFile("other"), keyFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        final CliResult r = cluster.tryStart();
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.stderr().contains("FATAL:  could not unwrap the WAL encryption key in \""
            + cluster.dataDir().resolve(WalEncryption.WAL_KEY_FILE) + "\": the key in \"" + keyFile
            + "\" is not the one this cluster was initialized with"), r.all());
        assertTrue(r.stderr().contains("HINT:  Set encryption_key_file in pgshmem.conf to the file given to initdb"),
            r.all());
        assertNothingLeftOfAFailedStart();

        Files.write(keyFile, right);
        cluster.start();
        cluster.stop("fast");
    }

    @Test
    void aMissingKeyFileFailsTheStart() throws Exception
    {
        initdbEncrypted();
        Files.delete(keyFile);
        final CliResult r = cluster.tryStart();
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.stderr().contains("FATAL:  could not open encryption key file \"" + keyFile
            + "\": No such file or directory"), r.all());
        assertNothingLeftOfAFailedStart();
    }

    @Test
    void aKeyFileOthersCanReadFailsTheStart() throws Exception
    {
        initdbEncrypted();
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-r--r--"));
        final CliResult r = cluster.tryStart();
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.stderr().contains("FATAL:  encryption key file \"" + keyFile + "\" has group or world access"),
            r.all());
        assertTrue(r.stderr().contains("HINT:  Run \"chmod 0600 " + keyFile + "\"."), r.all());
        assertNothingLeftOfAFailedStart();
    }

    private void assertNothingLeftOfAFailedStart() throws Exception
    {
        assertFalse(Files.exists(cluster.dataDir().resolve("postmaster.pid")), "no lock file left behind");
        assertFalse(Files.exists(Path.of("/dev/shm/pgshmem." + Long.toUnsignedString(cluster.systemIdentifier()))),
            "no segment left behind");
        assertTrue(cluster.cli("controldata", "-D", dir()).stdout().contains("shut down"));
    }

    @Test
    void initdbWithABadKeyFileMakesNothing() throws Exception
    {
        newCluster();
        final Path malformed = tmp.resolve("short-key");
        Files.writeString(malformed, "0123456789abcdef\n");
        Files.setPosixFilePermissions(malformed, PosixFilePermissions.fromString("rw-------"));
        final CliResult r = cluster.cli("initdb", "-D", dir(), "--encryption-key-file", malformed.toString());
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.stderr().contains("pgshmem: error: invalid encryption key in file \"" + malformed + "\""), r.all());
        assertTrue(r.stderr().contains("pgshmem: hint: The file must hold a 256-bit key as 64 hexadecimal digits"), r.all());
        assertFalse(Files.exists(cluster.dataDir()), "no data directory");

        final Path open = newKeyFile("open-key");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r-----"));
        final CliResult r2 = cluster.cli("initdb", "-D", dir(), "--encryption-key-file", open.toString());
        assertEquals(1, r2.exitCode(), r2.all());
        assertTrue(r2.stderr().contains("has group or world access"), r2.all());
        assertFalse(Files.exists(cluster.dataDir()), "no data directory");

        final CliResult r3 = cluster.cli("initdb", "-D", dir(), "--encryption-key-file", tmp.resolve("none").toString());
        assertEquals(1, r3.exitCode(), r3.all());
        assertTrue(r3.stderr().contains("could not open encryption key file"), r3.all());
        assertTrue(r3.stderr().contains("pgshmem: hint: Make a key file with \"openssl rand -hex 32 > FILE\""), r3.all());
        assertFalse(Files.exists(cluster.dataDir()), "no data directory");
    }

    @Test
    void aWalSegmentShowsNoneOfTheLoggedPlaintext() throws Exception
    {
        initdbEncrypted();
        cluster.start();
        final byte[] dataKey = dataKeyInSharedMemory();
        final String text = "attack at dawn " + Long.toHexString(RANDOM.nextLong());
        try (LineProcess b = cluster.backend("writer"))
        {
            assertEquals("ok", b.ask("write " + REL + " 0 100 " + text, TestCluster.WAIT));
        }
        // the shutdown checkpoint flushes the WAL, whatever a commit did
        cluster.stop("fast");
        final Path wal = cluster.dataDir().resolve("wal");
        final byte[] plain = text.getBytes(StandardCharsets.UTF_8);
        final List<byte[]> segments = contents(wal);
        assertFalse(segments.isEmpty(), "WAL segments exist");
        assertFalse(anyContains(segments, plain), "the text is not in the WAL in the clear");
        assertFalse(anyContains(segments, Arrays.copyOf(plain, 10)));
        // ... yet it was logged: decrypted as LAYOUTS.md says, the WAL holds it
        assertTrue(anyContains(List.of(decryptedBodies(wal, dataKey)), plain), "the text is in the decrypted WAL");
        assertNoKeyInTheDataDirectory(dataKey);
    }

    /**
     * Every WAL page of every segment file, decrypted with {@code dataKey} (AES-256-CTR, counter
     * block the page address, the header's write epoch, then zeros, from byte 32), the bodies concatenated so that a record
     * continued on the next page reads whole. Every page with a header must have the encrypted flag.
     */
    private static byte[] decryptedBodies(final Path wal, final byte[] dataKey) throws Exception
    {
        final ByteArrayOutputStream bodies = new ByteArrayOutputStream();
        final Cipher aes = Cipher.getInstance("AES/CTR/NoPadding");
        final List<Path> files;
        try (Stream<Path> s = Files.walk(wal))
        {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        int pages = 0;
        for (final Path f : files)
        {
            final ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
            for (int at = 0; at + WalPageHeaderDescriptor.PAGE_SIZE <= bytes.capacity(); at += WalPageHeaderDescriptor.PAGE_SIZE)
            {
                if (bytes.getShort(at + WalPageHeaderDescriptor.MAGIC_OFFSET) != WalPageHeaderDescriptor.MAGIC)
                {
                    continue;
                }
                pages++;
                assertTrue((bytes.getShort(at + WalPageHeaderDescriptor.INFO_OFFSET) & WalPageHeaderDescriptor.ENCRYPTED) != 0,
                    "page at " + at + " of " + f + " is encrypted");
                final byte[] iv = new byte[16];
                ByteBuffer.wrap(iv).putLong(bytes.getLong(at + WalPageHeaderDescriptor.PAGE_ADDRESS_OFFSET))
                    .putInt(bytes.getInt(at + WalPageHeaderDescriptor.EPOCH_OFFSET));
                aes.init(Cipher.DECRYPT_MODE, new SecretKeySpec(dataKey, "AES"), new IvParameterSpec(iv));
                bodies.write(aes.doFinal(bytes.array(), at + WalPageHeaderDescriptor.LENGTH, WalPageHeaderDescriptor.USABLE));
            }
        }
        assertTrue(pages > 0, "WAL pages found in " + files);
        return bodies.toByteArray();
    }

    @Test
    void recoveryReplaysTheEncryptedWal() throws Exception
    {
        // no background writer rounds: the page must come back from the WAL, not from its file
        initdbEncrypted("bgwriter_lru_maxpages=0");
        cluster.start();
        final String text = "recovered from encrypted WAL " + Long.toHexString(RANDOM.nextLong());
        final LineProcess b = cluster.backend("writer");
        assertEquals("ok", b.ask("write " + REL + " 0 100 " + text, TestCluster.WAIT), "an autocommit write, committed");
        final long bgwriter = cluster.slotPid(ProcSlotDescriptor.BGWRITER_SLOT);
        final long checkpointer = cluster.slotPid(ProcSlotDescriptor.CHECKPOINTER_SLOT);
        kill9(cluster.postmasterPid());
        kill9(b.pid());
        TestCluster.await("the auxiliary processes to exit",
            () -> !Processes.isAlive(bgwriter, 0) && !Processes.isAlive(checkpointer, 0));

        cluster.start();
        assertTrue(cluster.log().contains("database system was interrupted"), cluster.log());
        try (LineProcess reader = cluster.backend("reader"))
        {
            assertEquals("ok " + text, reader.ask("read " + REL + " 0 100 " + text.length(), TestCluster.WAIT),
                cluster.log());
        }
        cluster.stop("fast");
    }

    private static void kill9(final long pid) throws Exception
    {
        final ProcessHandle h = ProcessHandle.of(pid).orElse(null);
        if (h != null)
        {
            h.destroyForcibly();
            h.onExit().get(TestCluster.WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }
}
