package org.pgshmem.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pgshmem.backend.Backend;
import org.pgshmem.control.ControlFile;
import org.pgshmem.control.DbState;
import org.pgshmem.proc.ProcSlotDescriptor;
import org.pgshmem.util.PgException;
import org.pgshmem.testing.CliResult;

/** initdb, start, status, controldata, shmem, stop, and the starts that must be refused. */
class ClusterLifecycleTest extends ClusterTestSupport
{
    @BeforeEach
    void makeCluster() throws Exception
    {
        newCluster().initdb();
    }

    @Test
    void startStatusControldataShmemStop() throws Exception
    {
        assertEquals(3, cluster.cli("status", "-D", dir()).exitCode(), "not running before start");
        assertTrue(cluster.cli("controldata", "-D", dir()).stdout().contains("Database cluster state:               shut down"));

        cluster.start();
        final CliResult status = cluster.cli("status", "-D", dir());
        assertEquals(0, status.exitCode(), status.all());
        assertTrue(status.stdout().startsWith("pgshmem: server is running (PID: " + cluster.postmasterPid() + ")"),
            status.all());
        assertTrue(cluster.cli("controldata", "-D", dir()).stdout().contains("in production"));

        final CliResult shmem = cluster.cli("shmem", "-D", dir());
        assertEquals(0, shmem.exitCode(), shmem.all());
        assertTrue(shmem.stdout().contains(" Runtime Settings ") && shmem.stdout().contains(" Proc Array ")
            && shmem.stdout().contains("(unused)"), shmem.stdout());
        final CliResult json = cluster.cli("shmem", "-D", dir(), "--json");
        assertTrue(json.stdout().startsWith("{\"segment\":") && json.stdout().contains("\"name\":\"Proc Array\""),
            json.stdout());
        final Path segmentDir = Path.of("/dev/shm/pgshmem." + Long.toUnsignedString(cluster.systemIdentifier()));
        assertTrue(Files.exists(segmentDir.resolve("segment")));

        cluster.stop("fast");
        assertEquals(3, cluster.cli("status", "-D", dir()).exitCode());
        assertTrue(cluster.cli("controldata", "-D", dir()).stdout().contains("shut down"));
        assertFalse(Files.exists(cluster.dataDir().resolve("postmaster.pid")));
        assertFalse(Files.exists(segmentDir), "the segment is removed on a clean stop");
        assertTrue(cluster.log().contains("database system is shut down"), cluster.log());
    }

    @Test
    void aSecondPostmasterIsRefused() throws Exception
    {
        cluster.start();
        final long first = cluster.postmasterPid();
        final CliResult second = cluster.tryStart();
        assertEquals(1, second.exitCode(), second.all());
        assertTrue(second.stderr().contains("lock file \"" + cluster.dataDir().resolve("postmaster.pid")
            + "\" already exists"), second.all());
        assertTrue(second.stderr().contains("Is another postmaster (PID " + first + ") running in data directory"),
            second.all());
        assertEquals(first, cluster.postmasterPid(), "the first postmaster keeps its lock file");
        assertEquals(0, cluster.cli("status", "-D", dir()).exitCode());
    }

    @Test
    void aStalePidFileFromADeadPostmasterIsRemoved() throws Exception
    {
        final Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Files.writeString(cluster.dataDir().resolve("postmaster.pid"), gone.pid() + "\n" + dir()
            + "\n0\n0\n/dev/shm/nowhere/segment\n1\nready\n");
        cluster.start();
        assertTrue(cluster.log().contains("removing stale lock file"), cluster.log());
        assertEquals(0, cluster.cli("status", "-D", dir()).exitCode());
    }

    @Test
    void aDataDirectoryReadableByGroupOrOthersIsRefused() throws Exception
    {
        for (final String mode : List.of("rwxr-x---", "rwx---r--"))
        {
            Files.setPosixFilePermissions(cluster.dataDir(), PosixFilePermissions.fromString(mode));
            final CliResult r = cluster.tryStart();
            assertEquals(1, r.exitCode(), r.all());
            assertTrue(r.stderr().contains("data directory \"" + dir() + "\" has invalid permissions"), r.all());
            assertTrue(r.stderr().contains("Permissions should be u=rwx (0700)."), r.all());
            assertFalse(Files.exists(cluster.dataDir().resolve("postmaster.pid")));
        }
    }

    @Test
    void aControlFileWithAFlippedByteIsRefusedWithACrcError() throws Exception
    {
        final Path control = cluster.dataDir().resolve(ControlFile.PATH);
        final byte[] bytes = Files.readAllBytes(control);
        bytes[20] ^= 0x40;
        Files.write(control, bytes);
        final CliResult r = cluster.tryStart();
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.stderr().contains("incorrect checksum in control file"), r.all());
        assertFalse(Files.exists(cluster.dataDir().resolve("postmaster.pid")), "no lock file left behind");
        assertEquals(1, cluster.cli("controldata", "-D", dir()).exitCode());
    }

    @Test
    void badSettingsOnStartAreRefusedNamingThem() throws Exception
    {
        final CliResult small = cluster.tryStart("shared_buffers=64kB");
        assertEquals(1, small.exitCode(), small.all());
        assertTrue(small.stderr().contains("64kB is outside the valid range for parameter \"shared_buffers\""), small.all());
        final CliResult unknown = cluster.tryStart("shared_bufers=1MB");
        assertEquals(1, unknown.exitCode());
        assertTrue(unknown.stderr().contains("unrecognized configuration parameter \"shared_bufers\""), unknown.all());
    }

    @Test
    void backendsAreRefusedWhenNoPostmasterRunsOrTheSegmentIsAnotherClusters() throws Exception
    {
        final PgException none = assertThrows(PgException.class, () -> Backend.attach(cluster.dataDir()));
        assertTrue(none.getMessage().endsWith("no postmaster is running"), none.getMessage());
        assertEquals("Start the server with \"pgshmem start -D " + dir() + "\".", none.hint());

        cluster.start();
        try (Backend ok = Backend.attach(cluster.dataDir()))
        {
            assertTrue(ok.slot() >= ProcSlotDescriptor.FIRST_BACKEND_SLOT);
        }
        // the control file now names another cluster: the segment must not be trusted
        final Path control = cluster.dataDir().resolve(ControlFile.PATH);
        final byte[] original = Files.readAllBytes(control);
        new ControlFile(ControlFile.newSystemIdentifier() + 1, DbState.IN_PRODUCTION).write(cluster.dataDir());
        try
        {
            final PgException foreign = assertThrows(PgException.class, () -> Backend.attach(cluster.dataDir()));
            assertTrue(foreign.getMessage().contains("does not match the control file"), foreign.getMessage());
        }
        finally
        {
            // the clean-up finds the segment directory by the real system identifier
            Files.write(control, original);
        }
    }

    @Test
    void initdbRefusesANonEmptyDirectoryFromTheCommandLine() throws Exception
    {
        final CliResult r = cluster.cli("initdb", "-D", dir());
        assertEquals(1, r.exitCode());
        assertTrue(r.stderr().contains("pgshmem: error: directory \"" + dir() + "\" exists but is not empty"), r.all());
        assertTrue(r.stderr().contains("pgshmem: hint: If you want to create a new database system"), r.all());
    }

    @Test
    void opsCommandsDoNotLoadChronicleMap() throws Exception
    {
        cluster.start();
        for (final List<String> args : List.of(List.of("status"), List.of("shmem"), List.of("controldata"),
            List.of("stop")))
        {
            final String[] argv = Stream.concat(args.stream(), Stream.of("-D", dir())).toArray(String[]::new);
            final CliResult r = cluster.cliWithJvmFlags(List.of("-verbose:class"), argv);
            assertEquals(0, r.exitCode(), r.all());
            assertTrue(r.stdout().contains("org.pgshmem.cli.PgShmemCli"), "class loading is logged");
            assertFalse(r.stdout().contains("net.openhft.chronicle.map"), args + " loaded Chronicle Map");
        }
    }
}
