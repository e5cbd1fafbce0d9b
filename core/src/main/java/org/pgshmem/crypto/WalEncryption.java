package org.pgshmem.crypto;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.module.BootstrapContext;
import org.pgshmem.module.ShmemModule;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.util.DurableFiles;
import org.pgshmem.util.Elog;
import org.pgshmem.util.PgException;
import org.pgshmem.wal.WalPageCipher;

/**
 * WAL encryption, a built-in module enabled at initdb ({@code --encryption-key-file FILE}, which
 * records {@code encryption_key_file}); with that setting empty it does nothing and takes no
 * shared memory.
 * <ul>
 *   <li>{@link #bootstrap}: makes a random 256-bit data key, wraps it with the key encryption
 *       key of the file (AES key wrap) into {@code DATA/keys/wal.key}, and hands the WAL's
 *       bootstrap the cipher for the first segment;</li>
 *   <li>{@link #shmemInit}: in the postmaster, reads the key file (at every start), unwraps the
 *       data key and puts it into the structure {@value #LABEL}; every other process takes it
 *       from there and never reads the key file. Then it hands this process's WAL its
 *       {@link WalPageCipher} (AES-256-CTR, nonce from the page address).</li>
 * </ul>
 * Must come before the WAL in the module list: the WAL looks the cipher up in its own steps.
 */
public final class WalEncryption implements ShmemModule
{
    /** The module's name. */
    public static final String NAME = "wal_encryption";
    /** The setting naming the key file. */
    public static final String SETTING = "encryption_key_file";
    /** The structure holding the data key: 32 bytes, the AES-256 key in the clear. */
    public static final String LABEL = "WAL Encryption Key";
    /** Directory of the wrapped keys, under the data directory. */
    public static final String KEYS_DIRECTORY = "keys";
    /** The wrapped WAL data key ({@link WalKeyFileDescriptor}), under the data directory. */
    public static final String WAL_KEY_FILE = KEYS_DIRECTORY + "/wal.key";

    private static final SecureRandom RANDOM = new SecureRandom();

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public long shmemSize(final Settings settings)
    {
        return enabled(settings) ? EncryptionKeyFile.KEY_LENGTH : 0;
    }

    @Override
    public void shmemInit(final Shmem shmem)
    {
        final Path walKeyFile = shmem.dataDirectory().resolve(WAL_KEY_FILE);
        if (!enabled(shmem.settings()))
        {
            if (Files.exists(walKeyFile))
            {
                // the WAL would be written in the clear, and its encrypted pages unreadable
                throw new PgException(SETTING + " is not set, but the cluster was initialized with WAL encryption",
                    "File \"" + walKeyFile + "\" holds its wrapped WAL key.",
                    "Set " + SETTING + " in pgshmem.conf to the key file given to initdb --encryption-key-file.");
            }
            return;
        }
        final AtomicBuffer region = shmem.initStruct(LABEL, EncryptionKeyFile.KEY_LENGTH, created ->
        {
            // only the creator, the postmaster, reads the key file
            final Path keyFile = keyFile(shmem.dataDirectory(), shmem.settings());
            final byte[] keyEncryptionKey = EncryptionKeyFile.read(keyFile, startHint());
            try
            {
                final byte[] dataKey = WalKeyFile.readDataKey(walKeyFile, shmem.segment().systemIdentifier(),
                    keyEncryptionKey, keyFile);
                created.putBytes(0, dataKey);
                Arrays.fill(dataKey, (byte)0);
            }
            finally
            {
                Arrays.fill(keyEncryptionKey, (byte)0);
            }
            if (shmem.segment().file().toAbsolutePath().startsWith(shmem.dataDirectory()))
            {
                Elog.warning("the WAL encryption key is kept in shared memory in \"" + shmem.segment().file()
                    + "\", a file in the data directory; set shm_dir to a directory on tmpfs to keep it off the disk");
            }
        }).buffer();
        final byte[] dataKey = new byte[EncryptionKeyFile.KEY_LENGTH];
        region.getBytes(0, dataKey);
        final WalPageCipher cipher = new AesCtrPageCipher(dataKey);
        Arrays.fill(dataKey, (byte)0);
        shmem.processLocal(WalPageCipher.class, () -> cipher);
    }

    @Override
    public void bootstrap(final BootstrapContext context) throws IOException
    {
        if (!enabled(context.settings()))
        {
            return;
        }
        final byte[] keyEncryptionKey = EncryptionKeyFile.read(keyFile(context.dataDirectory(), context.settings()),
            initdbHint());
        final byte[] dataKey = new byte[EncryptionKeyFile.KEY_LENGTH];
        try
        {
            RANDOM.nextBytes(dataKey);
            final Path keys = context.dataDirectory().resolve(KEYS_DIRECTORY);
            DurableFiles.createDirectory(keys);
            DurableFiles.fsyncDirectory(context.dataDirectory());
            WalKeyFile.write(context.dataDirectory().resolve(WAL_KEY_FILE), context.systemIdentifier(),
                WalKeyFile.wrap(keyEncryptionKey, dataKey));
            final WalPageCipher cipher = new AesCtrPageCipher(dataKey);
            context.processLocal(WalPageCipher.class, () -> cipher);
        }
        finally
        {
            Arrays.fill(keyEncryptionKey, (byte)0);
            Arrays.fill(dataKey, (byte)0);
        }
    }

    /**
     * initdb's check before it makes anything: when {@code settings} enable WAL encryption, the
     * key file exists, is private and holds a well-formed key.
     *
     * @param dataDirectory the data directory to be, against which a relative path is resolved
     * @throws PgException naming what is wrong with the file
     */
    public static void checkKeyFile(final Path dataDirectory, final Settings settings)
    {
        if (enabled(settings))
        {
            Arrays.fill(EncryptionKeyFile.read(keyFile(dataDirectory, settings), initdbHint()), (byte)0);
        }
    }

    private static boolean enabled(final Settings settings)
    {
        return !settings.getString(SETTING).isEmpty();
    }

    /** The key file; a relative path is relative to the data directory, as PostgreSQL's file settings are. */
    private static Path keyFile(final Path dataDirectory, final Settings settings)
    {
        return dataDirectory.resolve(settings.getString(SETTING)).normalize();
    }

    private static String initdbHint()
    {
        return "Make a key file with \"openssl rand -hex 32 > FILE\" and \"chmod 0600 FILE\".";
    }

    private static String startHint()
    {
        return "Set " + SETTING + " in pgshmem.conf to the key file given to initdb --encryption-key-file,"
            + " or put that file back.";
    }
}
