package org.pgshmem.shmem;

import java.nio.file.Path;

import org.pgshmem.settings.Settings;

/** Bare segments for tests that need shared memory without a postmaster. */
final class TestSegments
{
    private TestSegments()
    {
    }

    /** A new segment file {@code dir/segment} with {@code usable} bytes after the header and index. */
    static Shmem create(final Path dir, final long usable)
    {
        final ShmemSegment segment = ShmemSegment.create(dir.resolve("segment"), ShmemSegment.overhead() + usable, 42);
        return Shmem.open(segment, Settings.defaults(), dir);
    }

    static Shmem attach(final Path dir)
    {
        return Shmem.open(ShmemSegment.attach(dir.resolve("segment"), 10_000), Settings.defaults(), dir);
    }
}
