package org.pgshmem.shmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.agrona.concurrent.AtomicBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.cli.LineProcess;

/** Shared memory across real processes: child JVMs attach to a segment this test creates. */
@Timeout(180)
class ShmemProcessesTest
{
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static LineProcess child(final String name, final Path dir, final String... args) throws Exception
    {
        final List<String> all = new ArrayList<>(List.of(args));
        all.add(1, dir.toString());
        return LineProcess.startJvm(name, ShmemChild.class.getName(), all);
    }

    @Test
    void aStructCreatedInOneProcessIsAttachedByAnother() throws Exception
    {
        try (Shmem shmem = TestSegments.create(dir, 4096))
        {
            final ShmemStruct mine = shmem.initStruct("made by parent", 64, region -> region.putLong(0, 1234));
            try (LineProcess c = child("child", dir, "attach", "made by parent", "64"))
            {
                assertEquals("found=true offset=" + mine.offset() + " value=1234", c.readLine(WAIT));
                assertEquals(0, c.waitFor(WAIT));
            }
            // and the other way round: the child creates, the parent attaches
            try (LineProcess c = child("child", dir, "attach", "made by child", "64"))
            {
                final String line = c.readLine(WAIT);
                assertTrue(line.startsWith("found=false"), line);
                assertEquals(0, c.waitFor(WAIT));
            }
            final ShmemStruct theirs = shmem.initStruct("made by child", 64, region -> region.putLong(0, 99));
            assertTrue(theirs.found());
            assertEquals(-1, theirs.buffer().getLong(0), "the child's init ran, not ours");
        }
    }

    @Test
    void processesRacingForANewLabelRunExactlyOneInit() throws Exception
    {
        final int children = 4;
        try (Shmem shmem = TestSegments.create(dir, 4096))
        {
            final AtomicBuffer gate = shmem.initStruct(ShmemChild.GATE, 64, com -> { }).buffer();
            final List<LineProcess> racers = new ArrayList<>();
            try
            {
                for (int i = 0; i < children; i++)
                {
                    racers.add(child("racer " + i, dir, "race"));
                }
                for (final LineProcess r : racers)
                {
                    assertEquals("ready", r.readLine(WAIT));
                }
                gate.putLongVolatile(0, 1);
                int created = 0;
                final Set<String> offsets = new HashSet<>();
                final Set<String> creators = new HashSet<>();
                for (final LineProcess r : racers)
                {
                    final String line = r.readLine(WAIT);
                    final String[] f = line.split(" ");
                    if (f[0].equals("found=false"))
                    {
                        created++;
                        assertEquals(f[3].substring(4), f[2].substring(8), "the creator saw its own init: " + line);
                    }
                    offsets.add(f[1]);
                    creators.add(f[2]);
                    assertEquals(0, r.waitFor(WAIT));
                }
                assertEquals(1, created, "exactly one process created the label");
                assertEquals(1, offsets.size(), "everyone got the same region: " + offsets);
                assertEquals(1, creators.size(), "everyone sees the one init's write: " + creators);
                assertEquals(1, gate.getLongVolatile(8), "init ran exactly once across all processes");
            }
            finally
            {
                racers.forEach(LineProcess::close);
            }
        }
    }

    @Test
    void aHashWrittenByOneProcessIsReadByAnother() throws Exception
    {
        try (Shmem shmem = TestSegments.create(dir, 4096);
            LineProcess writer = child("writer", dir, "hash", "shared");
            LineProcess reader = child("reader", dir, "hash", "shared"))
        {
            assertEquals("ready", writer.readLine(WAIT));
            assertEquals("ready", reader.readLine(WAIT));
            assertEquals("ok", writer.ask("put alice 100", WAIT));
            assertEquals("ok 100", reader.ask("get alice", WAIT));
            assertEquals("ok", reader.ask("put bob 7", WAIT));
            assertEquals("ok 7", writer.ask("get bob", WAIT));
            assertEquals("7", shmem.initHash("shared", String.class, String.class, 1000).get("bob"));
            assertEquals(2, shmem.allocations().stream().filter(a -> "shared".equals(a.name())).findFirst()
                .orElseThrow().entries(), "every process keeps the shared entry count");
        }
    }
}
