package org.pgshmem.bgwriter;

import org.pgshmem.backend.Backend;
import org.pgshmem.postmaster.AuxiliaryProcess;
import org.pgshmem.proc.ProcKind;

/**
 * The background writer process (PostgreSQL's bgwriter.c): started by the postmaster, attached
 * in its fixed slot, sleeping {@code bgwriter_delay} between rounds. Its work, writing dirty
 * shared buffers ahead of the clock sweep, arrives with the buffer manager; until then a round
 * does nothing.
 */
public final class BackgroundWriter
{
    private BackgroundWriter()
    {
    }

    /** {@code -D DATADIR}. */
    public static void main(final String[] args)
    {
        System.exit(AuxiliaryProcess.run(args, ProcKind.BGWRITER,
            settings -> settings.getMillis("bgwriter_delay"), BackgroundWriter::round));
    }

    private static void round(final Backend self)
    {
        // the buffer manager's LRU scan comes here
    }
}
