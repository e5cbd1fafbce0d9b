package org.pgshmem.lock;

/**
 * The eight heavyweight lock modes, with PostgreSQL's conflict table (lock.c's LockConflicts)
 * and the names pg_locks shows. A mode's number is PostgreSQL's (1 to 8); masks have bit
 * {@code 1 << number} for each mode, as LOCKBIT_ON does.
 */
public enum LockMode
{
    /** 1: taken by SELECT; conflicts with AccessExclusiveLock only. */
    ACCESS_SHARE("AccessShareLock", 1, bits(8)),
    /** 2: SELECT FOR UPDATE/SHARE. */
    ROW_SHARE("RowShareLock", 2, bits(7, 8)),
    /** 3: INSERT, UPDATE, DELETE. */
    ROW_EXCLUSIVE("RowExclusiveLock", 3, bits(5, 6, 7, 8)),
    /** 4: VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY; self-conflicting. */
    SHARE_UPDATE_EXCLUSIVE("ShareUpdateExclusiveLock", 4, bits(4, 5, 6, 7, 8)),
    /** 5: CREATE INDEX. */
    SHARE("ShareLock", 5, bits(3, 4, 6, 7, 8)),
    /** 6: CREATE TRIGGER; self-conflicting. */
    SHARE_ROW_EXCLUSIVE("ShareRowExclusiveLock", 6, bits(3, 4, 5, 6, 7, 8)),
    /** 7: REFRESH MATERIALIZED VIEW CONCURRENTLY; allows only AccessShareLock alongside. */
    EXCLUSIVE("ExclusiveLock", 7, bits(2, 3, 4, 5, 6, 7, 8)),
    /** 8: DROP TABLE, LOCK TABLE; conflicts with every mode. */
    ACCESS_EXCLUSIVE("AccessExclusiveLock", 8, bits(1, 2, 3, 4, 5, 6, 7, 8));

    private static final LockMode[] BY_NUMBER = new LockMode[9];

    static
    {
        for (final LockMode mode : values())
        {
            BY_NUMBER[mode.number] = mode;
        }
    }

    private final String pgName;
    private final int number;
    private final int conflicts;

    LockMode(final String pgName, final int number, final int conflicts)
    {
        this.pgName = pgName;
        this.number = number;
        this.conflicts = conflicts;
    }

    private static int bits(final int... modes)
    {
        int mask = 0;
        for (final int m : modes)
        {
            mask |= 1 << m;
        }
        return mask;
    }

    /** The name pg_locks gives the mode, e.g. {@code AccessShareLock}. */
    public String pgName()
    {
        return pgName;
    }

    /** PostgreSQL's number of the mode, 1 to 8. */
    public int number()
    {
        return number;
    }

    /** This mode's bit in a lock mask. */
    public int bit()
    {
        return 1 << number;
    }

    /** The mask of modes this one conflicts with. */
    public int conflictMask()
    {
        return conflicts;
    }

    /** Whether a holder of {@code other} blocks a request for this mode. */
    public boolean conflictsWith(final LockMode other)
    {
        return (conflicts & other.bit()) != 0;
    }

    /** The mode with PostgreSQL number {@code number}, or null. */
    public static LockMode ofNumber(final int number)
    {
        return number > 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : null;
    }

    /** The mode pg_locks calls {@code name} (case-insensitive; the trailing "Lock" may be left off). */
    public static LockMode parse(final String name)
    {
        for (final LockMode mode : values())
        {
            if (mode.pgName.equalsIgnoreCase(name) || mode.pgName.equalsIgnoreCase(name + "Lock"))
            {
                return mode;
            }
        }
        throw new IllegalArgumentException("invalid lock mode \"" + name + "\": expected AccessShareLock,"
            + " RowShareLock, RowExclusiveLock, ShareUpdateExclusiveLock, ShareLock, ShareRowExclusiveLock,"
            + " ExclusiveLock or AccessExclusiveLock");
    }
}
