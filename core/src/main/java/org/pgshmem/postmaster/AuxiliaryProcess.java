package org.pgshmem.postmaster;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToLongFunction;

import org.agrona.concurrent.MessageHandler;

import org.pgshmem.backend.Backend;
import org.pgshmem.proc.ProcKind;
import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.util.Elog;
import org.pgshmem.util.PgException;

/**
 * The frame of an auxiliary process (bgwriter, checkpointer): attach to the cluster in its
 * fixed slot, run rounds of work separated by a delay, and exit when the postmaster says so or
 * dies (PostgreSQL's PostmasterIsAlive check in every auxiliary loop).
 */
public final class AuxiliaryProcess
{
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final MessageHandler IGNORE = (type, buffer, offset, length) -> { };

    private AuxiliaryProcess()
    {
    }

    /**
     * Runs an auxiliary process and returns its exit code.
     *
     * @param args  the command line: {@code -D DATADIR}
     * @param kind  which auxiliary process this is
     * @param round one round of work; returns how long to sleep after it, in ms (a set latch ends the sleep early)
     * @param atShutdown the last work before exiting on the postmaster's request
     */
    public static int run(final String[] args, final ProcKind kind, final ToLongFunction<Backend> round,
        final Consumer<Backend> atShutdown)
    {
        return run(args, kind, round, atShutdown, self -> IGNORE);
    }

    /**
     * {@link #run(String[], ProcKind, ToLongFunction, Consumer)} for a process that acts on the
     * messages in its inbox: {@code inbox} makes their handler once the process is attached, before
     * its first round; the inbox is read with it while the process sleeps between rounds.
     */
    public static int run(final String[] args, final ProcKind kind, final ToLongFunction<Backend> round,
        final Consumer<Backend> atShutdown, final Function<Backend, MessageHandler> inbox)
    {
        if (args.length != 2 || !"-D".equals(args[0]))
        {
            System.err.println(kind.description() + ": usage: -D DATADIR");
            return 2;
        }
        try (Backend self = Backend.attachAs(Path.of(args[1]), kind))
        {
            Elog.log(kind.description() + " started");
            final ShmemSegment segment = self.shmem().segment();
            final MessageHandler handler = inbox.apply(self);
            while (true)
            {
                final long wakeAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(round.applyAsLong(self));
                do
                {
                    if (segment.postmasterState() == ShmemSegment.PM_STOP_AUXILIARY)
                    {
                        Elog.log(kind.description() + " shutting down");
                        atShutdown.accept(self);
                        return 0;
                    }
                    if (self.postmasterDead())
                    {
                        Elog.log("terminating " + kind.description() + " because the postmaster died");
                        return 1;
                    }
                    // read even when nothing acts on them, so that the inbox never fills
                    self.messenger().poll(handler, 64);
                    if (self.procArray().isLatchSet(self.slot()))
                    {
                        self.procArray().resetLatch(self.slot());
                        break;
                    }
                    LockSupport.parkNanos(POLL_NANOS);
                }
                while (System.nanoTime() - wakeAt < 0);
            }
        }
        catch (final PgException ex)
        {
            Elog.fatal(ex.getMessage(), ex.detail(), ex.hint());
            return 1;
        }
    }
}
