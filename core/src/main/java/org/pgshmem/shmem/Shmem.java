package org.pgshmem.shmem;

import static org.pgshmem.shmem.ShmemIndexDescriptor.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.settings.Settings;
import org.pgshmem.util.PgException;
import org.pgshmem.util.Processes;

/**
 * A process's handle on a cluster's shared memory (PostgreSQL's shmem.c): structures by label
 * in the main segment and hash tables by label in Chronicle Map files.
 *
 * <p>{@link #initStruct} and {@link #initHash} are create-or-attach: the first caller in any
 * process creates the label and runs its init; every other caller, in any process, waits until
 * that init is done and gets the same memory. Labels live until the cluster stops.
 */
public final class Shmem implements AutoCloseable
{
    private static final long INIT_WAIT_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final long CREATOR_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ShmemSegment segment;
    private final Settings settings;
    private final Path dataDirectory;
    private final Map<String, SharedHash<?, ?>> openHashes;
    private final Budget budget;
    private final HashOperationMarks[] marks;
    private final Map<Class<?>, Object> processLocals;

    private Shmem(final ShmemSegment segment, final Settings settings, final Path dataDirectory,
        final Map<String, SharedHash<?, ?>> openHashes, final Budget budget, final HashOperationMarks[] marks,
        final Map<Class<?>, Object> processLocals)
    {
        this.processLocals = processLocals;
        this.segment = segment;
        this.settings = settings;
        this.dataDirectory = dataDirectory;
        this.openHashes = openHashes;
        this.budget = budget;
        this.marks = marks;
    }

    /** A handle on {@code segment} for this process; closing it unmaps the segment and closes open hashes. */
    public static Shmem open(final ShmemSegment segment, final Settings settings, final Path dataDirectory)
    {
        return new Shmem(segment, settings, dataDirectory, new ConcurrentHashMap<>(), null,
            new HashOperationMarks[] {HashOperationMarks.NONE}, new ConcurrentHashMap<>());
    }

    /**
     * This process's one object of {@code type} for this segment, made by {@code create} on first
     * use: how modules share per-process state (the process's own slot, say) without knowing
     * each other. Every module's view of the segment sees the same objects.
     */
    public <T> T processLocal(final Class<T> type, final java.util.function.Supplier<T> create)
    {
        return type.cast(processLocals.computeIfAbsent(type, t -> create.get()));
    }

    /**
     * Where this process records its hash operations (its proc-array slot, once it has one).
     * Set before the process opens any hash; hashes opened earlier record nothing.
     */
    public void hashOperationMarks(final HashOperationMarks processMarks)
    {
        marks[0] = processMarks;
    }

    HashOperationMarks hashOperationMarks()
    {
        return marks[0];
    }

    /** For this process's heartbeat: lets go of hashes under recovery that no thread is using. */
    public void closeQuarantinedHashes()
    {
        for (final SharedHash<?, ?> hash : openHashes.values())
        {
            hash.closeIfQuarantined();
        }
    }

    /**
     * The postmaster's step one after a process died inside an operation on the hash in shmem
     * index {@code entry}: makes its recovery generation odd, so that every process stops using
     * it and closes its mapping. Returns the label, or null when the entry is no hash or is
     * already being recovered.
     */
    public String quarantineHash(final int entry)
    {
        final ShmemIndex index = segment.index();
        if (index.state(entry) != STATE_READY || index.kind(entry) != KIND_HASH)
        {
            return null;
        }
        final int offset = ShmemIndex.hashGenerationOffset(entry);
        final long g = segment.buffer().getLongVolatile(offset);
        return (g & 1) == 0 && segment.buffer().compareAndSetLong(offset, g, g + 1) ? index.label(entry) : null;
    }

    /** Every hash entry of the index, for a process that may have been inside any of them. */
    public java.util.List<Integer> hashEntries()
    {
        final java.util.List<Integer> entries = new java.util.ArrayList<>();
        final ShmemIndex index = segment.index();
        index.forEach(entry ->
        {
            if (index.state(entry) == STATE_READY && index.kind(entry) == KIND_HASH)
            {
                entries.add(entry);
            }
        });
        return entries;
    }

    /** After a failed recovery: end the quarantine so that users get lock errors instead of waiting. */
    public void abandonHashRecovery(final int entry)
    {
        final int offset = ShmemIndex.hashGenerationOffset(entry);
        final long g = segment.buffer().getLongVolatile(offset);
        if ((g & 1) != 0)
        {
            segment.buffer().compareAndSetLong(offset, g, g + 1);
        }
    }

    /**
     * The postmaster's step two: Chronicle's recovery of the quarantined hash in {@code entry},
     * alone (it waits until every process has closed the file), then the generation turns even
     * and processes reopen it. Returns the recovered entry count.
     */
    public long recoverHash(final int entry) throws java.io.IOException
    {
        final ShmemIndex index = segment.index();
        final Path file = hashFile(index.label(entry), index.hashIsTransient(entry));
        final long count = HashFiles.recover(file, index.label(entry));
        segment.buffer().putLongVolatile(ShmemIndex.hashEntryCountOffset(entry), count);
        segment.buffer().getAndAddLong(ShmemIndex.hashGenerationOffset(entry), 1);
        return count;
    }

    /**
     * A view for one module's {@code shmemInit}: what it creates through the view counts against
     * the {@code declared} bytes of its {@code shmemSize}, and asking for more is an error.
     */
    public Shmem forModule(final String module, final long declared)
    {
        return new Shmem(segment, settings, dataDirectory, openHashes, new Budget(module, declared), marks, processLocals);
    }

    /** The same handle with other settings: what a process uses once it has read the cluster's own. */
    public Shmem withSettings(final Settings newSettings)
    {
        return new Shmem(segment, newSettings, dataDirectory, openHashes, budget, marks, processLocals);
    }

    /** The run-time settings of the cluster. */
    public Settings settings()
    {
        return settings;
    }

    /** The data directory. */
    public Path dataDirectory()
    {
        return dataDirectory;
    }

    /** The main segment. */
    public ShmemSegment segment()
    {
        return segment;
    }

    /**
     * Creates or attaches to the structure {@code label} of {@code size} bytes (PostgreSQL's
     * ShmemInitStruct). The creator runs {@code init} on the zeroed region before anyone else
     * sees it; exactly one caller across all processes does.
     *
     * @throws PgException when the label exists with another size, is a hash, or when the
     *                     segment has no room for it
     */
    public ShmemStruct initStruct(final String label, final long size, final StructInit init)
    {
        ShmemIndex.validateLabel(label);
        if (size <= 0 || size > Integer.MAX_VALUE)
        {
            throw new PgException("invalid size " + size + " for shared memory structure \"" + label + "\"",
                "A structure is 1 to " + Integer.MAX_VALUE + " bytes.", null);
        }
        final ShmemIndex index = segment.index();
        int entry = index.find(label);
        boolean created = false;
        if (entry == ShmemIndex.NOT_FOUND)
        {
            if (budget != null)
            {
                budget.charge(label, size);
            }
            segment.lockIndex();
            try
            {
                entry = index.find(label);
                if (entry == ShmemIndex.NOT_FOUND)
                {
                    final long offset = segment.allocate(ShmemSize.alignUp(size));
                    if (offset < 0)
                    {
                        throw outOfMemory(label, size);
                    }
                    entry = index.insert(label, KIND_STRUCT, offset, size, ShmemSize.alignUp(size),
                        Processes.selfPid());
                    index.publishState(entry, STATE_INITIALIZING);
                    segment.incrementIndexCount();
                    created = true;
                }
            }
            finally
            {
                segment.unlockIndex();
            }
            if (!created && budget != null)
            {
                budget.refund(size);
            }
        }
        if (created)
        {
            final ShmemStruct struct = struct(label, entry, false);
            runInit(index, entry, label, () -> init.init(struct.buffer()));
            return struct;
        }
        awaitReady(index, entry, label);
        if (index.kind(entry) != KIND_STRUCT)
        {
            throw new PgException("shared memory label \"" + label + "\" is a hash table, not a structure");
        }
        if (index.size(entry) != size)
        {
            throw new PgException("shared memory structure \"" + label + "\" has the wrong size",
                "It was created with " + index.size(entry) + " bytes; " + size + " bytes were requested.",
                "Every process must ask for the same size.");
        }
        return struct(label, entry, true);
    }

    /**
     * Attaches to the existing structure {@code label} whatever its size, for tools that did
     * not create it; an error when there is no such structure.
     */
    public ShmemStruct findStruct(final String label)
    {
        ShmemIndex.validateLabel(label);
        final ShmemIndex index = segment.index();
        final int entry = index.find(label);
        if (entry == ShmemIndex.NOT_FOUND)
        {
            throw new PgException("shared memory structure \"" + label + "\" does not exist");
        }
        awaitReady(index, entry, label);
        if (index.kind(entry) != KIND_STRUCT)
        {
            throw new PgException("shared memory label \"" + label + "\" is a hash table, not a structure");
        }
        return struct(label, entry, true);
    }

    private ShmemStruct struct(final String label, final int entry, final boolean found)
    {
        final ShmemIndex index = segment.index();
        final long offset = index.offset(entry);
        final UnsafeBuffer region = new UnsafeBuffer(segment.buffer(), (int)offset, (int)index.size(entry));
        return new ShmemStruct(label, region, offset, found);
    }

    private PgException outOfMemory(final String label, final long size)
    {
        final long left = segment.totalSize() - segment.freeOffset();
        return new PgException("out of shared memory",
            "Could not allocate " + size + " bytes for \"" + label + "\"; " + left + " of " + segment.totalSize()
                + " bytes are left.",
            "A module asked for more than its shmemSize declared, or the cluster was started with other settings.");
    }

    private static void runInit(final ShmemIndex index, final int entry, final String label, final Runnable init)
    {
        boolean ok = false;
        try
        {
            init.run();
            ok = true;
        }
        finally
        {
            index.publishState(entry, ok ? STATE_READY : STATE_FAILED);
        }
    }

    /** Waits while the label's creator runs its init; fails if the creator died or its init failed. */
    private static void awaitReady(final ShmemIndex index, final int entry, final String label)
    {
        int state = index.state(entry);
        if (state == STATE_READY)
        {
            return;
        }
        final long start = System.nanoTime();
        long nextCheck = start + CREATOR_CHECK_NANOS;
        int spins = 0;
        while ((state = index.state(entry)) == STATE_INITIALIZING)
        {
            if (spins++ < 100)
            {
                Thread.onSpinWait();
                continue;
            }
            LockSupport.parkNanos(20_000);
            final long now = System.nanoTime();
            if (now - nextCheck > 0)
            {
                nextCheck = now + CREATOR_CHECK_NANOS;
                final long creator = index.initializerPid(entry);
                if (index.state(entry) == STATE_INITIALIZING && !Processes.isAlive(creator, 0))
                {
                    throw new PgException("shared memory label \"" + label + "\" was left half-initialized",
                        "Process " + creator + " died while initializing it.", "Restart the cluster.");
                }
                if (now - start > INIT_WAIT_NANOS)
                {
                    throw new PgException("timed out waiting for process " + creator + " to initialize shared memory"
                        + " label \"" + label + "\"");
                }
            }
        }
        if (state != STATE_READY)
        {
            throw new PgException("shared memory label \"" + label + "\" could not be initialized",
                "Its initialization failed in process " + index.initializerPid(entry) + ".", "Restart the cluster.");
        }
    }

    /** {@link #initHash(HashOptions)} with default sizes. */
    public <K, V> SharedHash<K, V> initHash(final String label, final Class<K> keyType, final Class<V> valueType,
        final long maxEntries)
    {
        return initHash(HashOptions.of(label, keyType, valueType).maxEntries(maxEntries));
    }

    /**
     * Creates or opens the shared hash table {@code options.label()} (PostgreSQL's ShmemInitHash):
     * a Chronicle Map file registered in the shmem index, persisted under {@code DATA/shm/} unless
     * declared transient. Every process gets its own mapping of the same file; within a process
     * the same object is returned for a label.
     */
    @SuppressWarnings("unchecked")
    public <K, V> SharedHash<K, V> initHash(final HashOptions<K, V> options)
    {
        final String label = options.label;
        ShmemIndex.validateLabel(label);
        final SharedHash<?, ?> open = openHashes.get(label);
        final ShmemIndex index = segment.index();
        if (open != null)
        {
            checkHash(index, index.find(label), options);
            return (SharedHash<K, V>)open;
        }
        synchronized (openHashes)
        {
            final SharedHash<?, ?> raced = openHashes.get(label);
            if (raced != null)
            {
                return (SharedHash<K, V>)raced;
            }
            int entry = index.find(label);
            boolean created = false;
            if (entry == ShmemIndex.NOT_FOUND)
            {
                segment.lockIndex();
                try
                {
                    entry = index.find(label);
                    if (entry == ShmemIndex.NOT_FOUND)
                    {
                        entry = index.insert(label, KIND_HASH, -1, 0, 0, Processes.selfPid());
                        index.putHashDescriptor(entry, options.maxEntries, options.keyType.getName(),
                            options.valueType.getName(), options.transientHash);
                        index.publishState(entry, STATE_INITIALIZING);
                        segment.incrementIndexCount();
                        created = true;
                    }
                }
                finally
                {
                    segment.unlockIndex();
                }
            }
            final SharedHash<K, V> hash;
            if (created)
            {
                final int e = entry;
                final SharedHash<?, ?>[] made = new SharedHash<?, ?>[1];
                runInit(index, entry, label, () -> made[0] = HashFiles.open(this, options, e, true));
                hash = (SharedHash<K, V>)made[0];
            }
            else
            {
                checkHash(index, entry, options);
                hash = HashFiles.open(this, options, entry, false);
            }
            openHashes.put(label, hash);
            return hash;
        }
    }

    private static void checkHash(final ShmemIndex index, final int entry, final HashOptions<?, ?> options)
    {
        final String label = options.label;
        awaitReady(index, entry, label);
        if (index.kind(entry) != KIND_HASH)
        {
            throw new PgException("shared memory label \"" + label + "\" is a structure, not a hash table");
        }
        if (!index.hashTypesMatch(entry, options.keyType.getName(), options.valueType.getName()))
        {
            throw new PgException("shared hash table \"" + label + "\" has other key or value types",
                "It maps " + index.hashKeyTypeName(entry) + " to " + index.hashValueTypeName(entry) + "; "
                    + options.keyType.getName() + " to " + options.valueType.getName() + " was requested.",
                null);
        }
        if (index.hashMaxEntries(entry) != options.maxEntries)
        {
            throw new PgException("shared hash table \"" + label + "\" has the wrong size",
                "It was created for " + index.hashMaxEntries(entry) + " entries; " + options.maxEntries
                    + " were requested.",
                "Every process must ask for the same size.");
        }
    }

    /** The file of hash {@code label}: persisted ones under DATA/shm, transient ones beside the segment. */
    Path hashFile(final String label, final boolean transientHash)
    {
        final Path dir = transientHash ? segment.file().getParent() : dataDirectory.resolve("shm");
        return dir.resolve(HashFiles.fileName(label));
    }

    /**
     * Whether a hash table {@code label} exists: registered in this segment, or persisted under
     * DATA/shm by an earlier run. Lets tools look without creating a file.
     */
    public boolean hashExists(final String label)
    {
        ShmemIndex.validateLabel(label);
        final int entry = segment.index().find(label);
        if (entry != ShmemIndex.NOT_FOUND)
        {
            return segment.index().kind(entry) == KIND_HASH;
        }
        return java.nio.file.Files.exists(hashFile(label, false));
    }

    /**
     * The allocations view (PostgreSQL's pg_shmem_allocations): structures by offset, then hash
     * tables by label with their entry counts, then the unused remainder of the segment. A label
     * whose creator has not finished (or failed) its init shows as "initializing" ("failed").
     */
    public List<ShmemAllocation> allocations()
    {
        final ShmemIndex index = segment.index();
        final List<ShmemAllocation> structs = new ArrayList<>();
        final List<ShmemAllocation> hashes = new ArrayList<>();
        index.forEach(entry ->
        {
            final String label = index.label(entry);
            final int state = index.state(entry);
            if (state != STATE_READY)
            {
                // its creator is still in its init, or the init failed: its fields are not to be trusted
                structs.add(new ShmemAllocation(label, state == STATE_FAILED ? "failed" : "initializing",
                    index.kind(entry) == KIND_HASH ? -1 : index.offset(entry), index.size(entry),
                    index.allocatedSize(entry), -1, -1, null));
            }
            else if (index.kind(entry) == KIND_HASH)
            {
                final long count = segment.buffer().getLongVolatile(ShmemIndex.hashEntryCountOffset(entry));
                hashes.add(new ShmemAllocation(label, "hash", -1, 0, 0, count, index.hashMaxEntries(entry),
                    hashFile(label, index.hashIsTransient(entry)).toString()));
            }
            else
            {
                structs.add(new ShmemAllocation(label, "struct", index.offset(entry), index.size(entry),
                    index.allocatedSize(entry), -1, -1, null));
            }
        });
        structs.sort(Comparator.comparingLong(ShmemAllocation::offset));
        hashes.sort(Comparator.comparing(ShmemAllocation::name));
        final List<ShmemAllocation> all = new ArrayList<>(structs);
        all.addAll(hashes);
        final long free = segment.freeOffset();
        all.add(new ShmemAllocation(null, "unused", free, segment.totalSize() - free, segment.totalSize() - free,
            -1, -1, null));
        return all;
    }

    /** Closes this process's open hash tables and unmaps the segment. */
    @Override
    public void close()
    {
        for (final SharedHash<?, ?> hash : openHashes.values())
        {
            hash.close();
        }
        openHashes.clear();
        segment.close();
    }

    /** What one module may still allocate in its shmemInit. */
    private static final class Budget
    {
        private final String module;
        private final long declared;
        private long used;

        Budget(final String module, final long declared)
        {
            this.module = module;
            this.declared = declared;
        }

        void charge(final String label, final long size)
        {
            if (used + size > declared)
            {
                throw new PgException("module \"" + module + "\" asked for more shared memory than it declared",
                    "shmemInit requested " + size + " bytes for \"" + label + "\" after " + used
                        + " bytes; its shmemSize declared " + declared + " bytes.",
                    "Make shmemSize return the sum of everything shmemInit creates.");
            }
            used += size;
        }

        void refund(final long size)
        {
            used -= size;
        }
    }
}
