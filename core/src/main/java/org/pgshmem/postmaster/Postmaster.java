package org.pgshmem.postmaster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.pgshmem.control.ControlFile;
import org.pgshmem.control.DbState;
import org.pgshmem.wal.StartupXlog;
import org.pgshmem.ipc.BroadcastChannel;
import org.pgshmem.ipc.IdleStrategies;
import org.pgshmem.ipc.MessageTypes;
import org.pgshmem.ipc.Messenger;
import org.pgshmem.module.Modules;
import org.pgshmem.proc.ProcArray;
import org.pgshmem.proc.ProcInfo;
import org.pgshmem.proc.ProcKind;
import org.pgshmem.proc.ProcSlotDescriptor;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSegment;
import org.pgshmem.util.DurableFiles;
import org.pgshmem.util.Elog;
import org.pgshmem.util.PgException;
import org.pgshmem.util.Processes;

/**
 * The postmaster (PostgreSQL's postmaster.c): owns the data directory while it runs, creates
 * shared memory and initializes every module in it, starts the background writer and the
 * checkpointer as child JVMs and restarts them when they die, frees the slots of backends that
 * died, and shuts everything down on request.
 *
 * <p>Start-up order: read settings, load modules, sum their sizes, create the segment, init
 * every module, start the auxiliary processes, accept backends.
 */
public final class Postmaster
{
    /** Main class of the background writer, in the bgwriter module. */
    public static final String BGWRITER_MAIN = "org.pgshmem.bgwriter.BackgroundWriter";
    /** Main class of the checkpointer, in the checkpointer module. */
    public static final String CHECKPOINTER_MAIN = "org.pgshmem.checkpointer.Checkpointer";

    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long AUX_ATTACH_TIMEOUT_MS = 60_000;
    private static final long FAST_GRACE_MS = 5_000;
    private static final long AUX_EXIT_TIMEOUT_MS = 30_000;
    /** A child that keeps dying is restarted at most this often, so a broken one cannot flood the log. */
    private static final long AUX_RESTART_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final DataDirectory dataDir;
    private final List<String> overrides;
    private final CountDownLatch done = new CountDownLatch(1);

    private Settings settings;
    private ControlFile control;
    private PidFile pidFile;
    private Path segmentDir;
    private Shmem shmem;
    private ProcArray procArray;
    private Modules modules;
    private Messenger messenger;
    private boolean segmentDirOwned;
    private final List<AuxChild> children = new ArrayList<>();

    /** A postmaster for {@code dataDir}, with {@code -c name=value} overrides. */
    public Postmaster(final Path dataDir, final List<String> overrides)
    {
        this.dataDir = DataDirectory.of(dataDir);
        this.overrides = overrides;
    }

    /** Runs until shutdown; returns the exit code. Errors are logged as FATAL. */
    public int run()
    {
        try
        {
            startup();
            Runtime.getRuntime().addShutdownHook(new Thread(this::onSignal, "postmaster-shutdown"));
            final ShutdownMode mode = serverLoop();
            shutdown(mode);
            return 0;
        }
        catch (final PgException ex)
        {
            Elog.fatal(ex.getMessage(), ex.detail(), ex.hint());
            abandon();
            return 1;
        }
        catch (final IOException | RuntimeException ex)
        {
            Elog.fatal(ex.toString(), null, null);
            abandon();
            return 1;
        }
        finally
        {
            done.countDown();
        }
    }

    private void startup() throws IOException
    {
        dataDir.check();
        settings = Settings.load(dataDir.path(), overrides);
        control = ControlFile.read(dataDir.path());
        modules = Modules.load(settings);
        final long sysid = control.systemIdentifier();
        segmentDir = dataDir.segmentDirectory(settings, sysid);
        final Path segmentFile = segmentDir.resolve("segment");
        pidFile = PidFile.create(dataDir, segmentFile, sysid);
        refuseIfOldSegmentInUse(segmentFile);
        DurableFiles.deleteTree(segmentDir);
        Files.createDirectories(segmentDir.getParent());
        DurableFiles.createDirectory(segmentDir);
        segmentDirOwned = true;

        final long size = modules.calculateShmemSize(settings);
        shmem = Shmem.open(ShmemSegment.create(segmentFile, size, sysid), settings, dataDir.path());
        modules.shmemInit(shmem);
        procArray = modules.get(ProcArray.class);
        procArray.claimFixed(ProcKind.POSTMASTER);
        shmem.segment().postmasterHeartbeat(System.currentTimeMillis());
        messenger = new Messenger(procArray, ProcSlotDescriptor.POSTMASTER_SLOT, modules.get(BroadcastChannel.class),
            IdleStrategies.of("backoff"), () -> false, shmem.segment()::processDeaths);

        if (control.state() == DbState.SHUT_DOWN)
        {
            Elog.log("database system was shut down at " + Instant.ofEpochSecond(control.timeSeconds()));
        }
        // replays the WAL after a crash, before any other process runs (StartupXLOG)
        control = StartupXlog.run(shmem, modules, control);
        control.state(DbState.IN_PRODUCTION).write(dataDir.path());

        children.add(new AuxChild(ProcKind.BGWRITER, BGWRITER_MAIN, ProcSlotDescriptor.BGWRITER_SLOT));
        children.add(new AuxChild(ProcKind.CHECKPOINTER, CHECKPOINTER_MAIN, ProcSlotDescriptor.CHECKPOINTER_SLOT));
        for (final AuxChild child : children)
        {
            child.start();
        }
        for (final AuxChild child : children)
        {
            child.awaitAttach();
        }
        shmem.segment().postmasterState(ShmemSegment.PM_RUNNING);
        pidFile = pidFile.withStatus(dataDir.pidFile(), PidFile.READY);
        Elog.log("database system is ready to accept connections (shared memory " + size + " bytes in \""
            + segmentFile + "\")");
    }

    /**
     * A postmaster that died left its segment behind. If processes attached to it still run,
     * starting would give them a world they don't share: refuse, as PostgreSQL does.
     */
    private void refuseIfOldSegmentInUse(final Path segmentFile)
    {
        if (!Files.exists(segmentFile))
        {
            return;
        }
        final List<ProcInfo> live;
        // the segment is closed by try-with-resources; the Shmem view over it holds nothing else
        try (ShmemSegment old = ShmemSegment.attach(segmentFile, 0))
        {
            final Shmem oldShmem = Shmem.open(old, Settings.defaults(), dataDir.path());
            live = ProcArray.of(oldShmem.findStruct(ProcArray.LABEL)).liveOthers();
        }
        catch (final PgException ex)
        {
            // not a segment we can read: nobody can be using it meaningfully
            Elog.log("removing unreadable old shared memory segment \"" + segmentFile + "\": " + ex.getMessage());
            return;
        }
        if (!live.isEmpty())
        {
            final StringBuilder pids = new StringBuilder();
            for (final ProcInfo p : live)
            {
                pids.append(pids.length() == 0 ? "" : ", ").append(p.pid()).append(" (").append(p.kind().description())
                    .append(')');
            }
            throw new PgException("pre-existing shared memory block \"" + segmentFile + "\" is still in use",
                "Processes still attached to it: " + pids + ".",
                "Terminate any old server processes associated with data directory \"" + dataDir.path() + "\".");
        }
        Elog.log("removing shared memory segment \"" + segmentFile + "\" left by a postmaster that did not shut down");
    }

    /** Watches children and backends until a shutdown is requested; returns the mode. */
    private ShutdownMode serverLoop() throws IOException
    {
        final ShmemSegment segment = shmem.segment();
        final long reapEvery = TimeUnit.MILLISECONDS.toNanos(settings.getMillis("heartbeat_interval"));
        long nextReap = System.nanoTime();
        while (true)
        {
            final long now = System.currentTimeMillis();
            segment.postmasterHeartbeat(now);
            procArray.heartbeat(ProcSlotDescriptor.POSTMASTER_SLOT, now);
            messenger.poll(this::onMessage, 16);
            final ShutdownMode mode = ShutdownMode.ofRequest(segment.shutdownRequest());
            if (mode != null)
            {
                return mode;
            }
            for (final AuxChild child : children)
            {
                child.restartIfDead();
            }
            if (System.nanoTime() - nextReap >= 0)
            {
                nextReap = System.nanoTime() + reapEvery;
                reapDeadBackends();
            }
            LockSupport.parkNanos(TICK_NANOS);
        }
    }

    /** The postmaster's inbox: a shutdown request may come as a message as well as in the header word. */
    private void onMessage(final int msgTypeId, final org.agrona.MutableDirectBuffer buffer, final int offset,
        final int length)
    {
        if (msgTypeId == MessageTypes.SHUTDOWN_REQUEST && length >= Integer.BYTES)
        {
            final ShutdownMode mode = ShutdownMode.ofRequest(buffer.getInt(offset));
            if (mode != null)
            {
                shmem.segment().requestShutdown(mode.request());
            }
        }
    }

    /**
     * Frees the slots of backends that died without detaching, after every module's cleanup for
     * them (which releases what they held); returns how many backends are alive.
     */
    private int reapDeadBackends()
    {
        int live = 0;
        for (final ProcInfo p : procArray.snapshot())
        {
            if (p.kind() != ProcKind.BACKEND)
            {
                continue;
            }
            if (Processes.isAlive(p.pid(), p.startToken()))
            {
                live++;
            }
            else
            {
                shmem.segment().countProcessDeath();
                recoverHashesOf(p.slot(), p.pid());
                modules.cleanupProcess(p.slot(), p.pid());
                if (procArray.free(p.slot(), p.pid()))
                {
                    Elog.log("client backend (PID " + p.pid() + ") exited without detaching; freed slot " + p.slot());
                }
            }
        }
        return live;
    }

    /**
     * A process that died inside a Chronicle Map operation may have left a segment lock held by
     * nobody. Each such hash is quarantined at once (every process stops using it and closes it),
     * then recovered by Chronicle in a thread of its own, since the recovery waits for every
     * process to let go of the file; the server loop goes on meanwhile.
     */
    private void recoverHashesOf(final int slot, final long pid)
    {
        final List<Integer> marked = procArray.hashOperationsInFlight(slot);
        if (marked.isEmpty())
        {
            return;
        }
        final List<Integer> entries = marked.contains(ProcSlotDescriptor.ANY_HASH)
            ? shmem.hashEntries() : marked.stream().map(e -> e - 1).toList();
        for (final int entry : entries)
        {
            final String label = shmem.quarantineHash(entry);
            if (label == null)
            {
                continue;
            }
            Elog.log("process " + pid + " died inside an operation on hash table \"" + label
                + "\"; recovering it");
            final Thread worker = new Thread(() ->
            {
                final long start = System.nanoTime();
                try
                {
                    final long count = shmem.recoverHash(entry);
                    Elog.log("hash table \"" + label + "\" recovered in "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms (" + count + " entries)");
                }
                catch (final IOException | RuntimeException ex)
                {
                    Elog.warning("could not recover hash table \"" + label + "\": " + ex
                        + "; its users will see lock timeouts until the cluster is restarted");
                    shmem.abandonHashRecovery(entry);
                }
            }, "hash-recovery " + label);
            worker.setDaemon(true);
            worker.start();
        }
    }

    private void shutdown(final ShutdownMode mode) throws IOException
    {
        final ShmemSegment segment = shmem.segment();
        Elog.log("received " + mode.word() + " shutdown request");
        segment.postmasterState(ShmemSegment.PM_STOPPING);
        final org.agrona.concurrent.UnsafeBuffer notice = new org.agrona.concurrent.UnsafeBuffer(new byte[Integer.BYTES]);
        notice.putInt(0, mode.request());
        messenger.broadcast(MessageTypes.SHUTDOWN_NOTICE, notice, 0, Integer.BYTES);
        pidFile = pidFile.withStatus(dataDir.pidFile(), PidFile.STOPPING);
        if (mode == ShutdownMode.IMMEDIATE)
        {
            for (final AuxChild child : children)
            {
                child.kill();
            }
            final boolean inUse = reapDeadBackends() > 0;
            Elog.log("database system is shut down (immediate: the next start will find it crashed)");
            release(!inUse);
            return;
        }
        if (mode == ShutdownMode.FAST)
        {
            Elog.log("asking attached backends to detach");
        }
        final long graceEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FAST_GRACE_MS);
        while (reapDeadBackends() > 0)
        {
            final ShutdownMode now = ShutdownMode.ofRequest(segment.shutdownRequest());
            if (now == ShutdownMode.IMMEDIATE)
            {
                shutdown(now);
                return;
            }
            if (now == ShutdownMode.FAST && System.nanoTime() - graceEnd > 0)
            {
                Elog.warning("backends still attached after " + FAST_GRACE_MS + " ms: "
                    + procArray.liveOthers().stream().filter(p -> p.kind() == ProcKind.BACKEND)
                    .map(p -> Long.toString(p.pid())).toList() + "; shutting down without them");
                break;
            }
            segment.postmasterHeartbeat(System.currentTimeMillis());
            procArray.heartbeat(ProcSlotDescriptor.POSTMASTER_SLOT, System.currentTimeMillis());
            LockSupport.parkNanos(TICK_NANOS);
        }
        segment.postmasterState(ShmemSegment.PM_STOP_AUXILIARY);
        boolean clean = true;
        for (final AuxChild child : children)
        {
            clean &= child.awaitExit();
        }
        if (!clean)
        {
            // the checkpointer's shutdown write of the dirty buffers may not have happened: this
            // is not a clean shutdown, and the control file must not say it was
            Elog.warning("shutdown was not clean: dirty shared buffers may not have been written");
            Elog.log("database system is shut down (not cleanly: the next start will find it crashed)");
            release(true);
            return;
        }
        // the checkpointer's shutdown checkpoint marked the control file; if it did not, the next start recovers
        control = ControlFile.read(dataDir.path());
        if (control.state() != DbState.SHUT_DOWN)
        {
            Elog.warning("the shutdown checkpoint did not complete: the next start will replay the WAL");
        }
        Elog.log("database system is shut down");
        release(true);
    }

    /** Gives up the lock file and, when nobody else uses it, the segment. */
    private void release(final boolean removeSegment) throws IOException
    {
        procArray.release(ProcSlotDescriptor.POSTMASTER_SLOT);
        shmem.close();
        if (removeSegment)
        {
            DurableFiles.deleteTree(segmentDir);
        }
        Files.deleteIfExists(dataDir.pidFile());
    }

    /** After a failed start: stop children, drop what this process made. */
    private void abandon()
    {
        for (final AuxChild child : children)
        {
            child.kill();
        }
        try
        {
            if (shmem != null)
            {
                shmem.close();
            }
            if (segmentDirOwned)
            {
                DurableFiles.deleteTree(segmentDir);
            }
            if (pidFile != null && pidFile.pid() == Processes.selfPid())
            {
                Files.deleteIfExists(dataDir.pidFile());
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            Elog.warning("could not clean up after failed start: " + ex);
        }
    }

    /** SIGTERM or SIGINT: a fast shutdown, completed before the JVM exits. */
    private void onSignal()
    {
        if (done.getCount() == 0)
        {
            return;
        }
        try
        {
            final Shmem s = shmem;
            if (s != null)
            {
                s.segment().requestShutdown(ShutdownMode.FAST.request());
            }
            done.await(AUX_EXIT_TIMEOUT_MS + FAST_GRACE_MS + 5_000, TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException | RuntimeException ignored)
        {
            // the JVM is exiting either way
        }
    }

    /** One auxiliary child JVM and its restarts. */
    private final class AuxChild
    {
        private final ProcKind kind;
        private final String mainClass;
        private final int slot;
        private Process process;
        private long startedAt;
        private boolean deathLogged;

        AuxChild(final ProcKind kind, final String mainClass, final int slot)
        {
            this.kind = kind;
            this.mainClass = mainClass;
            this.slot = slot;
        }

        void start() throws IOException
        {
            final ProcessBuilder pb = new ProcessBuilder(ChildJvm.command(
                List.of("-XX:+UseSerialGC", "-Xmx64m", "-XX:TieredStopAtLevel=1"),
                mainClass, List.of("-D", dataDir.path().toString())));
            pb.redirectErrorStream(true);
            pb.redirectOutput(ProcessBuilder.Redirect.INHERIT);
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            process = pb.start();
            startedAt = System.nanoTime();
            deathLogged = false;
            Elog.log("started " + kind.description() + " process (PID " + process.pid() + ")");
        }

        void awaitAttach()
        {
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AUX_ATTACH_TIMEOUT_MS);
            while (procArray.pid(slot) != process.pid())
            {
                if (!process.isAlive())
                {
                    throw new PgException(kind.description() + " process (PID " + process.pid()
                        + ") exited with exit code " + process.exitValue() + " during start-up",
                        null, "See its messages above; is the " + kind.description() + " module on the class path?");
                }
                if (System.nanoTime() - deadline > 0)
                {
                    throw new PgException(kind.description() + " process (PID " + process.pid()
                        + ") did not attach within " + AUX_ATTACH_TIMEOUT_MS + " ms");
                }
                LockSupport.parkNanos(TICK_NANOS);
            }
        }

        void restartIfDead() throws IOException
        {
            if (process.isAlive())
            {
                return;
            }
            if (!deathLogged)
            {
                final int code = process.exitValue();
                Elog.log(kind.description() + " process (PID " + process.pid() + ") "
                    + (code > 128 ? "was terminated by signal " + (code - 128) : "exited with exit code " + code));
                shmem.segment().countProcessDeath();
                if (procArray.pid(slot) == process.pid())
                {
                    recoverHashesOf(slot, process.pid());
                }
                modules.cleanupProcess(slot, process.pid());
                procArray.free(slot, process.pid());
                deathLogged = true;
            }
            if (System.nanoTime() - startedAt < AUX_RESTART_INTERVAL_NANOS)
            {
                return;
            }
            Elog.log("restarting " + kind.description());
            start();
        }

        /** Waits for the process to exit at shutdown; false when it failed or had to be killed. */
        boolean awaitExit()
        {
            boolean clean = false;
            try
            {
                if (!process.waitFor(AUX_EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS))
                {
                    Elog.warning(kind.description() + " process (PID " + process.pid() + ") did not exit; killing it");
                    kill();
                }
                else if (process.exitValue() != 0)
                {
                    Elog.warning(kind.description() + " process (PID " + process.pid() + ") exited with exit code "
                        + process.exitValue() + " during shutdown");
                }
                else
                {
                    clean = true;
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                kill();
            }
            procArray.free(slot, process.pid());
            return clean;
        }

        void kill()
        {
            if (process != null && process.isAlive())
            {
                process.destroyForcibly();
                try
                {
                    process.waitFor(10, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
