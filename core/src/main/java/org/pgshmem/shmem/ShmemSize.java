package org.pgshmem.shmem;

import org.pgshmem.util.PgException;

/**
 * Size arithmetic that fails loudly instead of wrapping (PostgreSQL's add_size and mul_size).
 */
public final class ShmemSize
{
    private ShmemSize()
    {
    }

    /** {@code a + b}, or an error when the sum overflows. */
    public static long addSize(final long a, final long b)
    {
        if (a < 0 || b < 0)
        {
            throw new PgException("requested shared memory size is negative: " + (a < 0 ? a : b));
        }
        final long sum = a + b;
        if (sum < 0)
        {
            throw new PgException("requested shared memory size overflows: " + a + " + " + b);
        }
        return sum;
    }

    /** {@code a * b}, or an error when the product overflows. */
    public static long mulSize(final long a, final long b)
    {
        if (a < 0 || b < 0)
        {
            throw new PgException("requested shared memory size is negative: " + (a < 0 ? a : b));
        }
        try
        {
            return Math.multiplyExact(a, b);
        }
        catch (final ArithmeticException ex)
        {
            throw new PgException("requested shared memory size overflows: " + a + " * " + b);
        }
    }

    /** {@code size} rounded up to the segment's allocation alignment (a cache line). */
    public static long alignUp(final long size)
    {
        final long mask = SegmentHeaderDescriptor.ALIGNMENT - 1L;
        return addSize(size, mask) & ~mask;
    }
}
