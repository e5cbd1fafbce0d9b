package org.pgshmem.settings;

/**
 * The base unit of a numeric setting and the units a value may be written in, as in
 * PostgreSQL's guc.c: memory in kB, MB, GB, TB (multiples of 1024); time in us, ms, s, min, h, d.
 */
public enum Unit
{
    /** A plain number. */
    NONE(1, false),
    /** Memory counted in bytes. */
    BYTES(1, true),
    /** Memory counted in kilobytes. */
    KILOBYTES(1024, true),
    /** Memory counted in megabytes (max_wal_size). */
    MEGABYTES(1024 * 1024, true),
    /** Memory counted in 8 kB blocks (shared_buffers). */
    BLOCKS(8192, true),
    /** Time counted in milliseconds. */
    MILLISECONDS(1_000, false),
    /** Time counted in seconds. */
    SECONDS(1_000_000, false),
    /** Time counted in minutes. */
    MINUTES(60_000_000L, false);

    /** Size of one base unit, in bytes for memory and microseconds for time. */
    final long scale;
    final boolean memory;

    Unit(final long scale, final boolean memory)
    {
        this.scale = scale;
        this.memory = memory;
    }

    boolean isTime()
    {
        return this == MILLISECONDS || this == SECONDS || this == MINUTES;
    }

    /** The scale of a unit suffix for a value of this unit, or -1 when the suffix is not valid here. */
    long suffixScale(final String suffix)
    {
        if (memory)
        {
            return switch (suffix)
            {
                case "B" -> 1;
                case "kB" -> 1024L;
                case "MB" -> 1024L * 1024;
                case "GB" -> 1024L * 1024 * 1024;
                case "TB" -> 1024L * 1024 * 1024 * 1024;
                default -> -1;
            };
        }
        if (isTime())
        {
            return switch (suffix)
            {
                case "us" -> 1;
                case "ms" -> 1_000;
                case "s" -> 1_000_000;
                case "min" -> 60_000_000L;
                case "h" -> 3_600_000_000L;
                case "d" -> 86_400_000_000L;
                default -> -1;
            };
        }
        return -1;
    }

    /** The hint PostgreSQL gives for a bad unit. */
    String validUnitsHint()
    {
        if (memory)
        {
            return "Valid units for this parameter are \"B\", \"kB\", \"MB\", \"GB\", and \"TB\".";
        }
        return "Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\".";
    }
}
