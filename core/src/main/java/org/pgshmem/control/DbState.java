package org.pgshmem.control;

import org.pgshmem.util.StoredCodes;

/**
 * The cluster state kept in the control file, named as pg_controldata names them. The number
 * stored in the file is {@link #code()}, PostgreSQL's DBState numbering, fixed here and not the
 * enum's position, so reordering the constants cannot change the file format.
 */
public enum DbState
{
    /** The postmaster is starting. */
    STARTING_UP("starting up"),
    /** Cleanly stopped. */
    SHUT_DOWN("shut down"),
    /** Stopped during recovery. */
    SHUT_DOWN_IN_RECOVERY("shut down in recovery"),
    /** A clean stop is under way. */
    SHUTTING_DOWN("shutting down"),
    /** Replaying WAL after a crash. */
    IN_CRASH_RECOVERY("in crash recovery"),
    /** Archive recovery (unused, kept for PostgreSQL's numbering). */
    IN_ARCHIVE_RECOVERY("in archive recovery"),
    /** Running; a crash leaves this state behind. */
    IN_PRODUCTION("in production");

    private final String text;

    DbState(final String text)
    {
        this.text = text;
    }

    /** The number stored in the control file. */
    public int code()
    {
        return switch (this)
        {
            case STARTING_UP -> 0;
            case SHUT_DOWN -> 1;
            case SHUT_DOWN_IN_RECOVERY -> 2;
            case SHUTTING_DOWN -> 3;
            case IN_CRASH_RECOVERY -> 4;
            case IN_ARCHIVE_RECOVERY -> 5;
            case IN_PRODUCTION -> 6;
        };
    }

    /** The state stored as {@code code}, or null for an unknown number. */
    public static DbState ofCode(final int code)
    {
        return StoredCodes.byCode(values(), DbState::code, code);
    }

    /** As pg_controldata prints it. */
    public String text()
    {
        return text;
    }
}
