package org.pgshmem.lock;

/**
 * What a heavyweight lock is on (PostgreSQL's LockTagType), named as pg_locks' locktype column
 * names it. There is one database here, so the database field PostgreSQL's tags carry is 0 and
 * is left out of the written form.
 */
public enum LockTagType
{
    /** {@code relation:<oid>}: a whole relation. */
    RELATION("relation", 1, 1),
    /** {@code extend:<oid>}: the right to extend a relation. */
    RELATION_EXTEND("extend", 1, 1),
    /** {@code page:<oid>:<block>}: one page of a relation. */
    PAGE("page", 2, 2),
    /** {@code tuple:<oid>:<block>:<offset>}: one tuple. */
    TUPLE("tuple", 3, 3),
    /** {@code transactionid:<xid>}: a transaction, for waiting on it to end. */
    TRANSACTION("transactionid", 1, 1),
    /** {@code virtualxid:<proc>:<lxid>}: a virtual transaction. */
    VIRTUAL_TRANSACTION("virtualxid", 2, 2),
    /** {@code object:<classid>:<objid>[:<objsubid>]}: a non-relation database object. */
    OBJECT("object", 2, 3),
    /** {@code advisory:<bigint>} or {@code advisory:<int4>:<int4>}: an application's lock. */
    ADVISORY("advisory", 1, 2);

    private final String locktype;
    private final int minFields;
    private final int maxFields;

    LockTagType(final String locktype, final int minFields, final int maxFields)
    {
        this.locktype = locktype;
        this.minFields = minFields;
        this.maxFields = maxFields;
    }

    /** pg_locks' name for the type. */
    public String locktype()
    {
        return locktype;
    }

    int minFields()
    {
        return minFields;
    }

    int maxFields()
    {
        return maxFields;
    }

    /** The code stored in shared memory: never 0, which marks a free lock table entry. */
    int code()
    {
        return ordinal() + 1;
    }

    static LockTagType ofCode(final int code)
    {
        final LockTagType[] all = values();
        return code >= 1 && code <= all.length ? all[code - 1] : null;
    }

    /** The type pg_locks calls {@code locktype}. */
    public static LockTagType parse(final String locktype)
    {
        for (final LockTagType type : values())
        {
            if (type.locktype.equals(locktype))
            {
                return type;
            }
        }
        throw new IllegalArgumentException("invalid lock tag type \"" + locktype + "\": expected relation, extend,"
            + " page, tuple, transactionid, virtualxid, object or advisory");
    }
}
