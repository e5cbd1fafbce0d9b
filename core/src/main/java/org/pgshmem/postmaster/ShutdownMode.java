package org.pgshmem.postmaster;

import java.util.Locale;

import org.pgshmem.util.StoredCodes;

/** pg_ctl's shutdown modes, weakest first; a stronger request overrides a weaker one. */
public enum ShutdownMode
{
    /** Wait for every backend to detach, then stop. */
    SMART,
    /** Tell backends to detach, wait a short while for them, then stop cleanly. */
    FAST,
    /** Kill the auxiliary processes and exit at once; the next start finds a crashed cluster. */
    IMMEDIATE;

    /** The value kept in the segment's Shutdown Request word (0 is "none"); larger is stronger. */
    public int request()
    {
        return switch (this)
        {
            case SMART -> 1;
            case FAST -> 2;
            case IMMEDIATE -> 3;
        };
    }

    /** The mode of a Shutdown Request word, or null for none. */
    public static ShutdownMode ofRequest(final int request)
    {
        return StoredCodes.byCode(values(), ShutdownMode::request, request);
    }

    /** The lower-case name pg_ctl's {@code -m} takes. */
    public String word()
    {
        return name().toLowerCase(Locale.ROOT);
    }
}
