package org.pgshmem.bench.ipc;

import java.util.Arrays;
import java.util.Locale;

/** How the drivers between processes summarize repeats and write figures into their tables. */
final class Figures
{
    private Figures()
    {
    }

    /** A time in nanoseconds with three significant figures and a unit that fits. */
    static String nanos(final double nanos)
    {
        if (nanos < 1_000)
        {
            return format("%.0f ns", nanos);
        }
        if (nanos < 10_000)
        {
            return format("%.2f µs", nanos / 1e3);
        }
        if (nanos < 1_000_000)
        {
            return format("%.1f µs", nanos / 1e3);
        }
        return format("%.2f ms", nanos / 1e6);
    }

    static String count(final long n)
    {
        return String.format(Locale.ROOT, "%,d", n);
    }

    static double median(final double[] values)
    {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static double min(final double[] values)
    {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    static double max(final double[] values)
    {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }

    static String format(final String pattern, final Object... args)
    {
        return String.format(Locale.ROOT, pattern, args);
    }
}
