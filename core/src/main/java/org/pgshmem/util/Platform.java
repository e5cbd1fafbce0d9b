package org.pgshmem.util;

import java.nio.ByteOrder;

/**
 * Facts about the host the layouts depend on. Every layout is written in the host's native byte
 * order through Agrona buffers; pgshmem declares that order little-endian and refuses to run
 * elsewhere rather than write files another host would misread.
 */
public final class Platform
{
    private Platform()
    {
    }

    /** Fails unless the host is little-endian (x86-64, AArch64). */
    public static void requireLittleEndian()
    {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
        {
            throw new PgException("pgshmem runs only on little-endian hosts",
                "This host's byte order is " + ByteOrder.nativeOrder() + "; every pgshmem layout is little-endian.",
                null);
        }
    }
}
