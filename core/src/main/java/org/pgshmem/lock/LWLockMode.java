package org.pgshmem.lock;

/** The two modes of an LWLock (PostgreSQL's LW_SHARED and LW_EXCLUSIVE). */
public enum LWLockMode
{
    /** Many holders at once. */
    SHARED(0),
    /** One holder, and no shared ones. */
    EXCLUSIVE(1);

    private final int bit;

    LWLockMode(final int bit)
    {
        this.bit = bit;
    }

    /** The bit a held-LWLock record carries for this mode (1 exclusive, 0 shared). */
    int bit()
    {
        return bit;
    }

    /** The mode a held-LWLock record or wait record names. */
    static LWLockMode ofBit(final int bit)
    {
        return (bit & 1) != 0 ? EXCLUSIVE : SHARED;
    }
}
