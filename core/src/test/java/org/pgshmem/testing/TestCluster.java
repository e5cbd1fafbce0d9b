package org.pgshmem.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.pgshmem.cli.LineProcess;
import org.pgshmem.cli.PgShmemCli;
import org.pgshmem.control.ControlFile;
import org.pgshmem.postmaster.ChildJvm;
import org.pgshmem.postmaster.PidFile;
import org.pgshmem.util.DurableFiles;

/**
 * A cluster for one test: runs the real {@code pgshmem} CLI as child JVMs against a data
 * directory of the test's own, and on {@link #close()} kills every process it or the cluster
 * started (postmaster, its children, backends), whatever state the test left, and removes the
 * segment directory under /dev/shm.
 */
public final class TestCluster implements AutoCloseable
{
    /** Upper bound of any single wait; a hang fails the test instead of stalling the suite. */
    public static final Duration WAIT = Duration.ofSeconds(60);

    private final Path dataDir;
    private final List<LineProcess> backends = new ArrayList<>();
    private final List<Long> seenPids = new ArrayList<>();

    /** A cluster whose data directory will be {@code dataDir} (created by {@link #initdb}). */
    public TestCluster(final Path dataDir)
    {
        this.dataDir = dataDir.toAbsolutePath().normalize();
    }

    /** The data directory. */
    public Path dataDir()
    {
        return dataDir;
    }

    /** Runs {@code pgshmem args...} as a child JVM and waits up to {@link #WAIT} for it. */
    public CliResult cli(final String... args) throws IOException, InterruptedException
    {
        return cliWithJvmFlags(List.of(), args);
    }

    /** {@link #cli} with extra JVM flags for the child (e.g. -verbose:class). */
    public CliResult cliWithJvmFlags(final List<String> jvmFlags, final String... args)
        throws IOException, InterruptedException
    {
        final Path out = Files.createTempFile("pgshmem-cli", ".out");
        final Path err = Files.createTempFile("pgshmem-cli", ".err");
        try
        {
            final List<String> flags = new ArrayList<>(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
            flags.addAll(jvmFlags);
            final ProcessBuilder pb = new ProcessBuilder(ChildJvm.command(flags, PgShmemCli.class.getName(),
                Arrays.asList(args)));
            pb.redirectOutput(out.toFile());
            pb.redirectError(err.toFile());
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            final Process p = pb.start();
            if (!p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS))
            {
                p.destroyForcibly();
                throw new AssertionError("pgshmem " + String.join(" ", args) + " did not finish within " + WAIT
                    + "\n" + Files.readString(out) + Files.readString(err));
            }
            return new CliResult(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        }
        finally
        {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** {@code pgshmem initdb -D dir -c ...}; asserts success. */
    public TestCluster initdb(final String... settings) throws IOException, InterruptedException
    {
        final CliResult r = cli(withSettings(new ArrayList<>(List.of("initdb", "-D", dataDir.toString())), settings));
        assertEquals(0, r.exitCode(), r.all());
        return this;
    }

    /** {@code pgshmem start -D dir -c ...}, without asserting. */
    public CliResult tryStart(final String... settings) throws IOException, InterruptedException
    {
        final CliResult r = cli(withSettings(new ArrayList<>(List.of("start", "-D", dataDir.toString())), settings));
        final PidFile pf = PidFile.read(dataDir.resolve("postmaster.pid"));
        if (pf != null)
        {
            rememberPostmaster(pf.pid());
        }
        return r;
    }

    /** {@code pgshmem start}; asserts success. */
    public TestCluster start(final String... settings) throws IOException, InterruptedException
    {
        final CliResult r = tryStart(settings);
        assertEquals(0, r.exitCode(), r.all() + "\n--- server log\n" + log());
        return this;
    }

    /** {@code pgshmem stop -m mode}; asserts success. */
    public void stop(final String mode) throws IOException, InterruptedException
    {
        final CliResult r = cli("stop", "-D", dataDir.toString(), "-m", mode);
        assertEquals(0, r.exitCode(), r.all() + "\n--- server log\n" + log());
    }

    private static String[] withSettings(final List<String> args, final String... settings)
    {
        for (final String s : settings)
        {
            args.add("-c");
            args.add(s);
        }
        return args.toArray(new String[0]);
    }

    /** The pid of the running postmaster, from postmaster.pid. */
    public long postmasterPid()
    {
        final PidFile pf = PidFile.read(dataDir.resolve("postmaster.pid"));
        assertTrue(pf != null, "no postmaster.pid in " + dataDir);
        return pf.pid();
    }

    private void rememberPostmaster(final long pid)
    {
        seenPids.add(pid);
        ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> seenPids.add(d.pid())));
    }

    /** Starts {@code pgshmem backend -D dir} and waits for its {@code ok pid=} line. */
    public LineProcess backend(final String name) throws IOException, InterruptedException
    {
        final LineProcess p = LineProcess.startBackend(name, dataDir);
        backends.add(p);
        final String first = p.readLine(WAIT);
        assertTrue(first.equals("ok pid=" + p.pid()), name + " said: " + first + "\n" + p.stderrTail());
        return p;
    }

    /** Starts a backend that is expected to fail; returns its first line. */
    public String failingBackend(final String name) throws IOException, InterruptedException
    {
        final LineProcess p = LineProcess.startBackend(name, dataDir);
        backends.add(p);
        return p.readLine(WAIT);
    }

    /** The server log so far. */
    public String log() throws IOException
    {
        final Path log = dataDir.resolve("log/postmaster.log");
        return Files.exists(log) ? Files.readString(log) : "(no log)";
    }

    /** Maps the running cluster's segment (no slot taken) and returns the pid in proc-array slot {@code slot}. */
    public long slotPid(final int slot)
    {
        try (org.pgshmem.shmem.Shmem shmem = org.pgshmem.backend.Backend.inspect(dataDir))
        {
            return org.pgshmem.proc.ProcArray.of(shmem.findStruct(org.pgshmem.proc.ProcArray.LABEL)).pid(slot);
        }
    }

    /** The control file's system identifier. */
    public long systemIdentifier()
    {
        return ControlFile.read(dataDir).systemIdentifier();
    }

    /** Waits until {@code condition} holds, polling; fails with {@code what} after {@link #WAIT}. */
    public static void await(final String what, final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("timed out after " + WAIT + " waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Kills every process of this cluster and removes its segment directory. */
    @Override
    public void close() throws IOException
    {
        for (final LineProcess b : backends)
        {
            b.close();
        }
        final PidFile pf = PidFile.read(dataDir.resolve("postmaster.pid"));
        if (pf != null)
        {
            rememberPostmaster(pf.pid());
        }
        // anything still running with this data directory on its command line is ours
        ProcessHandle.allProcesses()
            .filter(p -> p.info().arguments().map(a -> Arrays.asList(a).contains(dataDir.toString())).orElse(false))
            .forEach(p -> seenPids.add(p.pid()));
        for (final long pid : seenPids)
        {
            ProcessHandle.of(pid).ifPresent(h ->
            {
                h.descendants().forEach(ProcessHandle::destroyForcibly);
                h.destroyForcibly();
                h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> h).join();
            });
        }
        if (Files.exists(dataDir.resolve(ControlFile.PATH)))
        {
            try
            {
                DurableFiles.deleteTree(Path.of("/dev/shm/pgshmem." + Long.toUnsignedString(systemIdentifier())));
            }
            catch (final RuntimeException ignored)
            {
                // a test that damaged the control file: nothing was created under /dev/shm by it
            }
        }
    }
}
