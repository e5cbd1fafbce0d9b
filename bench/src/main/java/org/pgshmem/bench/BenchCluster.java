package org.pgshmem.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.pgshmem.initdb.InitDb;
import org.pgshmem.postmaster.DataDirectory;
import org.pgshmem.postmaster.PidFile;
import org.pgshmem.postmaster.ServerControl;
import org.pgshmem.postmaster.ShutdownMode;
import org.pgshmem.util.DurableFiles;
import org.pgshmem.util.Processes;

/**
 * A real cluster for one benchmark trial: initdb in a temporary directory, then a postmaster
 * started as a child JVM (which starts the bgwriter and the checkpointer). {@link #stop()}
 * shuts it down and removes every file it made; when a clean stop fails it kills the postmaster
 * and its descendants, because a benchmark must never leave JVMs running on a shared machine.
 * A shutdown hook does the same if the benchmark JVM exits without calling {@link #stop()}.
 */
public final class BenchCluster
{
    private static final int TIMEOUT_SECONDS = 60;

    private final Path dataDir;
    private final PidFile started;
    private final Thread exitHook;
    private boolean stopped;

    private BenchCluster(final Path dataDir, final PidFile started)
    {
        this.dataDir = dataDir;
        this.started = started;
        this.exitHook = new Thread(this::stopQuietly, "pgshmem-bench-cluster-stop");
    }

    /** Creates and starts a cluster with default settings; fails with the server's messages if it does not come up. */
    public static BenchCluster start() throws IOException
    {
        return start(List.of());
    }

    /**
     * Creates a cluster whose configuration file sets {@code settings} ({@code name=value}, as
     * initdb's {@code -c}: {@code shared_buffers=16}) and starts it; fails with the server's
     * messages if it does not come up.
     */
    public static BenchCluster start(final List<String> settings) throws IOException
    {
        final Path dir = Files.createTempDirectory("pgshmem-bench-");
        final ByteArrayOutputStream messages = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(messages, true, StandardCharsets.UTF_8);
        try
        {
            InitDb.run(dir, settings, out);
            final int rc = ServerControl.start(dir, List.of(), null, TIMEOUT_SECONDS, out, out);
            final PidFile pidFile = PidFile.read(DataDirectory.of(dir).pidFile());
            if (rc != 0 || pidFile == null || !PidFile.READY.equals(pidFile.status()))
            {
                throw new IllegalStateException("could not start a cluster in \"" + dir + "\" (exit code " + rc
                    + "):\n" + messages.toString(StandardCharsets.UTF_8));
            }
            final BenchCluster cluster = new BenchCluster(dir, pidFile);
            Runtime.getRuntime().addShutdownHook(cluster.exitHook);
            return cluster;
        }
        catch (final IOException | RuntimeException ex)
        {
            // a postmaster that came up late, or half-way, must not outlive the failed trial
            try
            {
                final PidFile pidFile = PidFile.read(DataDirectory.of(dir).pidFile());
                killPostmasters(dir, pidFile);
                if (pidFile != null)
                {
                    deleteSegmentDirectory(pidFile);
                }
                DurableFiles.deleteTree(dir);
            }
            catch (final IOException | RuntimeException cleanup)
            {
                ex.addSuppressed(cleanup);
            }
            throw ex;
        }
    }

    /** The data directory. */
    public Path dataDir()
    {
        return dataDir;
    }

    /** The main segment file, as the postmaster's pid file names it. */
    public Path segmentFile()
    {
        return Path.of(started.segmentFile());
    }

    /** Fast shutdown, then kill whatever is left, then remove the data and segment directories. */
    public synchronized void stop()
    {
        if (stopped)
        {
            return;
        }
        stopped = true;
        try
        {
            Runtime.getRuntime().removeShutdownHook(exitHook);
        }
        catch (final IllegalStateException ex)
        {
            // the JVM is already exiting and this is the hook running: nothing to remove
        }
        final PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        int rc = 1;
        try
        {
            rc = ServerControl.stop(dataDir, ShutdownMode.FAST, TIMEOUT_SECONDS, quiet, System.err);
        }
        catch (final RuntimeException ex)
        {
            System.err.println("pgshmem bench: stopping the cluster in \"" + dataDir + "\" failed: " + ex);
        }
        try
        {
            if (rc != 0)
            {
                final PidFile current = PidFile.read(DataDirectory.of(dataDir).pidFile());
                killPostmasters(dataDir, current != null ? current : started);
            }
            deleteSegmentDirectory(started);
            DurableFiles.deleteTree(dataDir);
        }
        catch (final IOException | RuntimeException ex)
        {
            System.err.println("pgshmem bench: could not clean up the cluster in \"" + dataDir + "\": " + ex);
        }
    }

    private void stopQuietly()
    {
        try
        {
            stop();
        }
        catch (final RuntimeException ex)
        {
            System.err.println("pgshmem bench: " + ex);
        }
    }

    /**
     * Kills the postmaster named by {@code pidFile}, if it is still that process (the start
     * instant guards against a reused pid), and any postmaster this JVM started for
     * {@code dataDir}, found among its children by command line: that one may not have
     * written its pid file yet when a start times out.
     */
    private static void killPostmasters(final Path dataDir, final PidFile pidFile)
    {
        if (pidFile != null && Processes.isAlive(pidFile.pid(), pidFile.processStartToken()))
        {
            ProcessHandle.of(pidFile.pid()).ifPresent(BenchCluster::killTree);
        }
        final String dir = dataDir.toAbsolutePath().normalize().toString();
        ProcessHandle.current().children()
            .filter(child -> child.info().arguments().map(args -> List.of(args).contains(dir)).orElse(false))
            .forEach(BenchCluster::killTree);
    }

    /** Kills {@code root} and its descendants, descendants first so that none is reparented out of reach. */
    private static void killTree(final ProcessHandle root)
    {
        if (!root.isAlive())
        {
            return;
        }
        final List<ProcessHandle> descendants = root.descendants().toList();
        descendants.forEach(ProcessHandle::destroyForcibly);
        root.destroyForcibly();
        for (final ProcessHandle p : descendants)
        {
            awaitExit(p);
        }
        awaitExit(root);
        System.err.println("pgshmem bench: killed postmaster " + root.pid() + " and its " + descendants.size()
            + " descendants");
    }

    private static void awaitExit(final ProcessHandle process)
    {
        try
        {
            process.onExit().get(10, TimeUnit.SECONDS);
        }
        catch (final Exception ex)
        {
            System.err.println("pgshmem bench: process " + process.pid() + " did not exit: " + ex);
        }
    }

    /**
     * A postmaster that was killed leaves its segment directory (under /dev/shm by default)
     * behind; remove it, but only when it is one of ours by name.
     */
    private static void deleteSegmentDirectory(final PidFile pidFile) throws IOException
    {
        if (pidFile.segmentFile().isEmpty())
        {
            return;
        }
        final Path dir = Path.of(pidFile.segmentFile()).getParent();
        final String expected = "pgshmem." + Long.toUnsignedString(pidFile.systemIdentifier());
        if (dir != null && dir.getFileName() != null && expected.equals(dir.getFileName().toString()))
        {
            DurableFiles.deleteTree(dir);
        }
    }
}
