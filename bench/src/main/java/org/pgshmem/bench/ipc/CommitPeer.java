package org.pgshmem.bench.ipc;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.backend.Backend;
import org.pgshmem.wal.Wal;
import org.pgshmem.lock.LWLock;
import org.pgshmem.lock.LWLockTranche;
import org.pgshmem.wal.WalRecordType;
import org.pgshmem.xact.Transaction;

/**
 * One committer of {@link CommitScaling}: a child JVM that commits in a tight loop while the
 * others do the same, or that measures this disk's raw fsync. Started by {@link PeerProcess}; not
 * for running by hand:
 * {@code CommitPeer backend|fsync <parent pid> <control file> <data directory> <index>}.
 *
 * <ul>
 *   <li>{@code backend}: attaches to the cluster as a backend. In a {@code xact} round a commit is
 *       a transaction: {@code Backend.begin()}, one write of {@value #COMMIT_PAYLOAD} bytes to
 *       block INDEX of relation {@value #RELATION} (a block of its own, so that no two committers
 *       wait for the same page), {@code commit()}: the commit record, carrying the change, is
 *       inserted, flushed (written and fdatasynced, by this process or by whichever process held
 *       WALWriteLock and flushed it with its own), then applied to the page and the commit log. In
 *       a {@code wal} round a commit is the WAL's part alone: {@code Wal.insert} of a
 *       {@value #COMMIT_PAYLOAD}-byte record ({@code NOOP}: replay skips it) and {@code Wal.flush}
 *       of its end. A {@code wal-wait} round is the WAL's part with the flush done as PostgreSQL's
 *       XLogFlush does it ({@link #flushOrWait}): an experiment that shows what group commit gives
 *       when a committer does not queue for WALWriteLock behind a flush that covers it.</li>
 *   <li>{@code fsync}: attaches to nothing; an operation is a positional {@code FileChannel.write}
 *       of 8 KiB at the next offset of a 16 MiB zero-filled file in the data directory (its own,
 *       {@code bench_fsync.<index>}), then {@code force(false)} (fdatasync): the disk's raw fsync
 *       rate, measured in the same run as the commits.</li>
 * </ul>
 *
 * <p>It speaks {@link PeerProcess}'s lines and runs {@link TimedRounds}' rounds:
 * <pre>
 *   child:  ready
 *   parent: hammer ROUND MODE SYNCS TIMEOUT_MS     (MODE xact, wal or fsync; SYNCS 1: this side counts the WAL's fsyncs)
 *   child:  go
 *           ... the parent moves the phase word: WARMUP, MEASURE, STOP ...
 *   child:  done ALLOCATED_BYTES PREEMPTIONS CPU_NANOS WAL_SYNCS COUNT
 *   parent: quit
 *   child:  bye
 * </pre>
 * WAL_SYNCS is how many fsyncs the WAL counted ({@code Wal.stats()}'s wal_sync, shared by the
 * cluster) between this side seeing MEASURE and STOP, when the parent asked this side for it
 * (one side of each round), else 0.
 */
public final class CommitPeer
{
    /** A child attached as a backend: it commits, as a transaction or through the WAL alone. */
    static final String BACKEND = "backend";
    static final String FSYNC = "fsync";
    static final String XACT = "xact";
    static final String WAL = "wal";
    static final String WAL_WAIT = "wal-wait";
    /** WALWriteLock's place in the WAL's tranche (Wal.WRITE_LOCK, private there). */
    static final int WAL_WRITE_LOCK = 0;
    /** How long a {@code wal-wait} committer spins before it parks between two looks. */
    private static final int WAIT_SPINS = 50;
    private static final long WAIT_PARK_NANOS = 5_000;
    /** The relation the transactions write (PostgreSQL's first user relation number). */
    static final int RELATION = 16384;
    /** Where in its block a transaction writes: past the page header and BenchRelation's value. */
    static final int WRITE_OFFSET = 64;
    static final int COMMIT_PAYLOAD = 100;
    static final int FSYNC_BLOCK = 8192;
    static final int FSYNC_FILE_BYTES = 16 * 1024 * 1024;
    private static final int WAL_SYNC = 4;

    private CommitPeer()
    {
    }

    /** What a loop repeats: one commit, or one write + fsync. */
    private interface Operation
    {
        void run() throws IOException;
    }

    /**
     * Runs one side.
     *
     * @param args kind, parent pid, control file, data directory, index
     */
    public static void main(final String[] args)
    {
        TimedRounds.runChild(Long.parseLong(args[1]), "commit peer", out ->
        {
            final String kind = args[0];
            final Path controlFile = Path.of(args[2]);
            final Path dataDir = Path.of(args[3]);
            final int index = Integer.parseInt(args[4]);
            final MappedByteBuffer mapped = MappedFiles.map(controlFile, TimedRounds.CONTROL_LENGTH);
            Backend backend = null;
            FileChannel file = null;
            try
            {
                final Operation[] operations = new Operation[3];
                final Wal wal;
                if (kind.equals(BACKEND))
                {
                    backend = Backend.attach(dataDir);
                    final Backend b = backend;
                    wal = backend.module(Wal.class);
                    final byte[] bytes = new byte[COMMIT_PAYLOAD];
                    for (int i = 0; i < COMMIT_PAYLOAD; i++)
                    {
                        bytes[i] = (byte)(i * 31 + index);
                    }
                    final UnsafeBuffer payload = new UnsafeBuffer(bytes);
                    operations[0] = () ->
                    {
                        final Transaction t = b.begin();
                        t.write(RELATION, index, WRITE_OFFSET, bytes);
                        t.commit();
                    };
                    operations[1] = () -> wal.flush(wal.insert(WalRecordType.NOOP, 0, payload, 0, COMMIT_PAYLOAD,
                        Wal.ANY_REDO, false));
                    final LWLock walWriteLock = LWLockTranche.init(backend.shmem(), Wal.TRANCHE, 2).get(WAL_WRITE_LOCK);
                    operations[2] = () ->
                    {
                        final long end = wal.insert(WalRecordType.NOOP, 0, payload, 0, COMMIT_PAYLOAD, Wal.ANY_REDO,
                            false);
                        flushOrWait(wal, walWriteLock, end);
                    };
                }
                else if (kind.equals(FSYNC))
                {
                    wal = null;
                    file = zeroFilled(dataDir.resolve("bench_fsync." + index));
                    final FileChannel channel = file;
                    final ByteBuffer block = ByteBuffer.allocateDirect(FSYNC_BLOCK);
                    for (int i = 0; i < FSYNC_BLOCK; i++)
                    {
                        block.put(i, (byte)(i * 31 + 7));
                    }
                    final long[] next = new long[1];
                    operations[0] = () ->
                    {
                        final long at = next[0];
                        next[0] = (at + FSYNC_BLOCK) % FSYNC_FILE_BYTES;
                        block.clear();
                        while (block.hasRemaining())
                        {
                            channel.write(block, at + block.position());
                        }
                        channel.force(false);
                    };
                }
                else
                {
                    throw new IllegalArgumentException("unknown kind \"" + kind + "\" (known: backend, fsync)");
                }
                final UnsafeBuffer control = new UnsafeBuffer(mapped);
                // one of each before the first round, so that a failure shows here and not in a window
                for (final Operation operation : operations)
                {
                    if (operation != null)
                    {
                        operation.run();
                    }
                }
                TimedRounds.say(out, "ready");
                TimedRounds.serve(out, words -> hammer(operations, kind, wal, control, words, out));
            }
            finally
            {
                if (file != null)
                {
                    file.close();
                }
                if (backend != null)
                {
                    backend.close();
                }
                MappedFiles.unmap(mapped);
            }
        });
    }

    /** A file of 16 MiB zeros, written and fsynced as a WAL segment is made, open for writing. */
    private static FileChannel zeroFilled(final Path path) throws IOException
    {
        final FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        final ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
        for (long at = 0; at < FSYNC_FILE_BYTES; at += zeros.capacity())
        {
            zeros.clear();
            while (zeros.hasRemaining())
            {
                channel.write(zeros, at + zeros.position());
            }
        }
        channel.force(true);
        return channel;
    }

    /** {@code hammer ROUND MODE SYNCS TIMEOUT_MS}: runs the round, returns the {@code done} line. */
    private static String hammer(final Operation[] operations, final String kind, final Wal wal,
        final UnsafeBuffer control, final String[] words, final PrintStream out) throws InterruptedException
    {
        final long round = Long.parseLong(words[1]);
        final String mode = words[2];
        final Operation operation;
        if (kind.equals(FSYNC) && mode.equals(FSYNC))
        {
            operation = operations[0];
        }
        else if (kind.equals(BACKEND) && (mode.equals(XACT) || mode.equals(WAL) || mode.equals(WAL_WAIT)))
        {
            operation = operations[mode.equals(XACT) ? 0 : mode.equals(WAL) ? 1 : 2];
        }
        else
        {
            throw new IllegalArgumentException("a " + kind + " side has no \"" + mode + "\" rounds");
        }
        final boolean countSyncs = words[3].equals("1") && wal != null;
        return TimedRounds.hammer(new TimedRounds.Loop[] {new Loop(operation, countSyncs ? wal : null, control, round)},
            "pgshmem-bench-commit", out);
    }

    /**
     * The {@code wal-wait} experiment: PostgreSQL's XLogFlush from outside the WAL. While another
     * process holds WALWriteLock (it is writing and fsyncing), wait for it to let go and look at the
     * flushed position again, rather than queue for the lock (LWLockAcquireOrWait); call
     * {@code flush} only when the lock is free. A flush that covered this record while it waited
     * ends the commit without taking the lock at all. Waiting polls: a few spins, then parks of
     * {@value #WAIT_PARK_NANOS} ns (the kernel's timer slack makes them longer; yielding instead
     * was worse on 2 cores: the pollers took the CPU the others needed).
     */
    static void flushOrWait(final Wal wal, final LWLock walWriteLock, final long end)
    {
        int spins = 0;
        while (wal.flushedUpTo() < end)
        {
            if (!walWriteLock.isHeld())
            {
                wal.flush(end);
                return;
            }
            if (++spins < WAIT_SPINS)
            {
                Thread.onSpinWait();
            }
            else
            {
                LockSupport.parkNanos(WAIT_PARK_NANOS);
            }
        }
    }

    /** The loop: repeat the operation until STOP, counting those done in the window. */
    private static final class Loop extends TimedRounds.Loop
    {
        private final Operation operation;
        private final Wal countSyncsOf;
        private long syncs;

        Loop(final Operation operation, final Wal countSyncsOf, final UnsafeBuffer control, final long round)
        {
            super(control, round);
            this.operation = operation;
            this.countSyncsOf = countSyncsOf;
        }

        @Override
        void spin() throws IOException
        {
            long n = 0;
            long first = -1;
            long phase;
            while ((phase = control.getLongVolatile(TimedRounds.PHASE_OFFSET)) != stop)
            {
                if (first < 0 && phase == measure)
                {
                    first = n;
                    opened();
                    if (countSyncsOf != null)
                    {
                        syncs = countSyncsOf.stats()[WAL_SYNC];
                    }
                }
                operation.run();
                n++;
            }
            if (countSyncsOf != null)
            {
                syncs = first < 0 ? 0 : countSyncsOf.stats()[WAL_SYNC] - syncs;
            }
            closed(first, n);
        }

        @Override
        long extra()
        {
            return countSyncsOf == null ? 0 : syncs;
        }
    }
}
