package org.pgshmem.shmem;

/**
 * Where a process records, in shared memory, that one of its threads is inside a Chronicle Map
 * operation on a hash, so that if it dies there the postmaster knows which hash may have a
 * segment lock held by nobody. A backend records it in its proc-array slot; processes without
 * a slot record nothing.
 */
public interface HashOperationMarks
{
    /** A handle for the hash whose shmem index entry is {@code entry}; called once per hash per process. */
    int markFor(int entry);

    /** A thread enters an operation (a full fence: see {@link SharedHash}). */
    void enter(int mark);

    /** The thread left the operation. */
    void exit(int mark);

    /** Threads of this process inside an operation under {@code mark}. */
    int inFlight(int mark);

    /** Records nothing: for processes without a slot. */
    HashOperationMarks NONE = new HashOperationMarks()
    {
        @Override
        public int markFor(final int entry)
        {
            return 0;
        }

        @Override
        public void enter(final int mark)
        {
        }

        @Override
        public void exit(final int mark)
        {
        }

        @Override
        public int inFlight(final int mark)
        {
            return 0;
        }
    };
}
