package org.pgshmem.it;

import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

import org.pgshmem.backend.Backend;
import org.pgshmem.cli.BackendShellAccess;
import org.pgshmem.shmem.SharedHash;

/**
 * A backend that dies holding a Chronicle Map segment lock: it enters {@code compute} on
 * {@code args[2]}'s key {@code args[3]} (Chronicle holds the key's segment lock while the
 * function runs), says "inside", and waits there to be killed.
 */
public final class HashHolderChild
{
    private HashHolderChild()
    {
    }

    public static void main(final String[] args)
    {
        try (Backend backend = Backend.attach(Path.of(args[0])))
        {
            final SharedHash<String, String> hash = BackendShellAccess.textHash(backend, args[1]);
            hash.compute(args[2], (k, v) ->
            {
                System.out.println("inside");
                System.out.flush();
                while (true)
                {
                    LockSupport.parkNanos(1_000_000_000L);
                }
            });
        }
    }
}
