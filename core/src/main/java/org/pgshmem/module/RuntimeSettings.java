package org.pgshmem.module;

import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemStruct;
import org.pgshmem.util.PgException;

/**
 * The postmaster's effective settings (pgshmem.conf plus its {@code -c} options), kept in shared
 * memory so that every process that attaches runs with exactly the settings the memory was
 * sized for, whatever pgshmem.conf says by then. Layout: a 4-byte length, then the settings as
 * configuration-file text in UTF-8.
 */
public final class RuntimeSettings implements ShmemModule
{
    /** The label of the structure. */
    public static final String LABEL = "Runtime Settings";
    /** Room for the text. */
    public static final int CAPACITY = 16 * 1024;

    @Override
    public String name()
    {
        return "runtime_settings";
    }

    @Override
    public long shmemSize(final Settings settings)
    {
        return Integer.BYTES + CAPACITY;
    }

    @Override
    public void shmemInit(final Shmem shmem)
    {
        shmem.initStruct(LABEL, shmemSize(shmem.settings()), region ->
        {
            final byte[] text = shmem.settings().serialize().getBytes(StandardCharsets.UTF_8);
            if (text.length > CAPACITY)
            {
                throw new PgException("settings take " + text.length + " bytes, more than the " + CAPACITY
                    + " bytes kept for them in shared memory");
            }
            region.putBytes(Integer.BYTES, text);
            region.putIntRelease(0, text.length);
        });
    }

    /** Reads the settings a running cluster was started with from its shared memory. */
    public static Settings read(final ShmemStruct struct)
    {
        final AtomicBuffer region = struct.buffer();
        final int length = region.getIntAcquire(0);
        final byte[] text = new byte[length];
        region.getBytes(Integer.BYTES, text);
        return Settings.parse(new String(text, StandardCharsets.UTF_8), "shared memory");
    }
}
