package org.pgshmem.wal;

import static org.pgshmem.wal.WalCtlDescriptor.*;
import static org.pgshmem.wal.WalPageHeaderDescriptor.*;
import static org.pgshmem.wal.WalRecordDescriptor.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.control.ControlFile;
import org.pgshmem.lock.LWLock;
import org.pgshmem.lock.LWLockMode;
import org.pgshmem.lock.LWLockTranche;
import org.pgshmem.module.BootstrapContext;
import org.pgshmem.module.ShmemModule;
import org.pgshmem.proc.MyProc;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSize;
import org.pgshmem.shmem.StructInit;
import org.pgshmem.util.DurableFiles;
import org.pgshmem.util.Elog;
import org.pgshmem.util.PgException;

/**
 * The write-ahead log (PostgreSQL's xlog.c), a module: records are inserted by any process with
 * one atomic add on the shared insert position, copied into the WAL buffers in shared memory
 * ({@code wal_buffers}), then written to the segment files under {@code DATA/wal} and flushed;
 * committers waiting for the same flush share one fsync (group commit: whoever gets
 * WALWriteLock flushes everything inserted so far, and the others find their records flushed).
 *
 * <p>Layouts in {@link WalCtlDescriptor}; the on-disk format in {@link WalPageHeaderDescriptor}
 * and {@link WalRecordDescriptor}.
 */
public final class Wal implements ShmemModule
{
    /** The module's name. */
    public static final String NAME = "wal";
    /** Label of the control struct. */
    public static final String CTL_LABEL = "XLOG Ctl";
    /** Label of the per-slot insertion entries. */
    public static final String INSERT_SLOTS_LABEL = "WAL Insert Slots";
    /** Label of the WAL buffers. */
    public static final String BUFFERS_LABEL = "WAL Buffers";
    /** The tranche of WALWriteLock and WALBufMappingLock. */
    public static final String TRANCHE = "WAL";
    /** No LSN (InvalidXLogRecPtr). */
    public static final long INVALID_LSN = 0;
    /** For {@link #insert}: the record does not depend on the redo pointer (no full-page images). */
    public static final long ANY_REDO = -1;
    /** The fewest WAL buffers: twice the largest record, so that a record never waits for itself. */
    public static final int MIN_BUFFERS = 2 * MAX_RECORD_LENGTH / PAGE_SIZE + 2;

    /** Insertion state of a slot: not inserting. */
    public static final int INSERT_IDLE = 0;
    /** Insertion state of a slot: reserving space; its start is not known yet. */
    public static final int INSERT_RESERVING = 1;
    /** Insertion state of a slot: copying its record into the WAL buffers. */
    public static final int INSERT_COPYING = 2;
    /** Insertion state of a slot: its record is in the WAL buffers and it is applying it to pages. */
    public static final int INSERT_APPLYING = 3;

    private static final int WRITE_LOCK = 0;
    private static final int MAPPING_LOCK = 1;
    private static final int IO_CHUNK = 256 * 1024;

    private AtomicBuffer ctl;
    private AtomicBuffer slots;
    private AtomicBuffer bufs;
    private int nbuffers;
    private int pagesOffset;
    private long ringBytes;
    private int slotCount;
    private long systemIdentifier;
    private int segmentSize;
    private boolean fsync;
    private boolean fullPageWrites;
    private double maxWalBytes;
    private long minWalBytes;
    private double checkpointTarget;
    private java.util.function.LongSupplier nextXid;
    private final java.util.List<Runnable> checkPointGuts = new java.util.concurrent.CopyOnWriteArrayList<>();
    private java.util.function.IntSupplier syncRequests;
    private Path dataDir;
    private Shmem shmem;
    private boolean finishingDead;
    private MyProc me;
    private LWLock writeLock;
    private LWLock mappingLock;
    private WalPageCipher cipher;
    private final RedoHandler[] redo = new RedoHandler[256];
    private Runnable checkpointNeeded = () -> { };

    // this process's scratch, allocated once
    private final UnsafeBuffer header = new UnsafeBuffer(new byte[HEADER_LENGTH]);
    private final byte[] lsnBytes = new byte[Long.BYTES];
    private final UnsafeBuffer lsnView = new UnsafeBuffer(lsnBytes);
    private final CRC32C crc = new CRC32C();
    private byte[] staging = new byte[0];
    private UnsafeBuffer stagingView = new UnsafeBuffer(staging);
    private ByteBuffer crcSource;
    private ByteBuffer crcView;
    private WalSegments segments;
    private ByteBuffer io;
    private long lastInsertLsn;
    private long scanBoundary;

    @Override
    public String name()
    {
        return NAME;
    }

    /** WAL buffers for {@code settings}: wal_buffers, or shared_buffers/32 within [MIN_BUFFERS, 2048] for -1. */
    public static int buffers(final Settings settings)
    {
        final long configured = settings.getLong("wal_buffers");
        final long n = configured == -1 ? settings.getLong("shared_buffers") / 32 : configured;
        // as PostgreSQL raises a too-small wal_buffers, rather than refusing to start
        return (int)Math.max(MIN_BUFFERS, Math.min(n, configured == -1 ? 2048 : Math.max(n, MIN_BUFFERS)));
    }

    @Override
    public long shmemSize(final Settings settings)
    {
        final int n = buffers(settings);
        long size = ShmemSize.alignUp(CTL_LENGTH);
        size = ShmemSize.addSize(size, ShmemSize.alignUp(ShmemSize.mulSize(ProcArray.slotCount(settings), SLOT_LENGTH)));
        size = ShmemSize.addSize(size, ShmemSize.alignUp(buffersLength(n)));
        return ShmemSize.addSize(size, ShmemSize.alignUp(LWLockTranche.shmemSize(2)));
    }

    private static long xlblocksLength(final int n)
    {
        return ((long)n * Long.BYTES + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
    }

    private static long buffersLength(final int n)
    {
        return ShmemSize.addSize(xlblocksLength(n), ShmemSize.mulSize(n, PAGE_SIZE));
    }

    @Override
    public void shmemInit(final Shmem shmem)
    {
        final Settings settings = shmem.settings();
        nbuffers = buffers(settings);
        ringBytes = (long)nbuffers * PAGE_SIZE;
        pagesOffset = (int)xlblocksLength(nbuffers);
        slotCount = ProcArray.slotCount(settings);
        fsync = settings.getBoolean("fsync");
        fullPageWrites = settings.getBoolean("full_page_writes");
        dataDir = shmem.dataDirectory();
        systemIdentifier = shmem.segment().systemIdentifier();
        final var ctlStruct = shmem.initStruct(CTL_LABEL, CTL_LENGTH, StructInit.ZEROED);
        ctl = ctlStruct.buffer();
        slots = shmem.initStruct(INSERT_SLOTS_LABEL, (long)slotCount * SLOT_LENGTH, StructInit.ZEROED).buffer();
        bufs = shmem.initStruct(BUFFERS_LABEL, buffersLength(nbuffers), StructInit.ZEROED).buffer();
        final LWLockTranche locks = LWLockTranche.init(shmem, TRANCHE, 2);
        writeLock = locks.get(WRITE_LOCK);
        mappingLock = locks.get(MAPPING_LOCK);
        // the postmaster sets the segment size at startup (startAt); attaching processes find it here
        segmentSize = ctl.getIntVolatile(CTL_SEGMENT_SIZE_OFFSET);
        minWalBytes = settings.getBytes("min_wal_size");
        checkpointTarget = settings.getReal("checkpoint_completion_target");
        maxWalBytes = settings.getBytes("max_wal_size") / (1.0 + settings.getReal("checkpoint_completion_target"));
        me = shmem.processLocal(MyProc.class, MyProc::new);
        this.shmem = shmem;
        cipher = shmem.processLocal(WalPageCipher.class, () -> null);
        // how other modules' shmemInit find this process's WAL (to register redo routines, hooks)
        shmem.processLocal(Wal.class, () -> this);
    }

    private long maxWalSegments()
    {
        return Math.max(1, (long)(maxWalBytes * (1.0 + checkpointTarget)) / segmentSize);
    }

    private long checkpointSegments()
    {
        // CheckPointSegments: a checkpoint every max_wal_size / (1 + completion target) of WAL
        return Math.max(1, (long)(maxWalBytes / segmentSize));
    }

    /** What to run when the WAL since the last redo point passes max_wal_size (the checkpointer's request). */
    public void onCheckpointNeeded(final Runnable request)
    {
        this.checkpointNeeded = request;
    }

    // ---------------------------------------------------------------- insertion

    /** RedoRecPtr: the redo location of the checkpoint in progress or the last one; a page whose LSN is not past it needs a full-page image at its next change. */
    public long redoRecPtr()
    {
        return ctl.getLongVolatile(REDO_REC_PTR_OFFSET);
    }

    /** Whether full_page_writes is on. */
    public boolean fullPageWrites()
    {
        return fullPageWrites;
    }

    /**
     * XLogInsert: appends a record of {@code type} for transaction {@code xid} (0: none) with the
     * payload {@code payload[offset, offset + length)}, and returns its end LSN (what a page it
     * changes gets as its LSN). Returns {@link #INVALID_LSN} instead when the redo pointer moved
     * past {@code redoRecPtrUsed} (the value of {@link #redoRecPtr} the caller based its full-page
     * image decisions on; {@link #ANY_REDO} when it made none): the record was not inserted, and
     * the caller builds it again. With {@code apply}, this process's slot stays in
     * {@link #INSERT_APPLYING} until {@link #endApply}, so that if it dies meanwhile the record is
     * applied again by its cleanup.
     */
    public long insert(final int type, final long xid, final DirectBuffer payload, final int offset, final int length,
        final long redoRecPtrUsed, final boolean apply)
    {
        final int total = HEADER_LENGTH + length;
        if (length < 0 || total > MAX_RECORD_LENGTH)
        {
            throw new PgException("WAL record too long: " + total + " bytes", "A record holds at most "
                + MAX_RECORD_LENGTH + " bytes.", "Change fewer pages in one transaction.");
        }
        final int slot = me.slot();
        if (slot < 0)
        {
            me.requireSlot("the WAL");
        }
        final int entry = slot * SLOT_LENGTH;
        final int size = align(total);
        slots.putInt(entry + SLOT_SIZE_OFFSET, size);
        slots.putIntVolatile(entry + SLOT_STATE_OFFSET, INSERT_RESERVING);
        long seq = ctl.getLongVolatile(REDO_SEQ_OFFSET);
        while ((seq & 1) != 0)
        {
            // a checkpoint is between reading the insert position and publishing it as RedoRecPtr
            Thread.onSpinWait();
            seq = ctl.getLongVolatile(REDO_SEQ_OFFSET);
        }
        if (redoRecPtrUsed != ANY_REDO && ctl.getLongVolatile(REDO_REC_PTR_OFFSET) != redoRecPtrUsed)
        {
            slots.putIntVolatile(entry + SLOT_STATE_OFFSET, INSERT_IDLE);
            return INVALID_LSN;
        }
        final long startPos = ctl.getAndAddLong(INSERT_POS_OFFSET, size);
        final long start = WalAddress.toLsn(startPos);
        final long end = WalAddress.toEndLsn(startPos + size);
        slots.putLong(entry + SLOT_START_OFFSET, start);
        slots.putLong(entry + SLOT_END_OFFSET, end);
        slots.putLong(entry + SLOT_INSERTING_AT_OFFSET, advertised(start));
        slots.putIntVolatile(entry + SLOT_STATE_OFFSET, INSERT_COPYING);
        if (redoRecPtrUsed != ANY_REDO && ctl.getLongVolatile(REDO_SEQ_OFFSET) != seq)
        {
            // the redo pointer may have moved before our reservation: a page we logged without an
            // image may need one, so the space becomes a NOOP and the caller builds the record again
            copyRecord(slot, startPos, WalRecordType.NOOP, 0, null, 0, size - HEADER_LENGTH);
            slots.putIntVolatile(entry + SLOT_STATE_OFFSET, INSERT_IDLE);
            return INVALID_LSN;
        }
        copyRecord(slot, startPos, type, xid, payload, offset, length);
        // counted in our own slot: a shared counter would be a second contended atomic per record
        slots.putLongOrdered(entry + SLOT_RECORDS_OFFSET, slots.getLong(entry + SLOT_RECORDS_OFFSET) + 1);
        slots.putLongOrdered(entry + SLOT_BYTES_OFFSET, slots.getLong(entry + SLOT_BYTES_OFFSET) + size);
        lastInsertLsn = start;
        slots.putIntVolatile(entry + SLOT_STATE_OFFSET, apply ? INSERT_APPLYING : INSERT_IDLE);
        if (start / segmentSize != end / segmentSize)
        {
            checkCheckpointDistance(end);
        }
        return end;
    }

    /** XLogCheckpointNeeded: at a segment boundary, asks for a checkpoint once the WAL since the redo point passes max_wal_size. */
    private void checkCheckpointDistance(final long end)
    {
        final long segno = end / segmentSize;
        final long redoSegno = redoRecPtr() / segmentSize;
        final long requested = ctl.getLongVolatile(CKPT_REQUESTED_SEGNO_OFFSET);
        if (segno - redoSegno >= checkpointSegments() && requested < redoSegno + 1
            && ctl.compareAndSetLong(CKPT_REQUESTED_SEGNO_OFFSET, requested, segno))
        {
            checkpointNeeded.run();
        }
    }

    /** Counts a full-page image logged by a caller (pg_stat_wal's wal_fpi). */
    public void countFullPageImages(final int n)
    {
        final int at = me.slot() * SLOT_LENGTH + SLOT_FPI_OFFSET;
        slots.putLongOrdered(at, slots.getLong(at) + n);
    }

    /** Where the record this process inserted last starts. */
    public long lastInsertLsn()
    {
        return lastInsertLsn;
    }

    /** The record inserted with {@code apply} is applied: this process's slot goes back to idle. */
    public void endApply()
    {
        slots.putIntVolatile(me.slot() * SLOT_LENGTH + SLOT_STATE_OFFSET, INSERT_IDLE);
    }

    /**
     * CopyXLogRecordToWAL: the header (with its CRC) and the payload into the WAL buffers from
     * usable position {@code startPos}, page headers of continued pages filled in. A null
     * {@code payload} is {@code length} zero bytes.
     */
    private void copyRecord(final int slot, final long startPos, final int type, final long xid,
        final DirectBuffer payload, final int offset, final int length)
    {
        final int total = HEADER_LENGTH + length;
        final long start = WalAddress.toLsn(startPos);
        header.setMemory(0, HEADER_LENGTH, (byte)0);
        header.putInt(TOTAL_LENGTH_OFFSET, total);
        header.putByte(TYPE_OFFSET, (byte)type);
        header.putLong(XID_OFFSET, xid);
        crc.reset();
        lsnView.putLong(0, start);
        crc.update(lsnBytes, 0, Long.BYTES);
        crc.update(header.byteArray(), 0, CRC_OFFSET);
        if (payload == null)
        {
            stage(length);
            stagingView.setMemory(0, length, (byte)0);
            crc.update(staging, 0, length);
        }
        else if (payload.byteArray() != null)
        {
            crc.update(payload.byteArray(), (int)(payload.wrapAdjustment()) + offset, length);
        }
        else if (payload.byteBuffer() != null)
        {
            // a direct buffer (a transaction's commit record): checksummed where it is, through a
            // view kept for that buffer, not copied first
            if (crcSource != payload.byteBuffer())
            {
                crcSource = payload.byteBuffer();
                crcView = crcSource.duplicate();
            }
            final int at = payload.wrapAdjustment() + offset;
            crcView.limit(at + length).position(at);
            crc.update(crcView);
        }
        else
        {
            stage(length);
            payload.getBytes(offset, staging, 0, length);
            crc.update(staging, 0, length);
        }
        header.putInt(CRC_OFFSET, (int)crc.getValue());
        long pos = startPos;
        pos = copyBytes(slot, pos, start, total, 0, header, 0, HEADER_LENGTH);
        copyBytes(slot, pos, start, total, HEADER_LENGTH, payload == null ? stagingView : payload, offset, length);
    }

    private void stage(final int length)
    {
        if (staging.length < length)
        {
            staging = new byte[Math.max(length, 2 * staging.length)];
            stagingView = new UnsafeBuffer(staging);
        }
    }

    /** Copies {@code n} bytes of the record (from its byte {@code done}) to usable position {@code pos}; returns the position after them. */
    private long copyBytes(final int slot, long pos, final long start, final int total, int done, final DirectBuffer src,
        int srcOffset,
        int n)
    {
        while (n > 0)
        {
            final long lsn = WalAddress.toLsn(pos);
            final long page = WalAddress.pageOf(lsn);
            final int pageOff = bufferOf(slot, page);
            final int inPage = (int)(lsn - page);
            if (inPage == LENGTH && lsn != start)
            {
                // the record goes on from the last page: say so in this page's header
                bufs.putInt(pageOff + REM_LEN_OFFSET, total - done);
                bufs.putShort(pageOff + INFO_OFFSET, (short)(bufs.getShort(pageOff + INFO_OFFSET) | FIRST_IS_CONTRECORD));
            }
            final int chunk = Math.min(n, PAGE_SIZE - inPage);
            bufs.putBytes(pageOff + inPage, src, srcOffset, chunk);
            pos += chunk;
            srcOffset += chunk;
            done += chunk;
            n -= chunk;
        }
        return pos;
    }

    /** GetXLogBuffer: the offset in the WAL buffers of page {@code page}, initialized first if need be. */
    private int bufferOf(final int slot, final long page)
    {
        if (!holds(page))
        {
            // WALInsertLockUpdateInsertingAt: everything of the record before this page is copied;
            // a flusher holding WALWriteLock must not wait for more of it while we wait for that lock
            slots.putLongVolatile(slot * SLOT_LENGTH + SLOT_INSERTING_AT_OFFSET, Math.max(page,
                advertised(slots.getLong(slot * SLOT_LENGTH + SLOT_START_OFFSET))));
            advanceInsertBuffer(page);
        }
        return bufferOffset(page);
    }

    /**
     * What an insertion starting at {@code start} advertises as copied before it has copied
     * anything: its start, or, for a record that is the first on its page, the page's start, so
     * that no flusher writes that page's header before the page is initialized (GetXLogBuffer).
     */
    private static long advertised(final long start)
    {
        return start % PAGE_SIZE == LENGTH ? start - LENGTH : start;
    }

    /**
     * AdvanceXLInsertBuffer: initializes buffer pages in order up to {@code page}; a buffer's old
     * page must be written out first. The largest record is smaller than half the buffers, so the
     * old pages to write are all before the start of any record still being copied.
     */
    private void advanceInsertBuffer(final long page)
    {
        mappingLock.acquire(LWLockMode.EXCLUSIVE);
        boolean held = true;
        try
        {
            while (true)
            {
                final long next = ctl.getLongVolatile(INITIALIZED_OFFSET);
                if (next > page)
                {
                    return;
                }
                final long oldEnd = next - ringBytes + PAGE_SIZE;
                if (ctl.getLongVolatile(WRITTEN_OFFSET) < oldEnd)
                {
                    mappingLock.release(LWLockMode.EXCLUSIVE);
                    held = false;
                    writeUpTo(oldEnd, false);
                    mappingLock.acquire(LWLockMode.EXCLUSIVE);
                    held = true;
                    continue;
                }
                final int index = (int)((next / PAGE_SIZE) % nbuffers);
                final int off = pagesOffset + index * PAGE_SIZE;
                bufs.setMemory(off, PAGE_SIZE, (byte)0);
                initPageHeader(bufs, off, next, systemIdentifier, segmentSize, ctl.getInt(CTL_EPOCH_OFFSET));
                bufs.putLongVolatile(index * Long.BYTES, next + PAGE_SIZE);
                ctl.putLongVolatile(INITIALIZED_OFFSET, next + PAGE_SIZE);
            }
        }
        finally
        {
            if (held)
            {
                mappingLock.release(LWLockMode.EXCLUSIVE);
            }
        }
    }

    /** Writes a page header (no flags) at {@code off}. */
    static void initPageHeader(final org.agrona.MutableDirectBuffer buf, final int off, final long pageAddress,
        final long systemIdentifier, final int segmentSize, final int epoch)
    {
        buf.putShort(off + MAGIC_OFFSET, MAGIC);
        buf.putShort(off + INFO_OFFSET, (short)0);
        buf.putInt(off + REM_LEN_OFFSET, 0);
        buf.putLong(off + PAGE_ADDRESS_OFFSET, pageAddress);
        buf.putLong(off + SYSTEM_IDENTIFIER_OFFSET, systemIdentifier);
        buf.putInt(off + SEGMENT_SIZE_OFFSET, segmentSize);
        buf.putInt(off + EPOCH_OFFSET, epoch);
    }

    /** A new write epoch: random, never 0. */
    private static int newEpoch()
    {
        int epoch = 0;
        while (epoch == 0)
        {
            epoch = new java.security.SecureRandom().nextInt();
        }
        return epoch;
    }

    // ---------------------------------------------------------------- write and flush

    /** XLogFlush: returns once the WAL up to {@code lsn} is on disk (written and, with fsync on, fsynced). */
    public void flush(final long lsn)
    {
        if (ctl.getLongVolatile(FLUSHED_OFFSET) >= lsn)
        {
            return;
        }
        writeUpTo(lsn, true);
    }

    /**
     * For the buffer manager's WAL-before-data rule: {@link #flush}, except during recovery, before
     * the WAL is set up, when every page's LSN is already on disk.
     */
    public void flushIfStarted(final long lsn)
    {
        if (segmentSize != 0 || (segmentSize = ctl.getIntVolatile(CTL_SEGMENT_SIZE_OFFSET)) != 0)
        {
            flush(lsn);
        }
    }

    /**
     * XLogWrite under WALWriteLock: writes (and with {@code sync}, fsyncs) at least up to
     * {@code target}, and as much more as is fully inserted, so one fsync serves every committer
     * that queued meanwhile. As in PostgreSQL's XLogFlush, the wait for insertions to finish
     * happens before taking WALWriteLock, never while holding it: an inserter may itself need
     * that lock to recycle a WAL buffer before it can finish.
     */
    private void writeUpTo(final long wanted, final boolean sync)
    {
        // nothing past the reserved end can be written (asking for the insert position at a page
        // boundary means the end of the page before it)
        final long target = Math.min(wanted, WalAddress.toEndLsn(ctl.getLongVolatile(INSERT_POS_OFFSET)));
        final int doneOffset = sync ? FLUSHED_OFFSET : WRITTEN_OFFSET;
        if (ctl.getLongVolatile(doneOffset) >= target)
        {
            return;
        }
        long upto;
        int spins;
        while (true)
        {
            upto = waitInsertionsToFinish(target);
            // LWLockAcquireOrWait: while another process writes, wait for it to finish and look
            // again rather than queue for the lock: its write usually covers our record too, and
            // committers queued behind each other would each pay an fsync for one record
            if (writeLock.tryAcquire(LWLockMode.EXCLUSIVE))
            {
                break;
            }
            spins = 0;
            while (writeLock.isHeld() && ctl.getLongVolatile(doneOffset) < target)
            {
                spins = idleForWrite(spins);
                checkForDeadProcesses(spins);
            }
            if (ctl.getLongVolatile(doneOffset) >= target)
            {
                return;
            }
        }
        long boundary = scanBoundary;
        try
        {
            if (ctl.getLongVolatile(doneOffset) >= target)
            {
                return;
            }
            // whatever else was copied while we queued for the lock goes too; this scan never waits
            final long more = scanInsertions();
            if (more > upto)
            {
                upto = more;
                boundary = scanBoundary;
            }
            final long written = ctl.getLongVolatile(WRITTEN_OFFSET);
            if (upto > written)
            {
                writePages(written, upto);
                ctl.putLongVolatile(WRITTEN_OFFSET, upto);
                if (boundary > ctl.getLongVolatile(BOUNDARY_OFFSET))
                {
                    ctl.putLongVolatile(BOUNDARY_OFFSET, boundary);
                }
            }
            if (sync)
            {
                if (fsync)
                {
                    segments().sync();
                    ctl.getAndAddLong(STAT_SYNCS_OFFSET, 1);
                }
                ctl.putLongVolatile(FLUSHED_OFFSET, Math.max(upto, written));
            }
        }
        finally
        {
            writeLock.release(LWLockMode.EXCLUSIVE);
        }
    }

    /**
     * WaitXLogInsertionsToFinish: the position, at least {@code target}, up to which every
     * reserved record is copied (an inserter waiting for a buffer page has copied up to that
     * page); leaves in {@link #scanBoundary} the record boundary at or below it. Must not be
     * called holding WALWriteLock.
     */
    private long waitInsertionsToFinish(final long target)
    {
        int spins = 0;
        while (true)
        {
            final long done = scanInsertions();
            if (done >= target)
            {
                return done;
            }
            spins = idle(spins);
            checkForDeadProcesses(spins);
        }
    }

    /**
     * One look at the insert slots: how far every reservation is copied, or -1 while some slot is
     * still reserving (its start may be below); sets {@link #scanBoundary}.
     */
    private long scanInsertions()
    {
        long done = WalAddress.toEndLsn(ctl.getLongVolatile(INSERT_POS_OFFSET));
        long boundary = done;
        for (int s = 0; s < slotCount; s++)
        {
            final int entry = s * SLOT_LENGTH;
            final int state = slots.getIntVolatile(entry + SLOT_STATE_OFFSET);
            if (state == INSERT_RESERVING)
            {
                // it will know its start in nanoseconds
                return -1;
            }
            if (state == INSERT_COPYING)
            {
                done = Math.min(done, slots.getLongVolatile(entry + SLOT_INSERTING_AT_OFFSET));
                boundary = Math.min(boundary, slots.getLongVolatile(entry + SLOT_START_OFFSET));
            }
        }
        scanBoundary = boundary;
        return done;
    }

    /** Writes the WAL buffers' bytes [from, to) to the segments, encrypted if the cluster is, fsyncing every segment it finishes. */
    private void writePages(final long from, final long to)
    {
        final WalSegments files = segments();
        final ByteBuffer out = io;
        long at = from;
        while (at < to)
        {
            // one write per run of pages within a segment and the staging buffer
            final long segmentEnd = at - at % segmentSize + segmentSize;
            final long runEnd = Math.min(Math.min(to, segmentEnd), WalAddress.pageOf(at) + IO_CHUNK);
            final long firstPage = WalAddress.pageOf(at);
            out.clear();
            for (long page = firstPage; page < runEnd; page += PAGE_SIZE)
            {
                final int index = (int)((page / PAGE_SIZE) % nbuffers);
                final int off = pagesOffset + index * PAGE_SIZE;
                final int base = (int)(page - firstPage);
                final int end = (int)(Math.min(runEnd, page + PAGE_SIZE) - page);
                bufs.getBytes(off, out, base, end);
                if (cipher != null)
                {
                    out.putShort(base + INFO_OFFSET, (short)(out.getShort(base + INFO_OFFSET) | ENCRYPTED));
                    out.limit(out.capacity()).position(base);
                    cipher.encrypt(page, out.getInt(base + EPOCH_OFFSET), out, end);
                    out.position(0);
                }
            }
            out.limit((int)(runEnd - firstPage)).position((int)(at - firstPage));
            files.write(at, out);
            ctl.getAndAddLong(STAT_WRITES_OFFSET, 1);
            if (runEnd == segmentEnd && fsync)
            {
                files.sync();
            }
            at = runEnd;
        }
    }

    private WalSegments segments()
    {
        if (segments == null)
        {
            segments = new WalSegments(dataDir, segmentSize, fsync);
            io = ByteBuffer.allocateDirect(IO_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        }
        return segments;
    }

    /** Where the next record will start (GetXLogInsertRecPtr). */
    public long insertPosition()
    {
        return WalAddress.toLsn(ctl.getLongVolatile(INSERT_POS_OFFSET));
    }

    /** How far the WAL is flushed (GetFlushRecPtr). */
    public long flushedUpTo()
    {
        return ctl.getLongVolatile(FLUSHED_OFFSET);
    }

    /** How far the WAL is written (not necessarily flushed). */
    public long writtenUpTo()
    {
        return ctl.getLongVolatile(WRITTEN_OFFSET);
    }

    /** The WAL segment size. */
    public int segmentSize()
    {
        return segmentSize;
    }

    /** pg_stat_wal: wal_records, wal_fpi, wal_bytes, wal_write, wal_sync. */
    public long[] stats()
    {
        long records = 0;
        long fpi = 0;
        long bytes = 0;
        for (int s = 0; s < slotCount; s++)
        {
            records += slots.getLongVolatile(s * SLOT_LENGTH + SLOT_RECORDS_OFFSET);
            fpi += slots.getLongVolatile(s * SLOT_LENGTH + SLOT_FPI_OFFSET);
            bytes += slots.getLongVolatile(s * SLOT_LENGTH + SLOT_BYTES_OFFSET);
        }
        return new long[] {records, fpi, bytes, ctl.getLongVolatile(STAT_WRITES_OFFSET),
            ctl.getLongVolatile(STAT_SYNCS_OFFSET)};
    }

    // ---------------------------------------------------------------- checkpoints and startup

    /**
     * The redo point of a checkpoint starting now: the current insert position, published as
     * RedoRecPtr so that every record reserved after it logs full-page images.
     */
    long beginRedo()
    {
        ctl.getAndAddLong(REDO_SEQ_OFFSET, 1);
        final long redoLsn = WalAddress.toLsn(ctl.getLongVolatile(INSERT_POS_OFFSET));
        ctl.putLongVolatile(REDO_REC_PTR_OFFSET, redoLsn);
        ctl.getAndAddLong(REDO_SEQ_OFFSET, 1);
        return redoLsn;
    }

    /**
     * The delayChkpt wait: after the redo point is fixed, a record that starts before it but is
     * still being copied or applied would reach the pages after the checkpoint wrote them, and
     * replay would start past it; the checkpoint waits for every such insertion to finish.
     */
    void waitForInsertionsBefore(final long redoLsn)
    {
        int spins = 0;
        for (int s = 0; s < slotCount; s++)
        {
            final int entry = s * SLOT_LENGTH;
            while (true)
            {
                final int state = slots.getIntVolatile(entry + SLOT_STATE_OFFSET);
                if (state == INSERT_IDLE || (state != INSERT_RESERVING
                    && slots.getLongVolatile(entry + SLOT_START_OFFSET) >= redoLsn))
                {
                    break;
                }
                // a commit applies in microseconds; a dead process's is finished by the postmaster
                spins = idle(spins);
            }
        }
    }

    /**
     * Waiting for another process's write and fsync (~100 µs here): spin briefly, then yield the
     * core (the writer may need it), then park a few microseconds at a time, so that a waiter
     * notices the flush within microseconds rather than after a backed-off sleep.
     */
    private static int idleForWrite(final int spins)
    {
        if (spins < 50)
        {
            Thread.onSpinWait();
        }
        else if (spins < 200)
        {
            Thread.yield();
        }
        else
        {
            LockSupport.parkNanos(5_000);
        }
        return spins + 1;
    }

    private static int idle(final int spins)
    {
        if (spins < 100)
        {
            Thread.onSpinWait();
        }
        else if (spins < 200)
        {
            Thread.yield();
        }
        else
        {
            LockSupport.parkNanos(20_000);
        }
        return spins + 1;
    }

    /**
     * For the cleanup of a process that died applying a record: makes the record durable before
     * the repair makes it visible, freeing the WAL locks the dead process may hold first.
     */
    public void flushForRepair(final int deadSlot)
    {
        releaseLocksOf(deadSlot);
        finishDeadInsertions();
        flush(slots.getLongVolatile(deadSlot * SLOT_LENGTH + SLOT_END_OFFSET));
    }

    /**
     * In the postmaster, when a wait of its own for the WAL lasts: other processes may have died
     * too (an immediate stop, a killed process group), and their WAL locks and half-copied records
     * would stop it until their own cleanup, which it has not reached; it finishes their part of
     * the WAL now, as their cleanup would. Other processes just wait for the postmaster.
     */
    private void finishDeadInsertions()
    {
        if (me.slot() != org.pgshmem.proc.ProcSlotDescriptor.POSTMASTER_SLOT || finishingDead)
        {
            return;
        }
        finishingDead = true;
        try
        {
            final ProcArray procs = ProcArray.of(shmem);
            for (int s = 0; s < slotCount; s++)
            {
                final long pid = procs.pid(s);
                if (s != me.slot() && pid != 0 && !org.pgshmem.util.Processes.isAlive(pid, 0))
                {
                    releaseLocksOf(s);
                    final int state = insertState(s);
                    if (state == INSERT_COPYING || state == INSERT_RESERVING)
                    {
                        cleanupProcess(s, pid);
                    }
                }
            }
        }
        finally
        {
            finishingDead = false;
        }
    }

    /** Every so often in a long wait: the postmaster's {@link #finishDeadInsertions}. */
    private void checkForDeadProcesses(final int spins)
    {
        if ((spins & 4095) == 4095)
        {
            finishDeadInsertions();
        }
    }

    private void releaseLocksOf(final int deadSlot)
    {
        // a WAL lock a dead process held guarded nothing half-done that we need (the counters
        // move only after the work): free it now rather than wait for the lwlock module's cleanup
        if (writeLock.adoptExclusive(deadSlot))
        {
            writeLock.release(LWLockMode.EXCLUSIVE);
        }
        if (mappingLock.adoptExclusive(deadSlot))
        {
            mappingLock.release(LWLockMode.EXCLUSIVE);
        }
    }

    /** The end of the last checkpoint record (nothing logged since when the insert position is there). */
    long lastCheckpointEnd()
    {
        return ctl.getLongVolatile(LAST_CHECKPOINT_END_OFFSET);
    }

    void lastCheckpointEnd(final long end)
    {
        ctl.putLongVolatile(LAST_CHECKPOINT_END_OFFSET, end);
    }

    /**
     * Sets the WAL up to go on at {@code endOfLog} (the end of recovery, or of the checkpoint
     * record after a clean shutdown): the last partial page is read back into the buffers so
     * that writing it again keeps its records; the bytes after the end (a torn tail) are zeroed.
     */
    void startAt(final long endOfLog, final long redoLsn, final int walSegmentSize)
    {
        ctl.putIntVolatile(CTL_SEGMENT_SIZE_OFFSET, walSegmentSize);
        segmentSize = walSegmentSize;
        final int epoch = newEpoch();
        ctl.putIntVolatile(CTL_EPOCH_OFFSET, epoch);
        final long page = WalAddress.pageOf(endOfLog);
        final int index = (int)((page / PAGE_SIZE) % nbuffers);
        final int off = pagesOffset + index * PAGE_SIZE;
        bufs.setMemory(off, PAGE_SIZE, (byte)0);
        final int inPage = (int)(endOfLog - page);
        if (inPage > LENGTH)
        {
            final ByteBuffer copy = ByteBuffer.allocateDirect(PAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            segments().read(page, copy);
            copy.clear();
            if ((copy.getShort(INFO_OFFSET) & ENCRYPTED) != 0)
            {
                cipher().decrypt(page, copy.getInt(EPOCH_OFFSET), copy, PAGE_SIZE);
                copy.clear();
                copy.putShort(INFO_OFFSET, (short)(copy.getShort(INFO_OFFSET) & ~ENCRYPTED));
            }
            bufs.putBytes(off, copy, 0, inPage);
            // the page is written again from its start in this epoch: its old bytes get a new key stream too
            bufs.putInt(off + EPOCH_OFFSET, epoch);
        }
        else
        {
            initPageHeader(bufs, off, page, systemIdentifier, segmentSize, epoch);
        }
        bufs.putLongVolatile(index * Long.BYTES, page + PAGE_SIZE);
        ctl.putLongVolatile(INITIALIZED_OFFSET, page + PAGE_SIZE);
        // the first write starts at the page's start, so the whole page carries this run's epoch
        ctl.putLongVolatile(WRITTEN_OFFSET, page);
        ctl.putLongVolatile(FLUSHED_OFFSET, endOfLog);
        ctl.putLongVolatile(BOUNDARY_OFFSET, endOfLog);
        ctl.putLongVolatile(REDO_REC_PTR_OFFSET, redoLsn);
        ctl.putLongVolatile(CKPT_REQUESTED_SEGNO_OFFSET, redoLsn / segmentSize);
        ctl.putLongVolatile(INSERT_POS_OFFSET, WalAddress.toPos(endOfLog));
    }

    private WalPageCipher cipher()
    {
        if (cipher == null)
        {
            throw new PgException("the WAL is encrypted, but no encryption key is loaded", null,
                "Set encryption_key_file to the key file the cluster was initialized with.");
        }
        return cipher;
    }

    /** A reader of this cluster's WAL files, for this thread. */
    public WalReader newReader()
    {
        return newReader(segmentSize);
    }

    WalReader newReader(final int walSegmentSize)
    {
        return new WalReader(new WalSegments(dataDir, walSegmentSize), systemIdentifier, cipher);
    }

    /**
     * Registers what a checkpoint must write before the buffers (CheckPointGuts: the commit log
     * registers CheckPointCLOG here).
     */
    public void onCheckPoint(final Runnable guts)
    {
        checkPointGuts.add(guts);
    }

    /** Registers ProcessSyncRequests: what fsyncs the data files written since the last checkpoint; returns how many. */
    public void syncRequestProcessor(final java.util.function.IntSupplier processor)
    {
        this.syncRequests = processor;
    }

    java.util.List<Runnable> checkPointGuts()
    {
        return checkPointGuts;
    }

    java.util.function.IntSupplier syncRequestProcessor()
    {
        return syncRequests;
    }

    /** Where the next transaction id comes from (the transactions module registers it), for checkpoint records. */
    public void nextXidSource(final java.util.function.LongSupplier source)
    {
        this.nextXid = source;
    }

    long nextXid()
    {
        return nextXid == null ? 1 : nextXid.getAsLong();
    }

    /**
     * RemoveOldXlogFiles after a checkpoint with redo point {@code redo}: segments before it are
     * recycled (renamed to future numbers, up to min_wal_size of them) or removed. Returns
     * {removed, recycled}.
     */
    int[] removeOldSegments(final long redo, final long end)
    {
        // under WALWriteLock: a writer creating the next segment must not race a rename onto its name
        writeLock.acquire(LWLockMode.EXCLUSIVE);
        try (WalSegments files = new WalSegments(dataDir, segmentSize))
        {
            final long keep = redo / segmentSize;
            final long last = Math.max(end, insertPosition()) / segmentSize;
            // XLOGfileslop: keep as many recycled segments as the last checkpoint cycle used (so the
            // next cycle creates none), at least min_wal_size's worth, at most max_wal_size's
            final long previousRedo = ctl.getLongVolatile(PREVIOUS_REDO_OFFSET);
            ctl.putLongVolatile(PREVIOUS_REDO_OFFSET, redo);
            final long cycle = previousRedo == 0 ? 0 : (redo - previousRedo) / segmentSize + 1;
            final long wanted = Math.min(Math.max(cycle, minWalBytes / segmentSize), maxWalSegments());
            final int recycleMax = (int)Math.max(1, wanted - (last - keep + 1));
            return files.removeOld(keep, last, recycleMax);
        }
        catch (final IOException ex)
        {
            Elog.warning("could not remove old WAL segments: " + ex.getMessage());
            return new int[2];
        }
        finally
        {
            writeLock.release(LWLockMode.EXCLUSIVE);
        }
    }

    /** Registers this process's redo routine for records of {@code type}. */
    public void registerRedo(final int type, final RedoHandler handler)
    {
        redo[type & 0xFF] = handler;
    }

    /** This process's redo routine for {@code type}, or null. */
    RedoHandler redoHandler(final int type)
    {
        return redo[type & 0xFF];
    }

    /** Installs the cipher every WAL page is encrypted with on its way to disk (the encryption module's shmemInit). */
    public void pageCipher(final WalPageCipher newCipher)
    {
        this.cipher = newCipher;
    }

    // ---------------------------------------------------------------- reading back and cleanup

    /** The insertion state of proc-array slot {@code slot} ({@link #INSERT_IDLE} ...). */
    public int insertState(final int slot)
    {
        return slots.getIntVolatile(slot * SLOT_LENGTH + SLOT_STATE_OFFSET);
    }

    /** The start LSN of the record slot {@code slot} is inserting or applying. */
    public long insertStartOf(final int slot)
    {
        return slots.getLongVolatile(slot * SLOT_LENGTH + SLOT_START_OFFSET);
    }

    /**
     * Reads back the complete record at {@code lsn}: from the WAL buffers while they still hold
     * its pages, else from the files (which then have it: a buffer page is reused only once
     * written). Never waits for other insertions, so the postmaster's cleanup can use it.
     */
    public WalRecord readRecord(final long lsn)
    {
        final long startPos = WalAddress.toPos(lsn);
        final int total = bufferedLength(lsn);
        if (total >= HEADER_LENGTH && total <= MAX_RECORD_LENGTH)
        {
            final byte[] bytes = new byte[total];
            final UnsafeBuffer into = new UnsafeBuffer(bytes);
            long pos = startPos;
            int done = 0;
            boolean inBuffers = true;
            while (done < total && inBuffers)
            {
                final long at = WalAddress.toLsn(pos);
                final long p = WalAddress.pageOf(at);
                final int i = (int)((p / PAGE_SIZE) % nbuffers);
                inBuffers = holds(p);
                final int chunk = Math.min(total - done, PAGE_SIZE - (int)(at - p));
                bufs.getBytes(pagesOffset + i * PAGE_SIZE + (int)(at - p), into, done, chunk);
                done += chunk;
                pos += chunk;
            }
            if (inBuffers)
            {
                return new BufferedRecord(lsn, WalAddress.toEndLsn(startPos + align(total)), into);
            }
        }
        final WalReader reader = newReader();
        if (!reader.read(lsn))
        {
            reader.close();
            throw new PgException("could not read WAL record at " + ControlFile.formatLsn(lsn) + ": " + reader.error());
        }
        return reader;
    }

    /** A record copied out of the WAL buffers. */
    private record BufferedRecord(long lsn, long endLsn, UnsafeBuffer bytes) implements WalRecord
    {
        @Override
        public int type()
        {
            return bytes.getByte(TYPE_OFFSET) & 0xFF;
        }

        @Override
        public long xid()
        {
            return bytes.getLong(XID_OFFSET);
        }

        @Override
        public DirectBuffer payload()
        {
            return new UnsafeBuffer(bytes, HEADER_LENGTH, bytes.capacity() - HEADER_LENGTH);
        }

        @Override
        public int payloadLength()
        {
            return bytes.capacity() - HEADER_LENGTH;
        }
    }

    /**
     * A process died: an insertion it left half-copied becomes a NOOP of the same size (so the
     * WAL has no hole and writers stop waiting for it); one it was applying has been applied
     * again by the module that owns the record (transactions), so its slot just goes idle.
     */
    @Override
    public void cleanupProcess(final int slot, final long pid)
    {
        final int entry = slot * SLOT_LENGTH;
        final int state = slots.getIntVolatile(entry + SLOT_STATE_OFFSET);
        if (state == INSERT_IDLE)
        {
            return;
        }
        releaseLocksOf(slot);
        final int size = slots.getInt(entry + SLOT_SIZE_OFFSET);
        if (state == INSERT_COPYING)
        {
            final long start = slots.getLongVolatile(entry + SLOT_START_OFFSET);
            copyRecord(slot, WalAddress.toPos(start), WalRecordType.NOOP, 0, null, 0, size - HEADER_LENGTH);
            Elog.log("process " + pid + " died inserting a WAL record at " + ControlFile.formatLsn(start)
                + "; it is a NOOP record now");
        }
        else if (state == INSERT_RESERVING)
        {
            fillHoleOf(slot, pid, size);
        }
        slots.putIntVolatile(entry + SLOT_STATE_OFFSET, INSERT_IDLE);
    }

    /**
     * The process died between reserving space and saying where: walk the records from the
     * written position (a record boundary) to find the one place nobody filled, and fill it.
     */
    private void fillHoleOf(final int deadSlot, final long pid, final int size)
    {
        // the dead slot becomes an insertion whose progress is the walk's, so that flushers holding
        // WALWriteLock wait only for what is below it (and the fill can take that lock if it must)
        final int entry = deadSlot * SLOT_LENGTH;
        final long from = ctl.getLongVolatile(BOUNDARY_OFFSET);
        slots.putLong(entry + SLOT_START_OFFSET, from);
        slots.putLong(entry + SLOT_INSERTING_AT_OFFSET, advertised(from));
        slots.putIntVolatile(entry + SLOT_STATE_OFFSET, INSERT_COPYING);
        // live reservations resolve in nanoseconds; after that every reserved record has a known start
        boolean reserving = true;
        while (reserving)
        {
            reserving = false;
            for (int s = 0; s < slotCount; s++)
            {
                reserving |= s != deadSlot && slots.getIntVolatile(s * SLOT_LENGTH + SLOT_STATE_OFFSET) == INSERT_RESERVING;
            }
            if (reserving)
            {
                Thread.yield();
            }
        }
        final long endPos = ctl.getLongVolatile(INSERT_POS_OFFSET);
        long pos = WalAddress.toPos(from);
        WalReader reader = null;
        try
        {
            while (pos < endPos)
            {
                final long lsn = WalAddress.toLsn(pos);
                slots.putLongVolatile(entry + SLOT_INSERTING_AT_OFFSET, advertised(lsn));
                int total = claimedSize(deadSlot, lsn);
                if (total == 0)
                {
                    total = bufferedLength(lsn);
                }
                if (total < 0)
                {
                    // the buffers moved on: the page was written, so the record is in the files
                    reader = reader == null ? newReader() : reader;
                    total = reader.read(lsn) ? reader.totalLength() : 0;
                }
                if (total > 0)
                {
                    pos += align(total);
                    continue;
                }
                slots.putLong(entry + SLOT_START_OFFSET, lsn);
                copyRecord(deadSlot, pos, WalRecordType.NOOP, 0, null, 0, size - HEADER_LENGTH);
                Elog.log("process " + pid + " died reserving WAL space at " + ControlFile.formatLsn(lsn)
                    + "; it is a NOOP record now");
                return;
            }
        }
        finally
        {
            if (reader != null)
            {
                reader.close();
            }
        }
    }

    /** The total length in the header at {@code lsn} while the WAL buffers hold its page (0: nothing there), else -1. */
    private int bufferedLength(final long lsn)
    {
        final long page = WalAddress.pageOf(lsn);
        return holds(page) ? bufs.getIntVolatile(bufferOffset(page) + (int)(lsn - page) + TOTAL_LENGTH_OFFSET) : -1;
    }

    /** Whether the WAL buffers hold page {@code page} now (its buffer's xlblocks entry is its end). */
    private boolean holds(final long page)
    {
        return bufs.getLongVolatile((int)((page / PAGE_SIZE) % nbuffers) * Long.BYTES) == page + PAGE_SIZE;
    }

    /** Where page {@code page}'s buffer is in "WAL Buffers". */
    private int bufferOffset(final long page)
    {
        return pagesOffset + (int)((page / PAGE_SIZE) % nbuffers) * PAGE_SIZE;
    }

    /** The size of the record a live slot (not {@code deadSlot}) is inserting at {@code lsn}, or 0. */
    private int claimedSize(final int deadSlot, final long lsn)
    {
        for (int s = 0; s < slotCount; s++)
        {
            final int entry = s * SLOT_LENGTH;
            final int state = slots.getIntVolatile(entry + SLOT_STATE_OFFSET);
            if (s != deadSlot && (state == INSERT_COPYING || state == INSERT_APPLYING)
                && slots.getLongVolatile(entry + SLOT_START_OFFSET) == lsn)
            {
                return slots.getInt(entry + SLOT_SIZE_OFFSET);
            }
        }
        return 0;
    }

    // ---------------------------------------------------------------- initdb

    /**
     * BootStrapXLOG: the first segment, holding a shutdown checkpoint record whose redo is
     * itself, and the control file pointing at it.
     */
    @Override
    public void bootstrap(final BootstrapContext context) throws IOException
    {
        final Path dir = context.dataDirectory().resolve(WalSegments.DIRECTORY);
        if (!Files.isDirectory(dir))
        {
            DurableFiles.createDirectory(dir);
        }
        final ControlFile control = ControlFile.read(context.dataDirectory());
        final int segSize = control.walSegmentSize();
        final long checkpointLsn = (long)segSize + LENGTH;
        final long now = System.currentTimeMillis() / 1000;
        final CheckPointRecord record = new CheckPointRecord();
        record.set(checkpointLsn, control.nextXid(), now);
        final ByteBuffer page = ByteBuffer.allocateDirect(PAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        final UnsafeBuffer view = new UnsafeBuffer(page);
        initPageHeader(view, 0, segSize, context.systemIdentifier(), segSize, newEpoch());
        final int total = HEADER_LENGTH + CheckPointRecord.LENGTH;
        view.putInt(LENGTH + TOTAL_LENGTH_OFFSET, total);
        view.putByte(LENGTH + TYPE_OFFSET, (byte)WalRecordType.CHECKPOINT_SHUTDOWN);
        view.putBytes(LENGTH + HEADER_LENGTH, record.buffer(), 0, CheckPointRecord.LENGTH);
        final CRC32C sum = new CRC32C();
        final UnsafeBuffer lsn = new UnsafeBuffer(new byte[Long.BYTES]);
        lsn.putLong(0, checkpointLsn);
        sum.update(lsn.byteArray());
        final byte[] headerBytes = new byte[CRC_OFFSET];
        view.getBytes(LENGTH, headerBytes);
        sum.update(headerBytes);
        sum.update(record.buffer().byteArray(), 0, CheckPointRecord.LENGTH);
        view.putInt(LENGTH + CRC_OFFSET, (int)sum.getValue());
        final int end = LENGTH + align(total);
        final WalPageCipher bootstrapCipher = context.processLocal(WalPageCipher.class, () -> null);
        if (bootstrapCipher != null)
        {
            view.putShort(INFO_OFFSET, (short)(view.getShort(INFO_OFFSET) | ENCRYPTED));
            bootstrapCipher.encrypt(segSize, view.getInt(EPOCH_OFFSET), page, end);
        }
        page.clear().limit(end);
        try (WalSegments files = new WalSegments(context.dataDirectory(), segSize))
        {
            files.write(segSize, page);
            files.sync();
        }
        control.checkpoint(checkpointLsn, checkpointLsn, now, control.nextXid()).write(context.dataDirectory());
    }
}
