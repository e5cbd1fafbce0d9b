package org.pgshmem.util;

import java.util.function.ToIntFunction;

/**
 * Enums stored in files and shared memory by an explicit number, never by position: the one
 * lookup from number back to constant they all use.
 */
public final class StoredCodes
{
    private StoredCodes()
    {
    }

    /** The constant of {@code values} whose code is {@code code}, or null when none has it. */
    public static <E extends Enum<E>> E byCode(final E[] values, final ToIntFunction<E> codeOf, final int code)
    {
        for (final E value : values)
        {
            if (codeOf.applyAsInt(value) == code)
            {
                return value;
            }
        }
        return null;
    }
}
