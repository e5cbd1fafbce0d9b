package org.pgshmem.it;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

import org.pgshmem.backend.Backend;
import org.pgshmem.buffer.BufferManager;
import org.pgshmem.buffer.PageHeaderDescriptor;
import org.pgshmem.lock.LWLockMode;
import org.pgshmem.util.PgException;

/**
 * A backend that uses the buffer manager's Java API on command, one stdin line at a time, one
 * answer line each (says {@code ready} first). Counters are longs at the start of each page's
 * contents.
 * <ul>
 * <li>{@code extend <rel> <blocks>}: extends the relation to that many blocks</li>
 * <li>{@code increment <rel> <blocks> <count> <seed> [<burst> <pause_ms>]}: adds 1 to the counter of
 * random blocks, {@code count} times, pausing after every {@code burst}; answers {@code done}</li>
 * <li>{@code sum <rel> <blocks>}: the sum of the counters</li>
 * <li>{@code read <rel> <block>}: the counter of one block</li>
 * <li>{@code pin <rel> <block>}, {@code lockx <rel> <block>}: pins (and exclusively locks) a buffer and keeps it</li>
 * <li>{@code stats}: sends this process's statistics now</li>
 * </ul>
 */
public final class BufferChild
{
    static final int COUNTER = PageHeaderDescriptor.HEADER_LENGTH;

    private BufferChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try (Backend backend = Backend.attach(Path.of(args[0])))
        {
            final BufferManager bm = backend.buffers();
            System.out.println("ready");
            System.out.flush();
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null && !line.equals("quit"); line = in.readLine())
            {
                final String[] w = line.split(" ");
                String answer;
                try
                {
                    answer = switch (w[0])
                    {
                        case "extend" ->
                        {
                            final int rel = Integer.parseInt(w[1]);
                            while (bm.nblocks(rel) < Integer.parseInt(w[2]))
                            {
                                bm.releaseBuffer(bm.extend(rel, backend.locks()));
                            }
                            yield "extended " + bm.nblocks(rel);
                        }
                        case "increment" ->
                        {
                            increment(bm, Integer.parseInt(w[1]), Integer.parseInt(w[2]), Integer.parseInt(w[3]),
                                Long.parseLong(w[4]), w.length > 5 ? Integer.parseInt(w[5]) : Integer.MAX_VALUE,
                                w.length > 6 ? Long.parseLong(w[6]) : 0);
                            yield "done";
                        }
                        case "sum" ->
                        {
                            long sum = 0;
                            for (int block = 0; block < Integer.parseInt(w[2]); block++)
                            {
                                sum += counter(bm, Integer.parseInt(w[1]), block);
                            }
                            yield "sum " + sum;
                        }
                        case "read" -> "value " + counter(bm, Integer.parseInt(w[1]), Integer.parseInt(w[2]));
                        case "pin" ->
                        {
                            bm.readBuffer(Integer.parseInt(w[1]), Integer.parseInt(w[2]));
                            yield "pinned";
                        }
                        case "lockx" ->
                        {
                            bm.lockBuffer(bm.readBuffer(Integer.parseInt(w[1]), Integer.parseInt(w[2])), LWLockMode.EXCLUSIVE);
                            yield "locked";
                        }
                        case "stats" ->
                        {
                            bm.flushStats();
                            yield "sent";
                        }
                        default -> "error: unknown command " + w[0];
                    };
                }
                catch (final PgException ex)
                {
                    answer = "error: " + ex.getMessage();
                }
                System.out.println(answer);
                System.out.flush();
            }
        }
    }

    private static long counter(final BufferManager bm, final int rel, final int block)
    {
        final int buf = bm.readBuffer(rel, block);
        try
        {
            bm.lockBuffer(buf, LWLockMode.SHARED);
            final long value = bm.page(buf).getLong(COUNTER);
            bm.unlockBuffer(buf, LWLockMode.SHARED);
            return value;
        }
        finally
        {
            bm.releaseBuffer(buf);
        }
    }

    private static void increment(final BufferManager bm, final int rel, final int blocks, final int count,
        final long seed, final int burst, final long pauseMillis)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 1; i <= count; i++)
        {
            final int buf = bm.readBuffer(rel, random.nextInt(blocks));
            try
            {
                bm.lockBuffer(buf, LWLockMode.EXCLUSIVE);
                bm.page(buf).putLong(COUNTER, bm.page(buf).getLong(COUNTER) + 1);
                bm.markDirty(buf);
                bm.unlockBuffer(buf, LWLockMode.EXCLUSIVE);
            }
            finally
            {
                bm.releaseBuffer(buf);
            }
            if (i % burst == 0)
            {
                LockSupport.parkNanos(pauseMillis * 1_000_000L);
            }
        }
    }
}
