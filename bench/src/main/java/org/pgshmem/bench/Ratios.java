package org.pgshmem.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * The table printed after a run: each pgshmem benchmark next to its peer from the same run,
 * and the ratio of their costs. It reports; it never judges a run as passed or failed.
 *
 * <p>The ratio is pgshmem's cost over the peer's (time per operation; for throughput modes the
 * inverse), so 1.00 means as fast as the peer and 2.00 twice as slow; below 0.5 it also says how
 * many times faster pgshmem is (0.01 = 100× faster). The range beside it is
 * the widest the two 99.9% confidence intervals JMH reports allow; when it is wide, the run
 * was too short or too noisy to tell.
 */
final class Ratios
{
    /** The secondary result the GC profiler reports: bytes allocated per operation. */
    private static final String ALLOCATION = "gc.alloc.rate.norm";

    /** A pgshmem benchmark and the peer it is compared with; both methods of {@code type}. */
    record Pair(String what, Class<?> type, String pgshmem, String peer, String peerName)
    {
    }

    /** Every pair the benchmarks of this module define; pairs not run are left out of the table. */
    static final List<Pair> PAIRS = List.of(
        new Pair("attach + close a backend", AttachBenchmark.class, "backendAttach", "rawMap",
            "FileChannel.map + unmap of the segment"),
        new Pair("initStruct of an existing label", InitStructLookupBenchmark.class, "initStructFound",
            "hashMapGet", "HashMap.get"),
        new Pair("initStruct of an existing label", InitStructLookupBenchmark.class, "initStructFound",
            "concurrentHashMapGet", "ConcurrentHashMap.get"),
        new Pair("hash get (getUsing, 64 B value)", HashBenchmark.class, "pgshmemGet", "chronicleGet",
            "raw Chronicle Map"),
        new Pair("hash put (existing key, 64 B value)", HashBenchmark.class, "pgshmemPut", "chroniclePut",
            "raw Chronicle Map"),
        new Pair("heavyweight lock + unlock, advisory ExclusiveLock", LockBenchmark.class,
            "heavyweightAdvisoryExclusive", "fileLockExclusive", "FileChannel.lock + release, exclusive"),
        new Pair("heavyweight lock + unlock, advisory ExclusiveLock", LockBenchmark.class,
            "heavyweightAdvisoryExclusive", "rwLockWrite", "ReentrantReadWriteLock write (one process)"),
        new Pair("heavyweight lock + unlock, relation AccessShareLock", LockBenchmark.class,
            "heavyweightRelationAccessShare", "fileLockShared", "FileChannel.lock + release, shared"),
        new Pair("heavyweight lock + unlock, relation AccessShareLock", LockBenchmark.class,
            "heavyweightRelationAccessShare", "rwLockRead", "ReentrantReadWriteLock read (one process)"),
        new Pair("LWLock acquire + release, exclusive", LockBenchmark.class, "lwlockExclusive", "fileLockExclusive",
            "FileChannel.lock + release, exclusive"),
        new Pair("LWLock acquire + release, exclusive", LockBenchmark.class, "lwlockExclusive", "rwLockWrite",
            "ReentrantReadWriteLock write (one process)"),
        new Pair("LWLock acquire + release, exclusive", LockBenchmark.class, "lwlockExclusive", "casWordFloor",
            "floor: CAS + release store on a mapped word"),
        new Pair("LWLock acquire + release, shared", LockBenchmark.class, "lwlockShared", "fileLockShared",
            "FileChannel.lock + release, shared"),
        new Pair("LWLock acquire + release, shared", LockBenchmark.class, "lwlockShared", "rwLockRead",
            "ReentrantReadWriteLock read (one process)"),
        new Pair("buffer hit: pin, share-lock, read a long, unlock, unpin", BufferBenchmark.class, "hit", "chmGet",
            "ConcurrentHashMap<Tag, byte[]>.get + read (one process)"),
        new Pair("buffer hit: pin, share-lock, read a long, unlock, unpin", BufferBenchmark.class, "hit",
            "atomicsFloor", "floor: the hit path's locked instructions alone"),
        new Pair("buffer miss: evict a clean page, read the block, as the hit", BufferBenchmark.class, "miss",
            "fileChannelRead", "FileChannel.read, 8 KiB positional, no cache"),
        new Pair("buffer miss: evict a clean page, read the block, as the hit", BufferBenchmark.class, "miss",
            "fileChannelReadVerify", "FileChannel.read + Page.verify (checksum)"),
        new Pair("WAL insert, no flush", WalBenchmark.class, "insert", "fileAppendCrc",
            "CRC-32C + buffered FileChannel.write to files, no fsync"),
        new Pair("WAL insert, no flush", WalBenchmark.class, "insert", "mappedAppendCrc",
            "append to a mapped file + CRC-32C"),
        new Pair("WAL insert, no flush", WalBenchmark.class, "insert", "mappedAppend",
            "append to a mapped file"),
        new Pair("WAL insert, no flush", WalBenchmark.class, "insert", "ringWrite",
            "Agrona ManyToOneRingBuffer write (+ drain when full)"),
        new Pair("commit, one process: insert 100 B + flush (fsync)", WalBenchmark.class, "commit", "rawFsync",
            "8 KiB FileChannel.write + force(false)"),
        new Pair("commit, one process: insert 100 B + flush (fsync)", WalBenchmark.class, "commit", "rawFsyncRecord",
            "128 B FileChannel.write + force(false)"),
        new Pair("transaction, one process: begin, write 100 B, commit", WalBenchmark.class, "commitTransaction",
            "rawFsync", "8 KiB FileChannel.write + force(false)"));

    private Ratios()
    {
    }

    /** Prints the table for the pairs found in {@code results}, as Markdown. */
    static void print(final Collection<RunResult> results, final PrintStream out)
    {
        final List<String[]> rows = new ArrayList<>();
        for (final Pair pair : PAIRS)
        {
            for (final RunResult mine : results)
            {
                if (!isMethod(mine, pair.type(), pair.pgshmem()))
                {
                    continue;
                }
                final RunResult peer = findPeer(results, mine, pair);
                if (peer != null)
                {
                    rows.add(row(pair, mine, peer));
                }
            }
        }
        out.println();
        if (rows.isEmpty())
        {
            out.println("pgshmem vs peer: no pair of benchmarks ran together, so there is no ratio to show.");
            return;
        }
        out.println("pgshmem vs peer, same run (ratio = pgshmem cost / peer cost: 1.00 = as fast, 2.00 = twice as slow;"
            + " range from the 99.9% confidence intervals)");
        out.println();
        out.println("| what | pgshmem | peer | peer score | ratio (range) | alloc B/op pgshmem / peer |");
        out.println("| --- | --- | --- | --- | --- | --- |");
        for (final String[] row : rows)
        {
            out.println("| " + String.join(" | ", row) + " |");
        }
    }

    private static boolean isMethod(final RunResult result, final Class<?> type, final String method)
    {
        return result.getParams().getBenchmark().equals(type.getName() + "." + method);
    }

    /** The peer's result with the same mode, parameters and unit. */
    private static RunResult findPeer(final Collection<RunResult> results, final RunResult mine, final Pair pair)
    {
        for (final RunResult candidate : results)
        {
            if (isMethod(candidate, pair.type(), pair.peer())
                && candidate.getParams().getMode() == mine.getParams().getMode()
                && params(candidate.getParams()).equals(params(mine.getParams()))
                && candidate.getPrimaryResult().getScoreUnit().equals(mine.getPrimaryResult().getScoreUnit()))
            {
                return candidate;
            }
        }
        return null;
    }

    private static Map<String, String> params(final BenchmarkParams params)
    {
        final Map<String, String> map = new TreeMap<>();
        for (final String key : params.getParamsKeys())
        {
            map.put(key, params.getParam(key));
        }
        return map;
    }

    private static String[] row(final Pair pair, final RunResult mine, final RunResult peer)
    {
        final Result<?> a = mine.getPrimaryResult();
        final Result<?> b = peer.getPrimaryResult();
        // a throughput is an inverse cost: the ratio of costs is then the peer's score over ours
        final boolean throughput = mine.getParams().getMode() == Mode.Throughput;
        final Result<?> numerator = throughput ? b : a;
        final Result<?> denominator = throughput ? a : b;
        final double ratio = numerator.getScore() / denominator.getScore();
        final double low = (numerator.getScore() - error(numerator)) / (denominator.getScore() + error(denominator));
        final double high = (numerator.getScore() + error(numerator)) / (denominator.getScore() - error(denominator));
        // JMH gives no error for fewer than two iterations: no range then, rather than a false one
        final boolean known = !Double.isNaN(a.getScoreError()) && !Double.isNaN(b.getScoreError());
        final String range = known && denominator.getScore() > error(denominator)
            ? ratio(low) + "–" + ratio(high) : "n/a";
        final String params = params(mine.getParams()).toString();
        return new String[] {
            params.equals("{}") ? pair.what() : pair.what() + " " + params,
            score(a),
            pair.peerName(),
            score(b),
            "**" + ratio(ratio) + "** (" + range + ")" + percent(ratio),
            allocation(mine) + " / " + allocation(peer),
        };
    }

    /** Two decimals; three significant figures below 0.1, where two decimals would say nothing. */
    private static String ratio(final double ratio)
    {
        return Math.abs(ratio) < 0.1 ? format("%.2g", ratio) : format("%.2f", ratio);
    }

    /**
     * For ratios near 1, the difference in percent is easier to read than the ratio; for ratios far
     * below 1 (pgshmem much faster), how many times faster.
     */
    private static String percent(final double ratio)
    {
        if (ratio < 0.5)
        {
            return format(" = %s× faster", number(1 / ratio));
        }
        return ratio < 2 ? format(" %+.1f%%", (ratio - 1) * 100) : "";
    }

    private static double error(final Result<?> result)
    {
        final double error = result.getScoreError();
        return Double.isNaN(error) ? 0 : error;
    }

    private static String score(final Result<?> result)
    {
        final double error = result.getScoreError();
        final String unit = result.getScoreUnit();
        return Double.isNaN(error) ? format("%s %s", number(result.getScore()), unit)
            : format("%s ± %s %s", number(result.getScore()), number(error), unit);
    }

    /** Three significant figures at least, without a long tail of digits. */
    private static String number(final double value)
    {
        final double abs = Math.abs(value);
        if (abs >= 100)
        {
            return format("%.0f", value);
        }
        if (abs >= 10)
        {
            return format("%.1f", value);
        }
        if (abs >= 1)
        {
            return format("%.2f", value);
        }
        return format("%.3f", value);
    }

    private static String allocation(final RunResult result)
    {
        final Result<?> bytes = result.getSecondaryResults().get(ALLOCATION);
        return bytes == null ? "–" : format("%.0f", bytes.getScore());
    }

    private static String format(final String pattern, final Object... args)
    {
        return String.format(Locale.ROOT, pattern, args);
    }
}
