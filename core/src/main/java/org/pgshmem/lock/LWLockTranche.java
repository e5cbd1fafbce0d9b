package org.pgshmem.lock;

import org.pgshmem.proc.MyProc;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSize;
import org.pgshmem.shmem.ShmemStruct;
import org.pgshmem.shmem.StructInit;
import org.pgshmem.util.PgException;

/**
 * A named array of LWLocks in a structure of its own (PostgreSQL's RequestNamedLWLockTranche and
 * GetNamedLWLockTranche). A module declares the memory in {@code shmemSize} and gets the locks in
 * {@code shmemInit}:
 *
 * <pre>{@code
 * public long shmemSize(Settings settings) { return LWLockTranche.shmemSize(4); }
 * public void shmemInit(Shmem shmem) { tranche = LWLockTranche.init(shmem, "my module", 4); }
 * }</pre>
 */
public final class LWLockTranche
{
    /** What the structure of tranche {@code name} is called in the shmem index. */
    public static final String LABEL_PREFIX = "LWLock Tranche: ";

    private final String name;
    private final LWLock[] locks;

    private LWLockTranche(final String name, final LWLock[] locks)
    {
        this.name = name;
        this.locks = locks;
    }

    /** Bytes a tranche of {@code count} locks takes, for the module's {@code shmemSize}. */
    public static long shmemSize(final int count)
    {
        return ShmemSize.mulSize(count, LWLockDescriptor.LENGTH);
    }

    /** Creates (first process) or attaches to (the others) tranche {@code name} of {@code count} locks. */
    public static LWLockTranche init(final Shmem shmem, final String name, final int count)
    {
        if (count <= 0)
        {
            throw new PgException("LWLock tranche \"" + name + "\" must have at least one lock");
        }
        final ShmemStruct struct = shmem.initStruct(LABEL_PREFIX + name, shmemSize(count), StructInit.ZEROED);
        final MyProc me = shmem.processLocal(MyProc.class, MyProc::new);
        final LWLock[] locks = new LWLock[count];
        for (int i = 0; i < count; i++)
        {
            locks[i] = new LWLock(shmem.segment().buffer(), (int)struct.offset() + i * LWLockDescriptor.LENGTH, me,
                count == 1 ? name : name + " " + i);
        }
        return new LWLockTranche(name, locks);
    }

    /** The tranche's name. */
    public String name()
    {
        return name;
    }

    /** Lock number {@code i}. */
    public LWLock get(final int i)
    {
        return locks[i];
    }

    /** How many locks the tranche has. */
    public int size()
    {
        return locks.length;
    }
}
