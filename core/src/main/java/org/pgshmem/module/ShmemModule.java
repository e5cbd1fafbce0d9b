package org.pgshmem.module;

import java.io.IOException;

import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;

/**
 * A part of the cluster that lives in shared memory (PostgreSQL's XShmemSize / XShmemInit pair,
 * plus BootStrapXLOG's place at initdb). Built-in subsystems are modules; custom ones are found
 * with {@link java.util.ServiceLoader} and enabled by the {@code preload_modules} setting.
 *
 * <p>Every process of a cluster makes its own instance and calls {@link #shmemInit}: in the
 * postmaster that creates the module's structures, in every other process it attaches to them,
 * so instance fields may hold the process's handles on them.
 */
public interface ShmemModule
{
    /** The name {@code preload_modules} knows the module by; lower case, no spaces. */
    String name();

    /**
     * What {@link #shmemInit} will create in the main segment, in bytes, computed from the
     * settings with {@link org.pgshmem.shmem.ShmemSize#addSize}/{@link org.pgshmem.shmem.ShmemSize#mulSize}.
     * Asking for more in shmemInit is an error.
     */
    default long shmemSize(final Settings settings)
    {
        return 0;
    }

    /**
     * Creates or attaches the module's structures with {@link Shmem#initStruct} and
     * {@link Shmem#initHash}; may load a file of the data directory into them.
     */
    default void shmemInit(final Shmem shmem)
    {
    }

    /**
     * In the postmaster, after process {@code pid} in proc-array slot {@code slot} died without
     * detaching and before its slot is freed: release whatever the module's shared state says it
     * held (locks, pins) and wake its waiters. Runs for every module in reverse initialization
     * order (custom modules first), before the lwlock module releases the dead process's LWLocks:
     * an LWLock it held exclusively can be taken over with {@code LWLock.adoptExclusive} to repair
     * what it protects; do not wait here for one it may have held shared.
     */
    default void cleanupProcess(final int slot, final long pid)
    {
    }

    /** Once, at initdb, after the control file is written: create the module's files. */
    default void bootstrap(final BootstrapContext context) throws IOException
    {
    }
}
