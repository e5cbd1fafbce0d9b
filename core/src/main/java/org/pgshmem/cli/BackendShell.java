package org.pgshmem.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.ipc.MessageTypes;
import org.pgshmem.backend.Backend;
import org.pgshmem.control.ControlFile;
import org.pgshmem.lock.LockManager;
import org.pgshmem.lock.LockMode;
import org.pgshmem.lock.LockTag;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.SharedHash;
import org.pgshmem.shmem.ShmemStruct;
import org.pgshmem.shmem.StructInit;
import org.pgshmem.util.PgException;
import org.pgshmem.xact.Clog;
import org.pgshmem.xact.Transaction;

/**
 * The command language of {@code pgshmem backend} (docs/BACKEND_COMMANDS.md): one command a
 * line, one answer a line. Later subsystems add their commands here.
 */
final class BackendShell
{
    /** Capacity of hashes that {@code put} creates. */
    static final long HASH_ENTRIES = 10_000;

    /** How long {@code recv} waits without an argument. */
    static final long RECV_DEFAULT_MS = 5_000;
    /** How long {@code send} waits while the target's inbox is full. */
    static final long SEND_TIMEOUT_MS = 5_000;

    private final Backend backend;
    private final PrintStream out;
    private final UnsafeBuffer outgoing = new UnsafeBuffer(new byte[64 * 1024]);
    private String received;
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
                case "send" -> send(trimmed);
                case "recv" -> recv(words);
                case "broadcast" -> broadcast(trimmed);
                case "lost" -> "ok " + backend.messenger().broadcastsLost();
                case "setlatch" -> setLatch(words);
                case "waitlatch" -> waitLatch(words);
                case "lock" -> lock(words);
                case "unlock" -> unlock(words);
                case "unlockall" -> "ok " + backend.locks().unlockAll();
                case "set" -> set(words);
                case "write" -> writePage(trimmed);
                case "read" -> readPage(trimmed.split("\\s+"));
                case "flush" -> "ok " + backend.buffers().flushAll();
                case "begin" -> begin();
                case "commit" -> commit();
                case "abort", "rollback" -> abort();
                case "xid" -> xid();
                case "status" -> status(words);
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

    /** The payload of a TEXT message: sender pid, then the text in UTF-8; its length. */
    private int textPayload(final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (Long.BYTES + bytes.length > outgoing.capacity())
        {
            throw new PgException("message of " + bytes.length + " bytes is too long");
        }
        outgoing.putLong(0, backend.pid());
        outgoing.putBytes(Long.BYTES, bytes);
        return Long.BYTES + bytes.length;
    }

    private static String text(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** {@code send <pid> <text>}: into that process's inbox, waiting while it is full. */
    private String send(final String line)
    {
        final String[] w = line.split("\\s+", 3);
        arity(w, 3, "send <pid> <text>");
        final int length = textPayload(w[2]);
        backend.messenger().send(Long.parseLong(w[1]), MessageTypes.TEXT, outgoing, 0, length,
            TimeUnit.MILLISECONDS.toNanos(SEND_TIMEOUT_MS));
        return "ok";
    }

    /** {@code broadcast <text>}: to every process. */
    private String broadcast(final String line)
    {
        final String[] w = line.split("\\s+", 2);
        arity(w, 2, "broadcast <text>");
        final int length = textPayload(w[1]);
        backend.messenger().broadcast(MessageTypes.TEXT, outgoing, 0, length);
        return "ok";
    }

    /** {@code setlatch <pid>}: wakes that process if it waits on its latch. */
    private String setLatch(final String[] words)
    {
        arity(words, 2, "setlatch <pid>");
        backend.messenger().setLatch(Long.parseLong(words[1]));
        return "ok";
    }

    /** {@code waitlatch [timeout_ms]}: {@code ok set} when the latch was set in time, else {@code ok timeout}. */
    private String waitLatch(final String[] words)
    {
        final long timeoutMs = words.length > 1 ? Long.parseLong(words[1]) : RECV_DEFAULT_MS;
        return backend.messenger().waitLatch(TimeUnit.MILLISECONDS.toNanos(timeoutMs)) ? "ok set" : "ok timeout";
    }

    /**
     * {@code write <rel> <block> <offset> <text>}: into the transaction in progress, or else in a
     * transaction of its own, committed (and flushed, with synchronous_commit) before the answer.
     */
    private String writePage(final String line)
    {
        final String[] w = line.split("\\s+", 5);
        arity(w, 5, "write <rel> <block> <offset> <text>");
        final int relation = Integer.parseInt(w[1]);
        final int block = Integer.parseInt(w[2]);
        final byte[] text = w[4].getBytes(StandardCharsets.UTF_8);
        backend.write(relation, block, Integer.parseInt(w[3]), text);
        return "ok";
    }

    /**
     * {@code read <rel> <block> <offset> <length>}: {@code ok <text>}, trailing zero bytes left out;
     * what is committed, with this backend's own writes in its transaction over it.
     */
    private String readPage(final String[] words)
    {
        arity(words, 5, "read <rel> <block> <offset> <length>");
        final int relation = Integer.parseInt(words[1]);
        final int block = Integer.parseInt(words[2]);
        final int offset = Integer.parseInt(words[3]);
        final int length = Integer.parseInt(words[4]);
        // before the array is made: a negative length gets the page's error, not the JVM's
        Transaction.checkAddress(relation, block, offset, length);
        final byte[] bytes = new byte[length];
        backend.read(relation, block, offset, bytes);
        int end = length;
        while (end > 0 && bytes[end - 1] == 0)
        {
            end--;
        }
        return "ok " + new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    /** {@code begin}: BEGIN. */
    private String begin()
    {
        backend.begin();
        return "ok";
    }

    /** {@code commit}: COMMIT; answers the commit record's end LSN ({@code 0/0} when nothing was written). */
    private String commit()
    {
        return "ok " + ControlFile.formatLsn(backend.transaction().commit());
    }

    /** {@code abort} or {@code rollback}: ROLLBACK. */
    private String abort()
    {
        backend.transaction().abort();
        return "ok";
    }

    /** {@code xid}: the id of the transaction in progress, {@code none} before its first write (txid_current_if_assigned). */
    private String xid()
    {
        final long xid = backend.transaction().xid();
        return "ok " + (xid == 0 ? "none" : Long.toString(xid));
    }

    /** {@code status <xid>}: pg_xact_status. */
    private String status(final String[] words)
    {
        arity(words, 2, "status <xid>");
        return "ok " + Clog.statusName(backend.transactionStatus(Long.parseLong(words[1])));
    }

    /**
     * {@code lock <tag> <mode> [nowait]}: takes a heavyweight lock. A request that has to wait
     * answers {@code waiting} first, then {@code ok} or {@code error: ...} when the wait ends.
     */
    private String lock(final String[] words)
    {
        arity(words, 3, "lock <tag> <mode> [nowait]");
        final boolean nowait = words.length > 3;
        if (nowait && !"nowait".equalsIgnoreCase(words[3]))
        {
            throw new PgException("usage: lock <tag> <mode> [nowait]");
        }
        final LockTag tag = LockTag.parse(words[1]);
        final LockManager.AcquireResult result;
        try
        {
            result = backend.locks().lock(tag, LockMode.parse(words[2]), nowait, () -> reply("waiting"));
        }
        catch (final PgException ex)
        {
            // a deadlock's cycle is in the detail: keep it, on the answer's one line
            throw ex.detail() == null ? ex
                : new PgException(ex.getMessage() + " DETAIL: " + ex.detail().replace('\n', ' '), null, ex.hint());
        }
        if (result == LockManager.AcquireResult.NOT_AVAIL)
        {
            throw new PgException("could not obtain lock on " + tag.describe());
        }
        return "ok";
    }

    /** {@code unlock <tag> <mode>}: releases one hold. */
    private String unlock(final String[] words)
    {
        arity(words, 3, "unlock <tag> <mode>");
        final LockMode mode = LockMode.parse(words[2]);
        final LockTag tag = LockTag.parse(words[1]);
        // asked first so that the answer is the error line alone, without the lock manager's warning
        if (backend.locks().holdCount(tag, mode) == 0 || !backend.locks().unlock(tag, mode))
        {
            throw new PgException("you don't own a lock of type " + mode.pgName());
        }
        return "ok";
    }

    /** {@code set lock_timeout|deadlock_timeout <value>}: this backend's setting, as PostgreSQL's SET. */
    private String set(final String[] words)
    {
        arity(words, 3, "set <name> <value>");
        if (!"lock_timeout".equals(words[1]) && !"deadlock_timeout".equals(words[1]))
        {
            throw new PgException("parameter \"" + words[1] + "\" cannot be changed now",
                null, "A backend may set lock_timeout and deadlock_timeout.");
        }
        final long millis = Settings.defaults().with(words[1], words[2]).getMillis(words[1]);
        switch (words[1])
        {
            case "lock_timeout" -> backend.locks().lockTimeout(millis);
            case "deadlock_timeout" -> backend.locks().deadlockTimeout(millis);
            default -> throw new IllegalStateException(words[1]);
        }
        return "ok";
    }

    /**
     * {@code recv [timeout_ms]}: the next message of the inbox ({@code ok from=<pid> <text>}) or
     * else the next broadcast from another process ({@code ok broadcast from=<pid> <text>}).
     */
    private String recv(final String[] words)
    {
        final long timeoutMs = words.length > 1 ? Long.parseLong(words[1]) : RECV_DEFAULT_MS;
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        received = null;
        while (true)
        {
            backend.messenger().poll(this::onMessage, 1);
            if (received == null)
            {
                backend.messenger().pollBroadcasts(this::onBroadcast, 1);
            }
            if (received != null)
            {
                return received;
            }
            final long left = deadline - System.nanoTime();
            if (left <= 0)
            {
                return "error: no message within " + timeoutMs + " ms";
            }
            // broadcasts set no latch: wake at least every 10 ms to look
            backend.messenger().waitLatch(Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
        }
    }

    private void onMessage(final int type, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        received = type == MessageTypes.TEXT && length >= Long.BYTES
            ? "ok from=" + buffer.getLong(offset) + " " + text(buffer, offset + Long.BYTES, length - Long.BYTES)
            : "ok type=" + type + " length=" + length;
    }

    private void onBroadcast(final int type, final DirectBuffer buffer, final int offset, final int length,
        final long sender)
    {
        if (sender == backend.pid())
        {
            return;
        }
        received = type == MessageTypes.TEXT && length >= Long.BYTES
            ? "ok broadcast from=" + sender + " " + text(buffer, offset + Long.BYTES, length - Long.BYTES)
            : "ok broadcast from=" + sender + " type=" + type + " length=" + length;
    }

    /**
     * A fast or immediate shutdown ends this backend at once, as a PostgreSQL backend ends on
     * SIGTERM: it says so on stdout and exits non-zero. Its slot is freed by the postmaster,
     * which sees the process gone. The watcher reads the segment, so it must be
     * {@linkplain #stopWatching() stopped} before the backend unmaps it.
     */
    void watchForShutdown()
    {
        final org.pgshmem.shmem.ShmemSegment segment = backend.shmem().segment();
        watcher = new Thread(() ->
        {
            while (watching && segment.shutdownRequest() <= 1)
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
