package org.pgshmem.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pgshmem.backend.Backend;
import org.pgshmem.checkpoint.CheckpointerShmem;
import org.pgshmem.checkpoint.CheckpointerStats;
import org.pgshmem.cli.LineProcess;
import org.pgshmem.control.ControlFile;
import org.pgshmem.control.DbState;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.testing.CliResult;
import org.pgshmem.testing.TestCluster;
import org.pgshmem.wal.Wal;
import org.pgshmem.wal.WalRecordType;

/**
 * The checkpointer with real processes: {@code pgshmem checkpoint} moves the control file's
 * latest checkpoint and is counted in pg_stat_checkpointer; a backend's own writes reach the
 * checkpointer's fsync through the sync-request queue; WAL past max_wal_size makes the WAL ask for
 * a checkpoint; a smart or fast stop ends with a shutdown checkpoint. Timed checkpoints are not
 * tested: checkpoint_timeout is at least 30 s.
 */
class CheckpointerTest extends ClusterTestSupport
{
    private static final Duration WAIT = TestCluster.WAIT;
    private static final Pattern COMPLETE = Pattern.compile(
        "checkpoint complete: wrote (\\d+) buffers \\([0-9.]+%\\); .* sync files=(\\d+);");

    private CheckpointerStats stats()
    {
        try (Shmem shmem = Backend.inspect(cluster.dataDir()))
        {
            return CheckpointerShmem.of(shmem).stats();
        }
    }

    private long latestCheckpoint()
    {
        return ControlFile.read(cluster.dataDir()).checkpointLsn();
    }

    /** The last "checkpoint complete" line of the server log: {buffers written, files synced}. */
    private int[] lastComplete() throws Exception
    {
        final Matcher m = COMPLETE.matcher(cluster.log());
        int[] last = null;
        while (m.find())
        {
            last = new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
        }
        assertTrue(last != null, "no checkpoint complete line in\n" + cluster.log());
        return last;
    }

    @Test
    void theCheckpointCommandMovesTheLatestCheckpointAndIsCounted() throws Exception
    {
        newCluster().initdb("shared_buffers=16").start();
        final long before = latestCheckpoint();
        try (LineProcess backend = cluster.backend("writer"))
        {
            assertEquals("ok", backend.ask("write 16384 2 100 dirty in a buffer", WAIT));
        }
        final CliResult r = cluster.cli("checkpoint", "-D", dir());
        assertEquals(0, r.exitCode(), r.all() + "\n--- server log\n" + cluster.log());
        assertEquals("checkpoint complete\n", r.stdout());

        final long after = latestCheckpoint();
        assertNotEquals(before, after, "a forced checkpoint writes a new checkpoint record");
        assertTrue(cluster.cli("controldata", "-D", dir()).stdout()
            .contains("Latest checkpoint location:           " + ControlFile.formatLsn(after)));
        final CheckpointerStats s = stats();
        assertEquals(1, s.numRequested());
        assertEquals(1, s.numDone());
        assertEquals(0, s.numTimed());
        assertTrue(s.buffersWritten() >= 1, "the page written was dirty: " + s);
        assertTrue(logContains("checkpoint starting: immediate force wait"), cluster.log());
        assertTrue(lastComplete()[1] >= 1, "the checkpointer fsynced base/16384");

        final CliResult json = cluster.cli("stats", "-D", dir(), "--json");
        assertTrue(json.stdout().contains("\"checkpointer\":{\"num_timed\":0,\"num_requested\":1,\"num_done\":1,"),
            json.all());
        assertTrue(cluster.cli("stats", "-D", dir()).stdout().contains("pg_stat_checkpointer"));
    }

    @Test
    void aBackendsOwnWritesAreFsyncedByTheCheckpointerThroughTheQueue() throws Exception
    {
        newCluster().initdb("shared_buffers=16").start();
        try (LineProcess backend = cluster.backend("writer"))
        {
            assertEquals("ok", backend.ask("write 16385 0 100 written by the backend", WAIT));
            assertTrue(backend.ask("flush", WAIT).startsWith("ok "), "the backend wrote its buffers itself");
        }
        assertEquals(0, cluster.cli("checkpoint", "-D", dir()).exitCode());
        final int[] complete = lastComplete();
        assertEquals(0, complete[0], "nothing was left dirty for the checkpointer to write\n" + cluster.log());
        assertTrue(complete[1] >= 1, "yet it fsynced the file the backend wrote\n" + cluster.log());
    }

    @Test
    void aRequestWithoutWaitingIsDoneInTheBackgroundAndNoServerIsAnError() throws Exception
    {
        newCluster().initdb("shared_buffers=16").start();
        final CliResult r = cluster.cli("checkpoint", "-D", dir(), "--no-wait");
        assertEquals(0, r.exitCode(), r.all());
        assertEquals("checkpoint requested\n", r.stdout());
        TestCluster.await("the requested checkpoint", () -> stats().numDone() == 1);

        cluster.stop("fast");
        final CliResult stopped = cluster.cli("checkpoint", "-D", dir());
        assertEquals(1, stopped.exitCode(), stopped.all());
        assertTrue(stopped.stderr().contains("pgshmem: error: could not attach to the cluster in \"" + dir()
            + "\": no postmaster is running"), stopped.all());
    }

    @Test
    void walPastMaxWalSizeMakesTheWalRequestACheckpoint() throws Exception
    {
        newCluster().initdb("shared_buffers=16", "max_wal_size=2MB").start();
        final long before = latestCheckpoint();
        try (LineProcess writer = LineProcess.startJvm("wal writer", WalWriter.class.getName(),
            List.of(dir(), "40")))
        {
            assertEquals("done", writer.readLine(WAIT), writer.stderrTail());
            TestCluster.await("a checkpoint requested by WAL volume", () -> stats().numRequested() >= 1
                && stats().numDone() >= 1);
        }
        assertEquals(0, stats().numTimed());
        assertTrue(logContains("checkpoint starting: wal"), cluster.log());
        assertNotEquals(before, latestCheckpoint());
    }

    @ParameterizedTest
    @ValueSource(strings = {"smart", "fast"})
    void aStopEndsWithAShutdownCheckpoint(final String mode) throws Exception
    {
        newCluster().initdb("shared_buffers=16").start();
        final long before = latestCheckpoint();
        try (LineProcess backend = cluster.backend("writer"))
        {
            assertEquals("ok", backend.ask("write 16384 0 100 dirty at the stop", WAIT));
        }
        cluster.stop(mode);
        final ControlFile control = ControlFile.read(cluster.dataDir());
        assertEquals(DbState.SHUT_DOWN, control.state());
        assertNotEquals(before, control.checkpointLsn(), "the shutdown checkpoint has a record of its own");
        assertTrue(cluster.cli("controldata", "-D", dir()).stdout()
            .contains("Database cluster state:               shut down"));
        assertTrue(logContains("checkpoint starting: shutdown immediate"), cluster.log());
        assertTrue(lastComplete()[0] >= 1, "it wrote the dirty page");
    }

    /**
     * A backend that logs NOOP records of 4 kB until a checkpoint starts, or {@code args[1]} MB,
     * says {@code done}, and detaches at the end of its input. Once the checkpoint has started it
     * inserts nothing more and flushes only after the checkpoint ended: an inserter that writes out
     * the WAL buffers (or flushes) while the checkpoint record is being copied can wait for that
     * record under WALWriteLock while the checkpointer waits for the lock (reported to the WAL's
     * author).
     */
    public static final class WalWriter
    {
        private WalWriter()
        {
        }

        public static void main(final String[] args) throws Exception
        {
            try (Backend backend = Backend.attach(Path.of(args[0])))
            {
                final Wal wal = backend.module(Wal.class);
                final CheckpointerShmem checkpointer = backend.module(CheckpointerShmem.class);
                final long startedBefore = checkpointer.stats().started();
                final UnsafeBuffer payload = new UnsafeBuffer(new byte[4096]);
                final long records = Long.parseLong(args[1]) * 1024 * 1024 / payload.capacity();
                long end = 0;
                for (long i = 0; i < records && checkpointer.stats().started() == startedBefore; i++)
                {
                    end = wal.insert(WalRecordType.NOOP, 0, payload, 0, payload.capacity(), Wal.ANY_REDO, false);
                }
                final long started = checkpointer.stats().started();
                TestCluster.await("the checkpoint to end", () -> checkpointer.stats().done() >= started);
                wal.flush(end);
                System.out.println("done");
                System.out.flush();
                final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                while (in.readLine() != null)
                {
                    // until the test closes our input
                }
            }
        }
    }
}
