package org.pgshmem.it;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.lock.LWLockTranche;
import org.pgshmem.module.ShmemModule;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSize;
import org.pgshmem.shmem.ShmemStruct;
import org.pgshmem.shmem.StructInit;

/**
 * A test module with light locks of its own, as a module would request them: a named LWLock
 * tranche of one lock, and a structure whose first word is a spinlock.
 */
public final class LockProbeModule implements ShmemModule
{
    static final String NAME = "lock_probe";
    static final String TRANCHE = "lock probe";
    static final String SPINLOCK_LABEL = "lock probe spinlock";

    LWLockTranche tranche;
    AtomicBuffer segment;
    int spinlockOffset;

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public long shmemSize(final Settings settings)
    {
        return ShmemSize.addSize(LWLockTranche.shmemSize(1), 64);
    }

    @Override
    public void shmemInit(final Shmem shmem)
    {
        tranche = LWLockTranche.init(shmem, TRANCHE, 1);
        final ShmemStruct struct = shmem.initStruct(SPINLOCK_LABEL, 64, StructInit.ZEROED);
        segment = shmem.segment().buffer();
        spinlockOffset = (int)struct.offset();
    }
}
