package org.pgshmem.control;

/** The cluster state kept in the control file, named as pg_controldata names them. */
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

    /** As pg_controldata prints it. */
    public String text()
    {
        return text;
    }
}
