package org.pgshmem.it;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.pgshmem.backend.Backend;
import org.pgshmem.lock.LWLock;
import org.pgshmem.lock.LWLockMode;
import org.pgshmem.lock.SpinLock;
import org.pgshmem.proc.MyProc;
import org.pgshmem.util.PgException;

/**
 * A backend that takes the {@link LockProbeModule}'s light locks on command, one stdin line at a
 * time, one answer line each: {@code lwlock S|X} and {@code release S|X} for the LWLock,
 * {@code spin <stuck_ms>} and {@code unspin} for the spinlock. Answers {@code acquired},
 * {@code released} or {@code error: ...}; says {@code ready <slot>} first.
 */
public final class LightLockChild
{
    private LightLockChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try (Backend backend = Backend.attach(Path.of(args[0])))
        {
            final LockProbeModule probe = backend.module(LockProbeModule.class);
            final LWLock lwlock = probe.tranche.get(0);
            final MyProc me = backend.shmem().processLocal(MyProc.class, MyProc::new);
            System.out.println("ready " + backend.slot());
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null && !line.equals("quit"); line = in.readLine())
            {
                final String[] w = line.split(" ");
                try
                {
                    switch (w[0])
                    {
                        case "lwlock" ->
                        {
                            lwlock.acquire(w[1].equals("X") ? LWLockMode.EXCLUSIVE : LWLockMode.SHARED);
                            System.out.println("acquired");
                        }
                        case "release" ->
                        {
                            lwlock.release(w[1].equals("X") ? LWLockMode.EXCLUSIVE : LWLockMode.SHARED);
                            System.out.println("released");
                        }
                        case "spin" ->
                        {
                            SpinLock.acquire(probe.segment, probe.spinlockOffset, me, Long.parseLong(w[1]) * 1_000_000L,
                                LockProbeModule.SPINLOCK_LABEL);
                            System.out.println("acquired");
                        }
                        case "unspin" ->
                        {
                            SpinLock.release(probe.segment, probe.spinlockOffset, me, LockProbeModule.SPINLOCK_LABEL);
                            System.out.println("released");
                        }
                        default -> System.out.println("error: unknown command " + w[0]);
                    }
                }
                catch (final PgException ex)
                {
                    System.out.println("error: " + ex.getMessage());
                }
                System.out.flush();
            }
        }
    }
}
