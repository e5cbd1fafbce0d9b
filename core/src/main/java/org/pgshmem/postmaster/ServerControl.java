package org.pgshmem.postmaster;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.util.DurableFiles;
import org.pgshmem.util.PgException;

/**
 * pg_ctl: starts a postmaster in the background and waits until it is ready, stops one, and
 * tells whether one runs. Exit codes as pg_ctl's: 0 done, 1 failed, 3 (status) not running,
 * 4 (status) no such data directory.
 */
public final class ServerControl
{
    /** Main class the background postmaster runs (the CLI, with {@code start --foreground}). */
    public static final String CLI_MAIN = "org.pgshmem.cli.PgShmemCli";

    private ServerControl()
    {
    }

    /**
     * Starts a postmaster as a child JVM that outlives this one, sending its log to {@code logFile}
     * (default DATA/log/postmaster.log), and waits up to {@code timeoutSeconds} for it to be ready.
     */
    public static int start(final Path dataDir, final List<String> overrides, final Path logFile,
        final int timeoutSeconds, final PrintStream out, final PrintStream err) throws IOException
    {
        final DataDirectory dd = DataDirectory.of(dataDir);
        dd.check();
        final PidFile existing = PidFile.read(dd.pidFile());
        if (existing != null && existing.postmasterAlive())
        {
            err.println("pgshmem: another server might be running; trying to start server anyway");
        }
        final Path log = logFile != null ? logFile.toAbsolutePath() : dd.logFile();
        if (!Files.isDirectory(log.getParent()))
        {
            DurableFiles.createDirectory(log.getParent());
        }
        if (!Files.exists(log))
        {
            Files.createFile(log, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(DurableFiles.FILE_MODE));
        }
        final long logStart = Files.size(log);
        final List<String> args = new ArrayList<>(List.of("start", "--foreground", "-D", dd.path().toString()));
        for (final String o : overrides)
        {
            args.add("-c");
            args.add(o);
        }
        final ProcessBuilder pb = new ProcessBuilder(ChildJvm.command(List.of("-XX:+UseSerialGC", "-Xmx256m"),
            CLI_MAIN, args));
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        final Process postmaster = pb.start();

        out.print("waiting for server to start...");
        out.flush();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true)
        {
            final PidFile pf = PidFile.read(dd.pidFile());
            if (pf != null && pf.pid() == postmaster.pid() && PidFile.READY.equals(pf.status()))
            {
                out.println(" done");
                out.println("server started");
                return 0;
            }
            if (!postmaster.isAlive())
            {
                out.println(" stopped waiting");
                err.println("pgshmem: error: could not start server");
                err.println("pgshmem: hint: Examine the log output (" + log + "):");
                for (final String line : readFrom(log, logStart))
                {
                    err.println("    " + line);
                }
                return 1;
            }
            if (System.nanoTime() - deadline > 0)
            {
                out.println(" stopped waiting");
                err.println("pgshmem: error: server did not start in time (" + timeoutSeconds + " s); it may still"
                    + " be starting: see " + log);
                return 1;
            }
            sleep(20);
        }
    }

    private static List<String> readFrom(final Path log, final long offset) throws IOException
    {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r"))
        {
            f.seek(offset);
            final byte[] bytes = new byte[(int)Math.min(64 * 1024, f.length() - offset)];
            f.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8).lines().toList();
        }
    }

    /** Asks the postmaster to shut down in {@code mode} and waits up to {@code timeoutSeconds} for it to exit. */
    public static int stop(final Path dataDir, final ShutdownMode mode, final int timeoutSeconds,
        final PrintStream out, final PrintStream err)
    {
        final DataDirectory dd = DataDirectory.of(dataDir);
        final PidFile pf = PidFile.read(dd.pidFile());
        if (pf == null)
        {
            err.println("pgshmem: error: PID file \"" + dd.pidFile() + "\" does not exist");
            err.println("pgshmem: hint: Is server running?");
            return 1;
        }
        final Optional<ProcessHandle> handle = ProcessHandle.of(pf.pid());
        if (handle.isEmpty() || !pf.postmasterAlive())
        {
            err.println("pgshmem: error: could not send stop signal (PID: " + pf.pid() + "): No such process");
            err.println("pgshmem: hint: The postmaster is gone; \"pgshmem start\" will clean up after it.");
            return 1;
        }
        if (!requestShutdown(pf, mode))
        {
            // no segment yet (still starting): SIGTERM, which the postmaster takes as a fast shutdown
            handle.get().destroy();
        }
        out.print("waiting for server to shut down...");
        out.flush();
        try
        {
            handle.get().onExit().get(timeoutSeconds, TimeUnit.SECONDS);
            out.println(" done");
            out.println("server stopped");
            return 0;
        }
        catch (final java.util.concurrent.TimeoutException ex)
        {
            out.println(" failed");
            err.println("pgshmem: error: server does not shut down");
            if (mode == ShutdownMode.SMART)
            {
                err.println("pgshmem: hint: Backends are still attached: a smart shutdown waits for them."
                    + " Use -m fast to ask them to detach.");
            }
            return 1;
        }
        catch (final Exception ex)
        {
            err.println("pgshmem: error: waiting for the server failed: " + ex);
            return 1;
        }
    }

    private static boolean requestShutdown(final PidFile pf, final ShutdownMode mode)
    {
        try (ShmemSegment segment = ShmemSegment.attach(Path.of(pf.segmentFile()), 1_000))
        {
            if (segment.creatorPid() != pf.pid())
            {
                return false;
            }
            segment.requestShutdown(mode.request());
            return true;
        }
        catch (final PgException ex)
        {
            return false;
        }
    }

    /** pg_ctl status: prints what runs; returns 0 running, 3 not running, 4 no data directory. */
    public static int status(final Path dataDir, final PrintStream out, final PrintStream err)
    {
        final DataDirectory dd = DataDirectory.of(dataDir);
        if (!Files.isDirectory(dd.path()))
        {
            err.println("pgshmem: error: directory \"" + dd.path() + "\" does not exist");
            return 4;
        }
        final PidFile pf = PidFile.read(dd.pidFile());
        if (pf == null || !pf.postmasterAlive())
        {
            out.println("pgshmem: no server running");
            return 3;
        }
        out.println("pgshmem: server is running (PID: " + pf.pid() + ")");
        out.println("status: " + pf.status());
        out.println("data directory: " + pf.dataDirectory());
        out.println("shared memory segment: " + pf.segmentFile());
        return 0;
    }

    private static void sleep(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new PgException("interrupted");
        }
    }
}
