package org.pgshmem.proc;

import org.pgshmem.util.StoredCodes;

/**
 * What a process attached to a cluster is (PostgreSQL's BackendType). A proc slot stores
 * {@link #code()}, fixed here, not the enum's position.
 */
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

    /** The number stored in a proc slot's Kind field. */
    public int code()
    {
        return switch (this)
        {
            case POSTMASTER -> 1;
            case BGWRITER -> 2;
            case CHECKPOINTER -> 3;
            case BACKEND -> 4;
        };
    }

    /** The kind stored as {@code code}, or null for an unknown number. */
    public static ProcKind ofCode(final int code)
    {
        return StoredCodes.byCode(values(), ProcKind::code, code);
    }

    /** As pg_stat_activity's backend_type names it. */
    public String description()
    {
        return description;
    }
}
