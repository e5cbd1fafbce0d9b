package org.pgshmem.checkpointer;

import org.pgshmem.backend.Backend;
import org.pgshmem.postmaster.AuxiliaryProcess;
import org.pgshmem.proc.ProcKind;

/**
 * The checkpointer process (PostgreSQL's checkpointer.c): started by the postmaster, attached in
 * its fixed slot, waking every {@code checkpoint_timeout}. Checkpoints arrive with the WAL;
 * until then a round does nothing.
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
            settings -> settings.getMillis("checkpoint_timeout"), Checkpointer::round));
    }

    private static void round(final Backend self)
    {
        // timed checkpoints come here
    }
}
