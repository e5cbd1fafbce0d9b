package org.pgshmem.cli;

import org.pgshmem.backend.Backend;
import org.pgshmem.shmem.SharedHash;

/** Opens a hash exactly as {@code pgshmem backend}'s put and get do, so tests share it with CLI backends. */
public final class BackendShellAccess
{
    private BackendShellAccess()
    {
    }

    public static SharedHash<String, String> textHash(final Backend backend, final String label)
    {
        return backend.shmem().initHash(label, String.class, String.class, BackendShell.HASH_ENTRIES);
    }
}
