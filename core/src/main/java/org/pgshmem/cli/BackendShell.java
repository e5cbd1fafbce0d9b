package org.pgshmem.cli;

import java.io.PrintStream;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.backend.Backend;
import org.pgshmem.shmem.SharedHash;
import org.pgshmem.shmem.ShmemStruct;
import org.pgshmem.shmem.StructInit;
import org.pgshmem.util.PgException;

/**
 * The command language of {@code pgshmem backend} (docs/BACKEND_COMMANDS.md): one command a
 * line, one answer a line. Later subsystems add their commands here.
 */
final class BackendShell
{
    /** Capacity of hashes that {@code put} creates. */
    static final long HASH_ENTRIES = 10_000;

    private final Backend backend;
    private final PrintStream out;
    private volatile boolean watching = true;
    private Thread watcher;

    BackendShell(final Backend backend, final PrintStream out)
    {
        this.backend = backend;
        this.out = out;
    }

    /** Runs one line; false when the backend should exit. */
    boolean execute(final String line)
    {
        final String trimmed = line.strip();
        if (trimmed.isEmpty())
        {
            return true;
        }
        final String[] words = trimmed.split("\\s+", 4);
        try
        {
            final String answer = switch (words[0])
            {
                case "quit", "exit" -> null;
                case "put" -> put(words, trimmed);
                case "get" -> get(words);
                case "struct" -> struct(words);
                case "struct-get" -> structGet(words);
                case "struct-set" -> structSet(words);
                case "struct-add" -> structAdd(words);
                default -> throw new PgException("unknown command \"" + words[0] + "\"");
            };
            if (answer == null)
            {
                reply("ok");
                return false;
            }
            reply(answer);
        }
        catch (final PgException | IllegalArgumentException | IndexOutOfBoundsException ex)
        {
            reply("error: " + ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            // one answer per line, always: a bug must not leave the script waiting
            reply("error: internal error: " + ex);
        }
        return true;
    }

    private synchronized void reply(final String line)
    {
        out.println(line);
        out.flush();
    }

    private static void arity(final String[] words, final int n, final String usage)
    {
        if (words.length < n)
        {
            throw new PgException("usage: " + usage);
        }
    }

    /** Labels are single words here; the label's own rules still apply. */
    private SharedHash<String, String> hash(final String label)
    {
        return backend.shmem().initHash(label, String.class, String.class, HASH_ENTRIES);
    }

    private String put(final String[] words, final String line)
    {
        arity(words, 4, "put <hash-label> <key> <value>");
        hash(words[1]).put(words[2], words[3]);
        return "ok";
    }

    private String get(final String[] words)
    {
        arity(words, 3, "get <hash-label> <key>");
        if (words.length > 3)
        {
            throw new PgException("usage: get <hash-label> <key>");
        }
        if (!backend.shmem().hashExists(words[1]))
        {
            throw new PgException("hash table \"" + words[1] + "\" does not exist");
        }
        final String value = hash(words[1]).get(words[2]);
        if (value == null)
        {
            throw new PgException("key \"" + words[2] + "\" not found in hash \"" + words[1] + "\"");
        }
        return "ok " + value;
    }

    private String struct(final String[] words)
    {
        arity(words, 3, "struct <label> <size>");
        final ShmemStruct s = backend.shmem().initStruct(words[1], Long.parseLong(words[2]), StructInit.ZEROED);
        return "ok " + (s.found() ? "attached" : "created") + " offset=" + s.offset() + " size=" + s.size();
    }

    private AtomicBuffer region(final String label, final String offset)
    {
        final AtomicBuffer buffer = backend.shmem().findStruct(label).buffer();
        final int off = Integer.parseInt(offset);
        if (off < 0 || off + Long.BYTES > buffer.capacity() || (off & 7) != 0)
        {
            throw new PgException("offset " + off + " is not an aligned long inside \"" + label + "\" ("
                + buffer.capacity() + " bytes)");
        }
        return buffer;
    }

    private String structGet(final String[] words)
    {
        arity(words, 3, "struct-get <label> <offset>");
        return "ok " + region(words[1], words[2]).getLongVolatile(Integer.parseInt(words[2]));
    }

    private String structSet(final String[] words)
    {
        arity(words, 4, "struct-set <label> <offset> <long>");
        region(words[1], words[2]).putLongVolatile(Integer.parseInt(words[2]), Long.parseLong(words[3]));
        return "ok";
    }

    private String structAdd(final String[] words)
    {
        arity(words, 4, "struct-add <label> <offset> <delta>");
        final long delta = Long.parseLong(words[3]);
        return "ok " + (region(words[1], words[2]).getAndAddLong(Integer.parseInt(words[2]), delta) + delta);
    }

    /**
     * A fast or immediate shutdown ends this backend at once, as a PostgreSQL backend ends on
     * SIGTERM: it says so on stdout and exits non-zero. Its slot is freed by the postmaster,
     * which sees the process gone. The watcher reads the segment, so it must be
     * {@linkplain #stopWatching() stopped} before the backend unmaps it.
     */
    void watchForShutdown()
    {
        watcher = new Thread(() ->
        {
            while (watching && backend.shmem().segment().shutdownRequest() <= 1)
            {
                LockSupport.parkNanos(20_000_000L);
            }
            if (watching)
            {
                reply("error: terminating connection due to administrator command");
                Runtime.getRuntime().halt(1);
            }
        }, "shutdown-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** Stops the watcher and waits until it no longer touches shared memory. */
    void stopWatching() throws InterruptedException
    {
        watching = false;
        if (watcher != null)
        {
            LockSupport.unpark(watcher);
            watcher.join();
        }
    }
}
