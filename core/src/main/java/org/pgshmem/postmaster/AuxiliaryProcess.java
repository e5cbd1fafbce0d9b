package org.pgshmem.postmaster;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

import org.pgshmem.backend.Backend;
import org.pgshmem.proc.ProcKind;
import org.pgshmem.settings.Settings;
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
    private static final org.agrona.concurrent.MessageHandler IGNORE = (type, buffer, offset, length) -> { };

    private AuxiliaryProcess()
    {
    }

    /**
     * Runs an auxiliary process and returns its exit code.
     *
     * @param args  the command line: {@code -D DATADIR}
     * @param kind  which auxiliary process this is
     * @param delay the sleep between rounds in ms, from the settings
     * @param round one round of work
     */
    public static int run(final String[] args, final ProcKind kind, final ToLongFunction<Settings> delay,
        final Consumer<Backend> round)
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
            final long delayNanos = TimeUnit.MILLISECONDS.toNanos(delay.applyAsLong(self.shmem().settings()));
            while (true)
            {
                round.accept(self);
                final long wakeAt = System.nanoTime() + delayNanos;
                do
                {
                    if (segment.postmasterState() == ShmemSegment.PM_STOP_AUXILIARY)
                    {
                        Elog.log(kind.description() + " shutting down");
                        return 0;
                    }
                    if (self.postmasterDead())
                    {
                        Elog.log("terminating " + kind.description() + " because the postmaster died");
                        return 1;
                    }
                    // requests to this process (checkpoint, wake-up) are acted on by the subsystems
                    // that define them; until then they are read so that the inbox never fills
                    self.messenger().poll(IGNORE, 64);
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
