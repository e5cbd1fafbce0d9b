package org.pgshmem.proc;

/** What a process attached to a cluster is (PostgreSQL's BackendType). */
public enum ProcKind
{
    /** The process that created the memory. */
    POSTMASTER("postmaster"),
    /** The background writer. */
    BGWRITER("background writer"),
    /** The checkpointer. */
    CHECKPOINTER("checkpointer"),
    /** Any process that attached with Backend.attach. */
    BACKEND("client backend");

    private final String description;

    ProcKind(final String description)
    {
        this.description = description;
    }

    /** As pg_stat_activity's backend_type names it. */
    public String description()
    {
        return description;
    }
}
