package org.pgshmem.buffer;

import static org.pgshmem.buffer.BufferDescriptorLayout.*;
import static org.pgshmem.buffer.PageHeaderDescriptor.PAGE_SIZE;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.checkpoint.CheckpointerShmem;
import org.pgshmem.lock.LWLock;
import org.pgshmem.lock.LWLockMode;
import org.pgshmem.lock.LWLockTranche;
import org.pgshmem.lock.LockManager;
import org.pgshmem.lock.LockMode;
import org.pgshmem.lock.LockTag;
import org.pgshmem.module.ShmemModule;
import org.pgshmem.proc.MyProc;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSize;
import org.pgshmem.shmem.StructInit;
import org.pgshmem.util.Elog;
import org.pgshmem.util.PgException;

/**
 * The shared buffer manager (PostgreSQL's bufmgr.c, freelist.c, buf_table.c): {@code shared_buffers}
 * 8 KiB pages of relation files cached in shared memory for every process. A backend reads a page
 * with {@link #readBuffer}, which returns it pinned; takes its content lock with
 * {@link #lockBuffer}; reads or changes it through {@link #page}; marks it dirty; unlocks and
 * {@link #releaseBuffer}s it. A miss evicts a victim found by the clock sweep, writing it first
 * if dirty (after the WAL-flush callback for its LSN); a second process missing on the same page
 * waits for the first one's read instead of reading too.
 *
 * <pre>{@code
 * BufferManager bm = backend.module(BufferManager.class);
 * int buf = bm.readBuffer(16384, 0);
 * bm.lockBuffer(buf, LWLockMode.EXCLUSIVE);
 * bm.page(buf).putLong(100, bm.page(buf).getLong(100) + 1);
 * bm.markDirty(buf);
 * bm.unlockBuffer(buf, LWLockMode.EXCLUSIVE);
 * bm.releaseBuffer(buf);
 * }</pre>
 *
 * <p>Pins are counted per process and recorded in shared memory per slot, so the postmaster's
 * {@link #cleanupProcess} releases a dead process's pins, ends its I/O and (through the LWLock
 * cleanup) its content locks. Like a PostgreSQL backend, one thread at a time uses this object.
 */
public final class BufferManager implements ShmemModule
{
    public static final String DESCRIPTORS_LABEL = "Buffer Descriptors";
    public static final String BLOCKS_LABEL = "Buffer Blocks";
    public static final String MAPPING_LABEL = "Buffer Mapping Table";
    public static final String MAPPING_TRANCHE = "BufferMapping";
    public static final String PINS_LABEL = "Buffer Pins";

    /** Buffers one process may pin at once. */
    public static final int MAX_PINNED = 64;
    private static final int PIN_RECORD_LENGTH = 8;

    private final IdleStrategy ioWait = new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1),
        TimeUnit.MILLISECONDS.toNanos(1));
    private Shmem shmem;
    private int nbuffers;
    private AtomicBuffer descriptors;
    private AtomicBuffer blocks;
    private AtomicBuffer pins;
    private BufferMappingTable mapping;
    private LWLockTranche mappingLocks;
    private LWLock[] contentLocks;
    private BufferStrategy strategy;
    private BufferStats stats;
    private MyProc me;
    private int slots;

    private int[] localRefcount;
    private int[] localRecord;
    private UnsafeBuffer[] pages;
    private RelationFiles files;
    private ByteBuffer io;
    private final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    private LongConsumer walFlush;
    /** Set by {@link #readBufferForRedo} while it reads a page the caller overwrites whole. */
    private boolean zeroDamagedPage;

    @Override
    public String name()
    {
        return "buffer";
    }

    private static int nbuffers(final Settings settings)
    {
        return settings.getInt("shared_buffers");
    }

    private static long pinsSize(final Settings settings)
    {
        return ShmemSize.mulSize(ProcArray.slotCount(settings), (long)MAX_PINNED * PIN_RECORD_LENGTH);
    }

    @Override
    public long shmemSize(final Settings settings)
    {
        final int n = nbuffers(settings);
        long size = ShmemSize.alignUp(ShmemSize.mulSize(n, LENGTH));
        size = ShmemSize.addSize(size, ShmemSize.alignUp(ShmemSize.mulSize(n, PAGE_SIZE)));
        size = ShmemSize.addSize(size, ShmemSize.alignUp(BufferMappingTable.length(BufferMappingTable.partitionCapacity(n))));
        size = ShmemSize.addSize(size, ShmemSize.alignUp(LWLockTranche.shmemSize(BufferMappingTable.PARTITIONS)));
        size = ShmemSize.addSize(size, ShmemSize.alignUp(pinsSize(settings)));
        size = ShmemSize.addSize(size, ShmemSize.alignUp(BufferStrategy.LENGTH));
        return ShmemSize.addSize(size, ShmemSize.alignUp(BufferStats.LENGTH));
    }

    @Override
    public void shmemInit(final Shmem shmem)
    {
        final Settings settings = shmem.settings();
        this.shmem = shmem;
        this.nbuffers = nbuffers(settings);
        this.slots = ProcArray.slotCount(settings);
        this.descriptors = shmem.initStruct(DESCRIPTORS_LABEL, (long)nbuffers * LENGTH, StructInit.ZEROED).buffer();
        this.blocks = shmem.initStruct(BLOCKS_LABEL, (long)nbuffers * PAGE_SIZE, StructInit.ZEROED).buffer();
        final int capacity = BufferMappingTable.partitionCapacity(nbuffers);
        this.mapping = new BufferMappingTable(
            shmem.initStruct(MAPPING_LABEL, BufferMappingTable.length(capacity), StructInit.ZEROED).buffer(), capacity);
        this.mappingLocks = LWLockTranche.init(shmem, MAPPING_TRANCHE, BufferMappingTable.PARTITIONS);
        final int descriptorsAt = (int)shmem.findStruct(DESCRIPTORS_LABEL).offset();
        this.contentLocks = new LWLock[nbuffers];
        for (int buf = 0; buf < nbuffers; buf++)
        {
            contentLocks[buf] = LWLock.embedded(shmem, descriptorsAt + buf * LENGTH + CONTENT_LOCK_OFFSET,
                "BufferContent " + buf);
        }
        this.pins = shmem.initStruct(PINS_LABEL, pinsSize(settings), StructInit.ZEROED).buffer();
        this.strategy = new BufferStrategy(shmem.initStruct(BufferStrategy.LABEL, BufferStrategy.LENGTH,
            StructInit.ZEROED).buffer(), nbuffers);
        this.stats = new BufferStats(shmem.initStruct(BufferStats.LABEL, BufferStats.LENGTH, StructInit.ZEROED).buffer());
        this.me = shmem.processLocal(MyProc.class, MyProc::new);
        final ProcArray procArray = ProcArray.of(shmem.findStruct(ProcArray.LABEL));
        strategy.latchSetter(procArray::setLatch);
        this.localRefcount = new int[nbuffers];
        this.localRecord = new int[nbuffers];
        this.pages = new UnsafeBuffer[nbuffers];
    }

    /** Buffers in the pool. */
    public int nbuffers()
    {
        return nbuffers;
    }

    /**
     * The WAL flush to run before a dirty page with LSN {@code lsn} is written (XLogFlush); by
     * default this process's WAL module's.
     */
    public void walFlush(final LongConsumer flush)
    {
        this.walFlush = flush;
    }

    /** WAL before data: the WAL up to a page's LSN is flushed before the page is written. */
    private void flushWal(final long lsn)
    {
        if (walFlush == null)
        {
            // the WAL module comes after this one; find it once it is there
            final org.pgshmem.wal.Wal wal = shmem.processLocal(org.pgshmem.wal.Wal.class, () -> null);
            if (wal == null)
            {
                return;
            }
            walFlush = wal::flushIfStarted;
        }
        walFlush.accept(lsn);
    }

    /** This process's writes count as the background writer's (buffers_clean), not a backend's. */
    public void countWritesAsBgwriter()
    {
        stats.writer(BufferStats.Writer.BGWRITER);
    }

    /** This process's writes count as the checkpointer's (buffers_checkpoint), not a backend's. */
    public void countWritesAsCheckpointer()
    {
        stats.writer(BufferStats.Writer.CHECKPOINTER);
    }

    private RelationFiles files()
    {
        if (files == null)
        {
            files = new RelationFiles(shmem.dataDirectory());
            // looked up at the first I/O, when every module is in place; absent in a bare buffer manager
            final CheckpointerShmem checkpointer = shmem.processLocal(CheckpointerShmem.class, () -> null);
            if (checkpointer != null)
            {
                files.forwardSyncRequests(checkpointer::forwardSyncRequest);
            }
            io = Page.allocate();
        }
        return files;
    }

    /** The page in buffer {@code buf}: 8192 bytes of shared memory, to use while the buffer is pinned. */
    public AtomicBuffer page(final int buf)
    {
        UnsafeBuffer page = pages[buf];
        if (page == null)
        {
            page = new UnsafeBuffer(blocks, buf * PAGE_SIZE, PAGE_SIZE);
            pages[buf] = page;
        }
        return page;
    }

    /** The relation of the page in buffer {@code buf}. */
    public int relation(final int buf)
    {
        return descriptors.getInt(buf * LENGTH + TAG_RELATION_OFFSET);
    }

    /** The block number of the page in buffer {@code buf}. */
    public int block(final int buf)
    {
        return descriptors.getInt(buf * LENGTH + TAG_BLOCK_OFFSET);
    }

    long state(final int buf)
    {
        return descriptors.getLongVolatile(buf * LENGTH + STATE_OFFSET);
    }

    boolean casState(final int buf, final long expected, final long update)
    {
        return descriptors.compareAndSetLong(buf * LENGTH + STATE_OFFSET, expected, update);
    }

    private long tagOf(final int buf)
    {
        return BufferMappingTable.tag(relation(buf), block(buf));
    }

    /**
     * ReadBuffer: the buffer holding block {@code block} of relation {@code relation}, pinned; read
     * from the file on a miss, its checksum verified.
     *
     * @throws PgException "invalid page in block N of relation R" when the page on disk is corrupt
     *     (the buffer is left invalid and the file untouched), "no unpinned buffers available"
     */
    public int readBuffer(final int relation, final int block)
    {
        if (me.slot() < 0)
        {
            me.requireSlot("a shared buffer");
        }
        if (relation < 0 || block < 0)
        {
            throw new PgException("invalid page address: block " + block + " of relation " + relation,
                null, "Relations and blocks are numbered from 0 to 2147483647.");
        }
        final long tag = BufferMappingTable.tag(relation, block);
        final int partition = BufferMappingTable.partition(tag);
        // a look without the partition lock; the pin then proves or disproves it
        int buf = mapping.lookup(partition, tag);
        if (buf >= 0)
        {
            pin(buf);
            // a valid buffer cannot be retagged while we pin it; an invalid one may be in the middle
            // of its retagging, whose read ends its I/O: wait for that before trusting the tag
            if ((state(buf) & VALID) == 0)
            {
                waitForIo(buf);
            }
            if (tagOf(buf) == tag && (state(buf) & TAG_VALID) != 0)
            {
                return afterPin(buf, relation, block);
            }
            unpin(buf);
        }
        final LWLock partitionLock = mappingLocks.get(partition);
        partitionLock.acquire(LWLockMode.SHARED);
        buf = mapping.lookup(partition, tag);
        if (buf >= 0)
        {
            pin(buf);
            partitionLock.release(LWLockMode.SHARED);
            return afterPin(buf, relation, block);
        }
        partitionLock.release(LWLockMode.SHARED);
        return allocate(relation, block, tag, partition);
    }

    /**
     * XLogReadBufferForRedo's read, for replaying WAL: like {@link #readBuffer}, but a block past
     * the relation's end is first added with zero pages (the relation was extended after the last
     * checkpoint and the crash lost the extension), and with {@code willOverwrite} (the record
     * carries the page's full image) a page that fails its checksum, torn by the crash, is read as
     * zeros instead of refused. For recovery, when no other process extends relations.
     */
    public int readBufferForRedo(final int relation, final int block, final boolean willOverwrite)
    {
        if (relation < 0 || block < 0)
        {
            return readBuffer(relation, block);
        }
        final RelationFiles f = files();
        final long tag = BufferMappingTable.tag(relation, block);
        // a page in shared buffers exists on disk: the file's size (an fstat, half of replaying a
        // small record) is asked only on a miss, as smgrnblocks' cached size spares PostgreSQL's redo
        final int nblocks = mapping.lookup(BufferMappingTable.partition(tag), tag) >= 0 ? block + 1 : f.nblocks(relation);
        if (nblocks <= block)
        {
            zeroIo();
            for (int b = nblocks; b <= block; b++)
            {
                f.write(relation, b, io);
            }
        }
        zeroDamagedPage = willOverwrite;
        try
        {
            return readBuffer(relation, block);
        }
        finally
        {
            zeroDamagedPage = false;
        }
    }

    /** In {@link #readBufferForRedo} of a page to be overwritten: a damaged page in {@link #io} becomes zeros. */
    private boolean zeroDamaged(final int relation, final int block)
    {
        if (!zeroDamagedPage)
        {
            return false;
        }
        Elog.warning("invalid page in block " + Integer.toUnsignedString(block) + " of relation "
            + Integer.toUnsignedString(relation) + "; zeroing it: the WAL record replayed holds its full image");
        zeroIo();
        return true;
    }

    private void zeroIo()
    {
        for (int i = 0; i < PAGE_SIZE; i += Long.BYTES)
        {
            io.putLong(i, 0);
        }
    }

    /** Waits while an I/O on the buffer is in progress (WaitIO). */
    private void waitForIo(final int buf)
    {
        if ((state(buf) & IO_IN_PROGRESS) == 0)
        {
            return;
        }
        ioWait.reset();
        while ((state(buf) & IO_IN_PROGRESS) != 0)
        {
            ioWait.idle();
        }
    }

    /** A pinned buffer whose tag is ours: valid (a hit), or in need of the read we or another do. */
    private int afterPin(final int buf, final int relation, final int block)
    {
        if ((state(buf) & VALID) != 0)
        {
            stats.hit(relation);
            return buf;
        }
        if (startBufferIo(buf, true))
        {
            readIntoBuffer(buf, relation, block);
        }
        else
        {
            stats.hit(relation);
        }
        return buf;
    }

    /** With I/O In Progress ours: reads the page from disk, verifies it, and makes the buffer valid. */
    private void readIntoBuffer(final int buf, final int relation, final int block)
    {
        final RelationFiles f = files();
        try
        {
            f.read(relation, block, io);
            if (!Page.verify(io, block, crc) && !zeroDamaged(relation, block))
            {
                throw new PgException("invalid page in block " + Integer.toUnsignedString(block) + " of relation "
                    + Integer.toUnsignedString(relation), "The checksum or header of the page on disk is wrong;"
                    + " nothing was overwritten.", "Restore the relation file from a backup.");
            }
            page(buf).putBytes(0, io, 0, PAGE_SIZE);
        }
        catch (final RuntimeException ex)
        {
            terminateBufferIo(buf, false, IO_ERROR);
            unpin(buf);
            throw ex;
        }
        stats.read(relation);
        terminateBufferIo(buf, false, VALID);
    }

    /**
     * BufferAlloc: a victim from the clock sweep, written out if dirty, retagged under both mapping
     * partitions; returns it pinned (with our read to do) or, if another process mapped the page
     * meanwhile, that buffer.
     */
    private int allocate(final int relation, final int block, final long tag, final int partition)
    {
        while (true)
        {
            final int victim = strategy.getBuffer(this);
            long state = state(victim);
            if ((state & DIRTY) != 0)
            {
                try
                {
                    flushBuffer(victim);
                }
                catch (final RuntimeException ex)
                {
                    // the victim stays dirty (with I/O Error); the caller must not keep our pin of it
                    unpin(victim);
                    throw ex;
                }
                state = state(victim);
            }
            final boolean oldValid = (state & TAG_VALID) != 0;
            final long oldTag = tagOf(victim);
            final int oldPartition = oldValid ? BufferMappingTable.partition(oldTag) : partition;
            final LWLock first = mappingLocks.get(Math.min(partition, oldPartition));
            final LWLock second = oldPartition == partition ? null : mappingLocks.get(Math.max(partition, oldPartition));
            first.acquire(LWLockMode.EXCLUSIVE);
            if (second != null)
            {
                second.acquire(LWLockMode.EXCLUSIVE);
            }
            int result = -1;
            boolean retry = false;
            try
            {
                final int existing = mapping.insert(partition, tag, victim);
                if (existing >= 0)
                {
                    pin(existing);
                    result = existing;
                }
                else
                {
                    state = state(victim);
                    final long update = state & ~(USAGE_MASK | DIRTY | VALID | IO_ERROR | JUST_DIRTIED | IO_OWNER_MASK)
                        | TAG_VALID | IO_IN_PROGRESS | USAGE_ONE;
                    if (refcount(state) != 1 || (state & (DIRTY | IO_IN_PROGRESS)) != 0
                        || !casState(victim, state, withIoOwner(update, me.slot())))
                    {
                        // someone pinned or dirtied it since the sweep chose it: choose again
                        mapping.delete(partition, tag);
                        retry = true;
                    }
                    else
                    {
                        descriptors.putInt(victim * LENGTH + TAG_RELATION_OFFSET, relation);
                        descriptors.putIntRelease(victim * LENGTH + TAG_BLOCK_OFFSET, block);
                        if (oldValid)
                        {
                            mapping.delete(oldPartition, oldTag);
                        }
                    }
                }
            }
            finally
            {
                if (second != null)
                {
                    second.release(LWLockMode.EXCLUSIVE);
                }
                first.release(LWLockMode.EXCLUSIVE);
            }
            if (result >= 0)
            {
                unpin(victim);
                return afterPin(result, relation, block);
            }
            if (retry)
            {
                unpin(victim);
                continue;
            }
            readIntoBuffer(victim, relation, block);
            return victim;
        }
    }

    /** PinBuffer: a first pin by this process is recorded in its slot before the shared count goes up. */
    void pin(final int buf)
    {
        final int local = localRefcount[buf];
        if (local > 0)
        {
            localRefcount[buf] = local + 1;
            pins.putInt(localRecord[buf] + Integer.BYTES, local + 1);
            return;
        }
        final int record = takeRecord(buf);
        final int at = buf * LENGTH + STATE_OFFSET;
        while (true)
        {
            final long state = descriptors.getLongVolatile(at);
            final long update = usageCount(state) < MAX_USAGE_COUNT ? state + REFCOUNT_ONE + USAGE_ONE
                : state + REFCOUNT_ONE;
            if (descriptors.compareAndSetLong(at, state, update))
            {
                break;
            }
        }
        localRefcount[buf] = 1;
        localRecord[buf] = record;
    }

    /** The clock sweep's pin: only if the buffer is still unpinned with usage 0 ({@code expected}). */
    boolean pinIfUnused(final int buf, final long expected)
    {
        final int record = takeRecord(buf);
        if (descriptors.compareAndSetLong(buf * LENGTH + STATE_OFFSET, expected, expected + REFCOUNT_ONE))
        {
            localRefcount[buf] = 1;
            localRecord[buf] = record;
            return true;
        }
        pins.putLong(record, 0);
        return false;
    }

    /** ReleaseBuffer: drops one pin; the last one of this process goes to shared memory. */
    public void releaseBuffer(final int buf)
    {
        unpin(buf);
    }

    private void unpin(final int buf)
    {
        final int local = localRefcount[buf] - 1;
        if (local < 0)
        {
            throw new IllegalStateException("buffer " + buf + " is not pinned by this process");
        }
        localRefcount[buf] = local;
        if (local > 0)
        {
            pins.putInt(localRecord[buf] + Integer.BYTES, local);
            return;
        }
        descriptors.getAndAddLong(buf * LENGTH + STATE_OFFSET, -REFCOUNT_ONE);
        pins.putLongRelease(localRecord[buf], 0);
    }

    /** A free pin record of this slot, filled in for {@code buf} with count 1. */
    private int takeRecord(final int buf)
    {
        final int base = me.slot() * MAX_PINNED * PIN_RECORD_LENGTH;
        for (int i = 0; i < MAX_PINNED; i++)
        {
            final int record = base + i * PIN_RECORD_LENGTH;
            if (pins.getInt(record) == 0)
            {
                pins.putInt(record + Integer.BYTES, 1);
                pins.putIntVolatile(record, buf + 1);
                return record;
            }
        }
        throw new PgException("too many pinned buffers", "A process may pin " + MAX_PINNED + " buffers at once.",
            "Release buffers before reading more.");
    }

    /** LockBuffer: takes the buffer's content lock, shared to read the page, exclusive to change it. */
    public void lockBuffer(final int buf, final LWLockMode mode)
    {
        contentLocks[buf].acquire(mode);
    }

    /** Releases the content lock taken with {@link #lockBuffer}. */
    public void unlockBuffer(final int buf, final LWLockMode mode)
    {
        contentLocks[buf].release(mode);
    }

    /** MarkBufferDirty: the page was changed (under the exclusive content lock) and must be written before eviction. */
    public void markDirty(final int buf)
    {
        final int at = buf * LENGTH + STATE_OFFSET;
        while (true)
        {
            final long state = descriptors.getLongVolatile(at);
            if ((state & (DIRTY | JUST_DIRTIED)) == (DIRTY | JUST_DIRTIED)
                || descriptors.compareAndSetLong(at, state, state | DIRTY | JUST_DIRTIED))
            {
                return;
            }
        }
    }

    /**
     * ExtendBufferedRel: appends an empty page to the relation (creating its file) under the
     * relation's extension lock, and returns it pinned.
     */
    public int extend(final int relation, final LockManager locks)
    {
        if (relation < 0)
        {
            // before anything is written: readBuffer would refuse the page only after the file had it
            throw new PgException("invalid relation number " + relation, null,
                "Relations are numbered from 0 to 2147483647.");
        }
        final LockTag tag = LockTag.relationExtend(relation);
        locks.lock(tag, LockMode.EXCLUSIVE);
        try
        {
            final RelationFiles f = files();
            final int block = f.nblocks(relation);
            Page.init(io);
            Page.setChecksum(io, block, crc);
            f.write(relation, block, io);
            return readBuffer(relation, block);
        }
        finally
        {
            locks.unlock(tag, LockMode.EXCLUSIVE);
        }
    }

    /** Blocks in the relation's file. */
    public int nblocks(final int relation)
    {
        return files().nblocks(relation);
    }

    /** StartBufferIO: true when this process now owns the read or write; false when it is no longer needed. */
    private boolean startBufferIo(final int buf, final boolean forInput)
    {
        while (true)
        {
            waitForIo(buf);
            final long state = state(buf);
            if ((state & IO_IN_PROGRESS) != 0)
            {
                continue;
            }
            if (forInput ? (state & VALID) != 0 : (state & DIRTY) == 0)
            {
                return false;
            }
            long update = withIoOwner(state | IO_IN_PROGRESS, me.slot());
            if (!forInput)
            {
                update &= ~JUST_DIRTIED;
            }
            if (casState(buf, state, update))
            {
                return true;
            }
        }
    }

    /** TerminateBufferIO: ends our I/O, clearing Dirty after a write unless the page was dirtied again meanwhile. */
    private void terminateBufferIo(final int buf, final boolean clearDirty, final long setFlags)
    {
        while (true)
        {
            final long state = state(buf);
            long update = state & ~(IO_IN_PROGRESS | IO_ERROR | IO_OWNER_MASK) | setFlags;
            if (clearDirty && (state & JUST_DIRTIED) == 0)
            {
                update &= ~DIRTY;
            }
            if (casState(buf, state, update))
            {
                return;
            }
        }
    }

    /**
     * FlushBuffer: writes the pinned buffer's page if it is dirty: under the shared content lock
     * the page is copied, the WAL is flushed up to its LSN, the copy gets its checksum and is
     * written. Returns whether it wrote.
     */
    boolean flushBuffer(final int buf)
    {
        final LWLock content = contentLocks[buf];
        content.acquire(LWLockMode.SHARED);
        try
        {
            if (!startBufferIo(buf, false))
            {
                return false;
            }
            final int relation = relation(buf);
            final int block = block(buf);
            try
            {
                final RelationFiles f = files();
                page(buf).getBytes(0, io, 0, PAGE_SIZE);
                flushWal(io.getLong(PageHeaderDescriptor.LSN_OFFSET));
                if (!Page.isNew(io))
                {
                    Page.setChecksum(io, block, crc);
                }
                f.write(relation, block, io);
            }
            catch (final RuntimeException ex)
            {
                terminateBufferIo(buf, false, IO_ERROR);
                throw ex;
            }
            terminateBufferIo(buf, true, 0);
            stats.written(relation);
            return true;
        }
        finally
        {
            content.release(LWLockMode.SHARED);
        }
    }

    /**
     * SyncOneBuffer, for the background writer and for flushing everything: writes buffer
     * {@code buf} if it is valid and dirty (and, with {@code skipRecentlyUsed}, unpinned with
     * usage 0). Returns {@link #SYNC_WRITTEN} and/or {@link #SYNC_REUSABLE}.
     */
    int syncOneBuffer(final int buf, final boolean skipRecentlyUsed)
    {
        final long state = state(buf);
        final boolean reusable = refcount(state) == 0 && usageCount(state) == 0;
        if (skipRecentlyUsed && !reusable)
        {
            return 0;
        }
        final int result = reusable ? SYNC_REUSABLE : 0;
        if ((state & (VALID | DIRTY)) != (VALID | DIRTY))
        {
            return result;
        }
        pin(buf);
        try
        {
            return flushBuffer(buf) ? result | SYNC_WRITTEN : result;
        }
        finally
        {
            unpin(buf);
        }
    }

    static final int SYNC_WRITTEN = 1;
    static final int SYNC_REUSABLE = 2;

    /**
     * Writes every dirty buffer and makes the files this process wrote durable (the buffer part
     * of a checkpoint, BufferSync); returns how many buffers it wrote.
     */
    public int flushAll()
    {
        int written = 0;
        for (int buf = 0; buf < nbuffers; buf++)
        {
            if ((syncOneBuffer(buf, false) & SYNC_WRITTEN) != 0)
            {
                written++;
            }
        }
        if (files != null)
        {
            files.syncAll();
        }
        stats.flush();
        return written;
    }

    /** Buffers that are valid and dirty now (how many a checkpoint has to write). */
    public int countDirty()
    {
        int dirty = 0;
        for (int buf = 0; buf < nbuffers; buf++)
        {
            if ((state(buf) & (VALID | DIRTY)) == (VALID | DIRTY))
            {
                dirty++;
            }
        }
        return dirty;
    }

    /**
     * BufferSync, the buffer part of a checkpoint: writes every dirty buffer once, calling
     * {@code afterWrite} with the count so far after each write (where the checkpointer paces
     * itself); returns how many it wrote. The files still need their fsync.
     */
    public int writeDirty(final java.util.function.IntConsumer afterWrite)
    {
        int written = 0;
        for (int buf = 0; buf < nbuffers; buf++)
        {
            if ((syncOneBuffer(buf, false) & SYNC_WRITTEN) != 0)
            {
                afterWrite.accept(++written);
            }
        }
        stats.flush();
        return written;
    }

    /** Fsyncs the relation files this process wrote (when no sync-request queue collects them). */
    public void syncOwnFiles()
    {
        if (files != null)
        {
            files.syncAll();
        }
    }

    /** This process's share of the statistics goes to shared memory now rather than later. */
    public void flushStats()
    {
        stats.flush();
    }

    /** StrategyNotifyBgWriter: the next allocation wakes the background writer in {@code slot}. */
    public void hibernate(final int slot)
    {
        strategy.notifyBgwriter(slot);
    }

    /** The background writer in {@code slot} is awake again: allocations need not wake it. */
    public void stopHibernating(final int slot)
    {
        strategy.forgetBgwriter(slot);
    }

    BufferStrategy strategy()
    {
        return strategy;
    }

    BufferStats stats()
    {
        return stats;
    }

    /**
     * At detach (PostgreSQL's AtProcExit_Buffers): drops every pin this process holds, sends its
     * statistics and closes its files.
     */
    public void detach()
    {
        if (me.slot() >= 0 && localRefcount != null)
        {
            for (int buf = 0; buf < nbuffers; buf++)
            {
                while (localRefcount[buf] > 0)
                {
                    unpin(buf);
                }
            }
        }
        if (stats != null)
        {
            stats.flush();
        }
        if (files != null)
        {
            files.close();
        }
    }

    /**
     * In the postmaster, for a process that died in {@code slot}: ends the I/O it had in progress
     * (the buffer becomes invalid and the next reader reads again), drops its pins, and repairs
     * a mapping partition it died holding. Its content locks go with the LWLock cleanup after this.
     */
    @Override
    public void cleanupProcess(final int slot, final long pid)
    {
        int aborted = 0;
        for (int buf = 0; buf < nbuffers; buf++)
        {
            while (true)
            {
                final long state = state(buf);
                if ((state & IO_IN_PROGRESS) == 0 || ioOwner(state) != slot)
                {
                    break;
                }
                if (casState(buf, state, state & ~(IO_IN_PROGRESS | IO_OWNER_MASK) | IO_ERROR))
                {
                    aborted++;
                    break;
                }
            }
        }
        final int released = releasePinsOf(slot);
        int repaired = 0;
        for (int p = 0; p < BufferMappingTable.PARTITIONS; p++)
        {
            final LWLock lock = mappingLocks.get(p);
            if (lock.adoptExclusive(slot))
            {
                try
                {
                    repaired += repairPartition(p);
                }
                finally
                {
                    lock.release(LWLockMode.EXCLUSIVE);
                }
            }
        }
        strategy.forgetBgwriter(slot);
        if (aborted + released + repaired > 0)
        {
            Elog.log("released " + released + " buffer pin(s) and " + aborted + " I/O(s) in progress of terminated"
                + " process " + pid + (repaired > 0 ? "; repaired " + repaired + " buffer mapping entries" : ""));
        }
    }

    private int releasePinsOf(final int slot)
    {
        int released = 0;
        final int base = slot * MAX_PINNED * PIN_RECORD_LENGTH;
        for (int i = 0; i < MAX_PINNED; i++)
        {
            final int record = base + i * PIN_RECORD_LENGTH;
            final int buf = pins.getIntVolatile(record) - 1;
            if (buf < 0)
            {
                continue;
            }
            // a record stands for one share of the refcount, however many pins it counts; it is
            // written before the share is added and cleared after the share is taken away: release
            // the share only if the refcount holds one beyond what the others' records explain
            if (refcount(state(buf)) > sharesRecordedByOthers(slot, buf))
            {
                descriptors.getAndAddLong(buf * LENGTH + STATE_OFFSET, -REFCOUNT_ONE);
                released++;
            }
            pins.putLongVolatile(record, 0);
        }
        return released;
    }

    private int sharesRecordedByOthers(final int deadSlot, final int buf)
    {
        int shares = 0;
        for (int slot = 0; slot < slots; slot++)
        {
            if (slot == deadSlot)
            {
                continue;
            }
            final int base = slot * MAX_PINNED * PIN_RECORD_LENGTH;
            for (int i = 0; i < MAX_PINNED; i++)
            {
                if (pins.getIntVolatile(base + i * PIN_RECORD_LENGTH) == buf + 1)
                {
                    shares++;
                }
            }
        }
        return shares;
    }

    /**
     * A partition whose lock a dead process held may have an entry its retagging left behind:
     * an entry must name a buffer that holds that tag.
     */
    private int repairPartition(final int partition)
    {
        final long[] stale = new long[64];
        final int[] count = {0};
        mapping.forEach(partition, (tag, buf) ->
        {
            if ((tagOf(buf) != tag || (state(buf) & TAG_VALID) == 0) && count[0] < stale.length)
            {
                stale[count[0]++] = tag;
            }
        });
        for (int i = 0; i < count[0]; i++)
        {
            mapping.delete(partition, stale[i]);
        }
        return count[0];
    }
}
