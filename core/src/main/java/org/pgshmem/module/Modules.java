package org.pgshmem.module;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import org.pgshmem.buffer.BufferManager;
import org.pgshmem.checkpoint.CheckpointerShmem;
import org.pgshmem.crypto.WalEncryption;
import org.pgshmem.ipc.BroadcastChannel;
import org.pgshmem.lock.LWLocks;
import org.pgshmem.lock.LockManager;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.shmem.ShmemSize;
import org.pgshmem.util.PgException;
import org.pgshmem.wal.Wal;
import org.pgshmem.xact.Clog;
import org.pgshmem.xact.Transactions;

/**
 * The modules of one process, in initialization order (PostgreSQL's ipci.c): the built-in ones
 * first, in dependency order, then those named by {@code preload_modules} in the order named.
 * Reading {@link #builtins()} tells the whole memory map.
 */
public final class Modules
{
    /** Bytes added to the sum of declared sizes for alignment and small late requests (ipci.c adds 100000). */
    public static final long SLACK = 128 * 1024;

    private final List<ShmemModule> modules;

    private Modules(final List<ShmemModule> modules)
    {
        this.modules = modules;
    }

    /** The built-in modules, in initialization order. */
    static List<ShmemModule> builtins()
    {
        final LockManager locks = new LockManager();
        final BufferManager buffers = new BufferManager();
        final Wal wal = new Wal();
        // the transactions use this process's instances of the modules below them
        final Clog clog = new Clog(wal);
        return List.of(new RuntimeSettings(), new ProcArray(), new BroadcastChannel(), new LWLocks(), locks,
            buffers, new WalEncryption(), wal, clog, new Transactions(clog, wal, buffers, locks),
            new CheckpointerShmem());
    }

    /** Built-in modules plus those {@code preload_modules} names, found with ServiceLoader. */
    public static Modules load(final Settings settings)
    {
        final List<ShmemModule> list = new ArrayList<>(builtins());
        final List<String> wanted = settings.getList("preload_modules");
        if (!wanted.isEmpty())
        {
            final Map<String, ShmemModule> available = new LinkedHashMap<>();
            for (final ShmemModule module : ServiceLoader.load(ShmemModule.class))
            {
                available.putIfAbsent(module.name(), module);
            }
            for (final String name : wanted)
            {
                final ShmemModule module = available.get(name);
                if (module == null)
                {
                    throw new PgException("could not load module \"" + name + "\" named in preload_modules",
                        "No module of that name is on the class path"
                            + (available.isEmpty() ? "." : "; available: " + String.join(", ", available.keySet()) + "."),
                        "Put the module's jar on the class path, or remove it from preload_modules.");
                }
                if (list.stream().anyMatch(m -> m.name().equals(name)))
                {
                    continue;
                }
                list.add(module);
            }
        }
        return new Modules(Collections.unmodifiableList(list));
    }

    /** The modules, in initialization order. */
    public List<ShmemModule> list()
    {
        return modules;
    }

    /** This process's instance of module class {@code type}. */
    public <T extends ShmemModule> T get(final Class<T> type)
    {
        for (final ShmemModule module : modules)
        {
            if (type.isInstance(module))
            {
                return type.cast(module);
            }
        }
        throw new PgException("module " + type.getName() + " is not loaded", null,
            "Add its name to preload_modules.");
    }

    /** The segment size to create (PostgreSQL's CalculateShmemSize): header and index, every module's size, slack. */
    public long calculateShmemSize(final Settings settings)
    {
        long size = ShmemSize.addSize(ShmemSegment.overhead(), SLACK);
        for (final ShmemModule module : modules)
        {
            final long declared = module.shmemSize(settings);
            size = ShmemSize.addSize(size, ShmemSize.alignUp(declared));
        }
        return size;
    }

    /** Runs every module's shmemInit in order, each held to its declared size. */
    public void shmemInit(final Shmem shmem)
    {
        shmemInit(shmem, () -> { });
    }

    /**
     * Runs the built-in modules' shmemInit, then {@code afterBuiltins} (a backend claims its slot
     * there, so that hashes custom modules open record their operations in it), then the others.
     */
    public void shmemInit(final Shmem shmem, final Runnable afterBuiltins)
    {
        final int builtins = builtins().size();
        for (int i = 0; i < modules.size(); i++)
        {
            if (i == builtins)
            {
                afterBuiltins.run();
            }
            final ShmemModule module = modules.get(i);
            module.shmemInit(shmem.forModule(module.name(), module.shmemSize(shmem.settings())));
        }
        if (modules.size() == builtins)
        {
            afterBuiltins.run();
        }
    }

    /**
     * Runs every module's cleanup for a process that died in {@code slot}, in reverse order of
     * initialization as PostgreSQL runs its on_shmem_exit callbacks: a module cleans up while the
     * lower layers it builds on (its LWLocks, which the lwlock module releases) are still as the
     * dead process left them. One failing does not stop the others.
     */
    public void cleanupProcess(final int slot, final long pid)
    {
        // first of all the dead process stops waiting, so that no cleanup queues behind it
        get(LWLocks.class).cancelWait(slot);
        for (int i = modules.size() - 1; i >= 0; i--)
        {
            final ShmemModule module = modules.get(i);
            try
            {
                module.cleanupProcess(slot, pid);
            }
            catch (final RuntimeException ex)
            {
                org.pgshmem.util.Elog.warning("module \"" + module.name() + "\" failed to clean up after process "
                    + pid + ": " + ex);
            }
        }
    }

    /** Runs every module's bootstrap, at initdb. */
    public void bootstrap(final BootstrapContext context) throws IOException
    {
        for (final ShmemModule module : modules)
        {
            module.bootstrap(context);
        }
    }
}
