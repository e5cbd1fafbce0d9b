package org.pgshmem.it;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.module.ShmemModule;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;

/**
 * A test module that records, in its shared structure, every process the postmaster cleaned up
 * after: word 0 counts the calls, word 8 holds the last pid, word 16 its slot.
 */
public final class CleanupProbeModule implements ShmemModule
{
    static final String NAME = "cleanup_probe";
    static final String LABEL = "cleanup probe";

    private AtomicBuffer region;

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public long shmemSize(final Settings settings)
    {
        return 24;
    }

    @Override
    public void shmemInit(final Shmem shmem)
    {
        region = shmem.initStruct(LABEL, 24, r -> { }).buffer();
    }

    @Override
    public void cleanupProcess(final int slot, final long pid)
    {
        region.putLong(8, pid);
        region.putLong(16, slot);
        region.getAndAddLong(0, 1);
    }
}
