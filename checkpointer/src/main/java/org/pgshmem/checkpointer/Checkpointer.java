package org.pgshmem.checkpointer;

import org.pgshmem.backend.Backend;
import org.pgshmem.wal.CheckPoint;
import org.pgshmem.postmaster.AuxiliaryProcess;
import org.pgshmem.proc.ProcKind;
import org.pgshmem.util.Elog;

/**
 * The checkpointer process (PostgreSQL's checkpointer.c): started by the postmaster, attached in
 * its fixed slot, waking every {@code checkpoint_timeout}. Timed checkpoints arrive with the WAL;
 * what it does already is the buffer part of the shutdown checkpoint: on a smart or fast stop,
 * once the backends are gone, it writes every dirty shared buffer and fsyncs the files.
 */
public final class Checkpointer
{
    private Checkpointer()
    {
    }

    /** {@code -D DATADIR}. */
    public static void main(final String[] args)
    {
        System.exit(AuxiliaryProcess.run(args, ProcKind.CHECKPOINTER,
            self -> self.shmem().settings().getMillis("checkpoint_timeout"), Checkpointer::shutdown));
    }

    private static void shutdown(final Backend self)
    {
        self.buffers().countWritesAsCheckpointer();
        final CheckPoint.Result r = CheckPoint.create(self, CheckPoint.IS_SHUTDOWN | CheckPoint.IMMEDIATE,
            CheckPoint.Pacer.IMMEDIATE);
        Elog.log("shutdown checkpoint complete: wrote " + r.buffersWritten() + " buffers; location "
            + org.pgshmem.control.ControlFile.formatLsn(r.lsn()));
    }
}
