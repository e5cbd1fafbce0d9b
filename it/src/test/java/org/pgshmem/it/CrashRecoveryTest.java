package org.pgshmem.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgshmem.buffer.Page;
import org.pgshmem.buffer.PageHeaderDescriptor;
import org.pgshmem.cli.LineProcess;
import org.pgshmem.control.ControlFile;
import org.pgshmem.proc.ProcSlotDescriptor;
import org.pgshmem.testing.CliResult;
import org.pgshmem.testing.TestCluster;
import org.pgshmem.util.Processes;
import org.pgshmem.wal.WalSegments;

/**
 * Crash recovery with real processes (issue 6). The harness: three writer backends commit
 * numbered transactions, each writing one slot in relation 100 and the same slot in relation
 * 200 (two pages, one commit), every fifth rolled back; at a random moment one process of the
 * cluster is killed with SIGKILL — a writer, the background writer, the checkpointer or the
 * postmaster — and every round ends in a crash recovery. After it the relation files must hold
 * every acknowledged commit, no rolled-back or never-committed change, the commit in flight
 * wholly or not at all, and pages whose checksums verify. Then damaged WAL and control files:
 * a torn or truncated tail ends redo, damage in the middle stops the start and leaves the data
 * directory as it was, a flipped byte in the control file is refused.
 *
 * <p>{@code -Dcrash.rounds=N} and {@code -Dcrash.seed=S} set the rounds and the seed;
 * {@code bench/crash-soak} runs many rounds. docs/CRASH_TESTING.md describes the harness.
 */
class CrashRecoveryTest extends ClusterTestSupport
{
    private static final Duration WAIT = TestCluster.WAIT;

    /** Small buffers so that pages are evicted by backends and cleaned by the background writer. */
    private static final String[] SETTINGS = {"shared_buffers=256kB", "bgwriter_delay=10ms", "max_wal_size=2MB",
        "checkpoint_timeout=30s"};

    private static final int WRITERS = 3;
    private static final int REL_A = 100;
    private static final int REL_B = 200;
    private static final int PAGE = PageHeaderDescriptor.PAGE_SIZE;
    private static final int FIRST_SLOT = PageHeaderDescriptor.HEADER_LENGTH;
    private static final int SLOT = 8;
    private static final int SLOTS_PER_PAGE = 1000;
    /** Consecutive slots go to this many different blocks, so that a round touches many pages. */
    private static final int SPREAD = 64;
    /** A writer must commit this many transactions before the kill, and the survivors as many after one. */
    private static final int PROGRESS = 3;

    private static final int WAL_PAGE = org.pgshmem.wal.WalPageHeaderDescriptor.PAGE_SIZE;
    private static final Pattern LSN = Pattern.compile("([0-9A-F]+)/([0-9A-F]+)");
    private static final Pattern REDO_DONE = Pattern.compile("redo done at [^\\n]*");

    // ------------------------------------------------------------------------------------------
    // the harness
    // ------------------------------------------------------------------------------------------

    @Test
    @Timeout(600)
    void everyAcknowledgedCommitSurvivesAKill9OfAnyProcessAndNoAbortedOrHalfTransactionAppears() throws Exception
    {
        final long seed = Long.getLong("crash.seed", System.nanoTime());
        final int rounds = Integer.getInteger("crash.rounds", 3);
        System.out.println("crash harness: seed " + seed + ", " + rounds + " round(s); -Dcrash.seed=" + seed
            + " repeats the choices");
        final Random random = new Random(seed);
        newCluster().initdb(SETTINGS);
        final Ledger[] ledgers = new Ledger[WRITERS];
        for (int w = 0; w < WRITERS; w++)
        {
            ledgers[w] = new Ledger();
        }
        final long[] victims = new long[Victim.values().length];
        for (int round = 1; round <= rounds; round++)
        {
            try
            {
                final Victim victim = runRound(seed, round, random, ledgers);
                victims[victim.ordinal()]++;
            }
            catch (final Throwable failure)
            {
                keepForInspection(seed, round, ledgers, failure);
                throw failure;
            }
        }
        final StringBuilder tally = new StringBuilder();
        for (final Victim v : Victim.values())
        {
            tally.append(' ').append(v.name).append('=').append(victims[v.ordinal()]);
        }
        long committed = 0;
        for (final Ledger l : ledgers)
        {
            committed += l.count(Ledger.COMMITTED);
        }
        System.out.println("crash harness: seed " + seed + ", " + rounds + " round(s) passed, " + committed
            + " transactions committed; victims:" + tally);
    }

    /** The process a round kills. */
    private enum Victim
    {
        WRITER_0("writer 0", "writer"), WRITER_1("writer 1", "writer"), WRITER_2("writer 2", "writer"),
        BGWRITER("background writer", "bgwriter"), CHECKPOINTER("checkpointer", "checkpointer"),
        POSTMASTER("postmaster", "postmaster");

        final String name;
        final String kind;

        Victim(final String name, final String kind)
        {
            this.name = name;
            this.kind = kind;
        }
    }

    /**
     * The victims a round draws from: all, or those {@code -Dcrash.victims} names (a comma list of
     * writer, bgwriter, checkpointer, postmaster), for a soak aimed at one path.
     */
    private static List<Victim> victimsToChoose()
    {
        final String wanted = System.getProperty("crash.victims", "");
        if (wanted.isBlank())
        {
            return List.of(Victim.values());
        }
        final List<String> kinds = List.of(wanted.split("\\s*,\\s*"));
        final List<Victim> chosen = java.util.Arrays.stream(Victim.values()).filter(v -> kinds.contains(v.kind)).toList();
        assertFalse(chosen.isEmpty(), "-Dcrash.victims=" + wanted + " names none of writer, bgwriter, checkpointer,"
            + " postmaster");
        return chosen;
    }

    /** The processes of the round's cluster before the kill, for a failure's thread dumps. */
    private final Map<String, Long> clusterPids = new TreeMap<>();

    /** One round: start, write, kill, crash, recover, check online and offline; returns the victim. */
    private Victim runRound(final long seed, final int round, final Random random, final Ledger[] ledgers)
        throws Exception
    {
        final List<Victim> victims = victimsToChoose();
        final Victim victim = victims.get(random.nextInt(victims.size()));
        final long delayMs = 100 + random.nextInt(2900);
        // online checkpoints (pgshmem checkpoint, PostgreSQL's CHECKPOINT) requested at random
        // moments of the delay: the crash may come during one, and recovery starts at its redo point
        final long[] checkpointsAt = new long[random.nextInt(3)];
        for (int i = 0; i < checkpointsAt.length; i++)
        {
            checkpointsAt[i] = random.nextInt((int)delayMs);
        }
        java.util.Arrays.sort(checkpointsAt);
        final long roundLogMark = logLength();
        final int[] firstOfRound = new int[WRITERS];
        for (int w = 0; w < WRITERS; w++)
        {
            firstOfRound[w] = ledgers[w].size();
        }
        cluster.start();
        final List<Writer> writers = new ArrayList<>();
        long victimPid = 0;
        int ackedBeforeKill = 0;
        int ackedAfterKill = 0;
        try
        {
            for (int w = 0; w < WRITERS; w++)
            {
                writers.add(new Writer(w, ledgers[w], cluster.dataDir()));
            }
            awaitProgress(writers, "each writer to commit " + PROGRESS + " transactions");
            // the random moments, the one deliberate kind of sleep
            final long delayStart = System.nanoTime();
            for (final long at : checkpointsAt)
            {
                sleepUntil(delayStart, at);
                final CliResult requested = cluster.cli("checkpoint", "-D", dir(), "--no-wait");
                assertEquals(0, requested.exitCode(), requested.all());
            }
            sleepUntil(delayStart, delayMs);
            final long postmaster = cluster.postmasterPid();
            final long bgwriter = cluster.slotPid(ProcSlotDescriptor.BGWRITER_SLOT);
            final long checkpointer = cluster.slotPid(ProcSlotDescriptor.CHECKPOINTER_SLOT);
            clusterPids.clear();
            clusterPids.put("postmaster", postmaster);
            clusterPids.put("background writer", bgwriter);
            clusterPids.put("checkpointer", checkpointer);
            for (final Writer w : writers)
            {
                ackedBeforeKill += w.acked;
                clusterPids.put("writer " + w.id, w.pid());
            }
            switch (victim)
            {
                case WRITER_0, WRITER_1, WRITER_2 ->
                {
                    final Writer w = writers.get(victim.ordinal());
                    victimPid = w.pid();
                    w.mayEnd = true;
                    kill9(victimPid);
                    TestCluster.await("the postmaster to free the killed writer's slot",
                        () -> logContains("client backend (PID " + w.pid() + ") exited without detaching"));
                    awaitProgress(writers.stream().filter(x -> x != w).toList(),
                        "the other writers to go on committing after writer " + w.id + " was killed");
                    immediateStop(writers);
                }
                case BGWRITER, CHECKPOINTER ->
                {
                    final int slot = victim == Victim.BGWRITER ? ProcSlotDescriptor.BGWRITER_SLOT
                        : ProcSlotDescriptor.CHECKPOINTER_SLOT;
                    final long old = victim == Victim.BGWRITER ? bgwriter : checkpointer;
                    victimPid = old;
                    kill9(old);
                    TestCluster.await("a new " + victim.name + " in slot " + slot, () ->
                    {
                        final long now = cluster.slotPid(slot);
                        return now != 0 && now != old && Processes.isAlive(now, 0);
                    });
                    awaitProgress(writers, "the writers to go on committing after the " + victim.name + " was killed");
                    immediateStop(writers);
                }
                case POSTMASTER ->
                {
                    victimPid = postmaster;
                    writers.forEach(w -> w.mayEnd = true);
                    kill9(postmaster);
                    // the writers go on until their heartbeat finds the postmaster gone; their
                    // commits meanwhile are acknowledged and must survive too
                    for (final Writer w : writers)
                    {
                        w.join();
                    }
                    for (final long pid : new long[] {bgwriter, checkpointer})
                    {
                        kill9(pid);
                    }
                }
                default -> throw new IllegalStateException(victim.toString());
            }
        }
        finally
        {
            for (final Writer w : writers)
            {
                w.kill();
            }
        }
        for (final Writer w : writers)
        {
            assertTrue(w.mayEnd, "writer " + w.id + " stopped before the crash: " + w.end);
            ackedAfterKill += w.acked;
        }
        ackedAfterKill -= ackedBeforeKill;

        final String roundLog = logSince(roundLogMark);
        final int checkpointsBegun = count(roundLog, "checkpoint starting: immediate force")
            + count(roundLog, "checkpoint starting: wal") + count(roundLog, "checkpoint starting: time");
        final int checkpointsDone = count(roundLog, "checkpoint complete: wrote");

        // recovery
        final long logMark = logLength();
        final long startNanos = System.nanoTime();
        cluster.start();
        final long startMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        final String recoveryLog = logSince(logMark);
        assertTrue(recoveryLog.contains("database system was not properly shut down; automatic recovery in progress"),
            recoveryLog);
        assertTrue(recoveryLog.contains("redo starts at"), recoveryLog);
        final Matcher redoDone = REDO_DONE.matcher(recoveryLog);
        assertTrue(redoDone.find(), "no \"redo done at\" line:\n" + recoveryLog);

        // online: what the commit log says of this round's transactions
        final int[] resolvedPresent = new int[1];
        final int[] resolvedAbsent = new int[1];
        final Map<String, String> statuses = new TreeMap<>();
        try (LineProcess checker = cluster.backend("checker"))
        {
            for (int w = 0; w < WRITERS; w++)
            {
                final Ledger l = ledgers[w];
                for (int n = firstOfRound[w]; n < l.size(); n++)
                {
                    final long xid = l.xid(n);
                    if (xid == 0)
                    {
                        continue;
                    }
                    // an id that no flushed record carried is past the recovered Next XID: as
                    // PostgreSQL's pg_xact_status, the status calls it "in the future", and it
                    // never committed
                    final String answer = checker.ask("status " + xid, WAIT);
                    final String status = answer.equals("error: transaction ID " + xid + " is in the future")
                        ? "ok aborted" : answer;
                    final String what = "status of transaction " + n + " of writer " + w + " (xid " + xid + ", "
                        + Ledger.name(l.state(n)) + ")";
                    switch (l.state(n))
                    {
                        case Ledger.COMMITTED -> assertEquals("ok committed", answer, what);
                        case Ledger.ABORTED, Ledger.NOT_COMMITTED -> assertEquals("ok aborted", status, what + ": " + answer);
                        default ->
                        {
                            assertTrue(status.equals("ok committed") || status.equals("ok aborted"), what + ": " + answer);
                            statuses.put(w + "/" + n, status);
                        }
                    }
                }
            }
            assertEquals("ok", checker.ask("quit", WAIT));
            assertEquals(0, checker.waitFor(WAIT), "the checker detached");
        }
        cluster.stop("fast");
        assertTrue(cluster.cli("controldata", "-D", dir()).stdout().contains("shut down"));

        // offline: the relation files alone
        final List<String> problems = verifyOffline(ledgers, statuses, resolvedPresent, resolvedAbsent);
        if (!problems.isEmpty())
        {
            fail(problems.size() + " problem(s) in the relation files after round " + round + " (seed " + seed
                + ", victim " + victim.name + "):\n  " + String.join("\n  ", problems.subList(0,
                Math.min(40, problems.size()))));
        }
        int acked = 0;
        int aborted = 0;
        int total = 0;
        for (int w = 0; w < WRITERS; w++)
        {
            for (int n = firstOfRound[w]; n < ledgers[w].size(); n++)
            {
                final int s = ledgers[w].state(n);
                acked += s == Ledger.COMMITTED && ledgers[w].lsn(n) != 0 ? 1 : 0;
                aborted += s == Ledger.ABORTED ? 1 : 0;
            }
            total += ledgers[w].count(Ledger.COMMITTED);
        }
        System.out.printf("round %d (seed %d): killed %s (PID %d) after %d ms; %d commits acknowledged (%d of them"
                + " after the kill; %d in all), %d rolled back; in flight at the crash: %d present, %d absent;"
                + " online checkpoints %d requested, %d begun, %d complete; start with recovery %d ms, %s%n",
            round, seed, victim.name, victimPid, delayMs, acked, ackedAfterKill, total, aborted, resolvedPresent[0],
            resolvedAbsent[0], checkpointsAt.length, checkpointsBegun, checkpointsDone, startMs, redoDone.group());
        return victim;
    }

    /** Sleeps until {@code ms} after {@code startNanos}: the harness's deliberate random moments. */
    private static void sleepUntil(final long startNanos, final long ms) throws InterruptedException
    {
        final long left = ms - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        if (left > 0)
        {
            Thread.sleep(left);
        }
    }

    private static int count(final String text, final String what)
    {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1))
        {
            n++;
        }
        return n;
    }

    /** Waits until every writer in {@code writers} acknowledged {@link #PROGRESS} more commits than now; none may stop. */
    private static void awaitProgress(final List<Writer> writers, final String what) throws InterruptedException
    {
        final int[] from = new int[writers.size()];
        for (int i = 0; i < from.length; i++)
        {
            from[i] = writers.get(i).acked;
        }
        TestCluster.await(what, () ->
        {
            boolean all = true;
            for (int i = 0; i < from.length; i++)
            {
                final Writer w = writers.get(i);
                if (w.end != null)
                {
                    return true;
                }
                all &= w.acked >= from[i] + PROGRESS;
            }
            return all;
        });
        for (final Writer w : writers)
        {
            assertEquals(null, w.end, "writer " + w.id + " stopped while the cluster was meant to run");
        }
    }

    /** {@code stop -m immediate}, a crash for the data files; the writers' backends end with it. */
    private void immediateStop(final List<Writer> writers) throws Exception
    {
        writers.forEach(w -> w.mayEnd = true);
        final long postmaster = cluster.postmasterPid();
        clusterPids.put("postmaster", postmaster);
        try
        {
            cluster.stop("immediate");
        }
        catch (final AssertionError stopFailed)
        {
            // the postmaster did not exit: its stacks now, before anything else is killed
            final Path into = failuresDirectory().resolve("stop-hang-" + postmaster);
            Files.createDirectories(into);
            dumpThreadsOfLiveProcesses(into);
            dumpLwLockHolders(into);
            stopFailed.addSuppressed(new AssertionError("thread dumps of the processes still running in " + into));
            throw stopFailed;
        }
        for (final Writer w : writers)
        {
            w.join();
        }
    }

    private static void kill9(final long pid) throws Exception
    {
        final ProcessHandle h = ProcessHandle.of(pid).orElse(null);
        if (h != null)
        {
            h.destroyForcibly();
            h.onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private long logLength() throws IOException
    {
        final Path log = cluster.dataDir().resolve("log/postmaster.log");
        return Files.exists(log) ? Files.size(log) : 0;
    }

    private String logSince(final long mark) throws IOException
    {
        final byte[] all = Files.readAllBytes(cluster.dataDir().resolve("log/postmaster.log"));
        return new String(all, (int)mark, all.length - (int)mark, StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------------------------------
    // where a transaction writes, and what the files must hold
    // ------------------------------------------------------------------------------------------

    /** Slot {@code s} of the writers' common sequence: transaction n of writer w is slot n × WRITERS + w. */
    private static int slotOf(final int writer, final int n)
    {
        return n * WRITERS + writer;
    }

    /** The block of slot {@code s}: consecutive slots in consecutive blocks, SPREAD blocks at a time. */
    private static int blockOf(final int s)
    {
        return s % SPREAD + SPREAD * (s / (SPREAD * SLOTS_PER_PAGE));
    }

    private static int offsetOf(final int s)
    {
        return FIRST_SLOT + (s / SPREAD) % SLOTS_PER_PAGE * SLOT;
    }

    /** The inverse of blockOf/offsetOf. */
    private static int slotAt(final int block, final int offset)
    {
        return block / SPREAD * SPREAD * SLOTS_PER_PAGE + (offset - FIRST_SLOT) / SLOT * SPREAD + block % SPREAD;
    }

    /** What transaction n writes: its number from 1, eight digits. */
    private static String value(final int n)
    {
        return String.format("%08d", n + 1);
    }

    private static String writeCommand(final int relation, final int writer, final int n)
    {
        final int s = slotOf(writer, n);
        return "write " + relation + " " + blockOf(s) + " " + offsetOf(s) + " " + value(n);
    }

    private byte[] relationFile(final int relation) throws IOException
    {
        final Path file = cluster.dataDir().resolve("base").resolve(Integer.toString(relation));
        return Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
    }

    /**
     * Checks every page and every slot of both relation files against the ledgers; resolves each
     * commit that was in flight to present or absent (and checks it against the commit log's
     * status, when the checker asked). Returns what is wrong.
     */
    private List<String> verifyOffline(final Ledger[] ledgers, final Map<String, String> statuses,
        final int[] resolvedPresent, final int[] resolvedAbsent) throws IOException
    {
        final List<String> problems = new ArrayList<>();
        final byte[] a = relationFile(REL_A);
        final byte[] b = relationFile(REL_B);
        for (final int relation : new int[] {REL_A, REL_B})
        {
            final byte[] file = relation == REL_A ? a : b;
            if (file.length % PAGE != 0)
            {
                problems.add("relation " + relation + " is " + file.length + " bytes, not a whole number of pages");
            }
            for (int block = 0; block < file.length / PAGE; block++)
            {
                final ByteBuffer page = ByteBuffer.wrap(file, block * PAGE, PAGE).slice().order(ByteOrder.LITTLE_ENDIAN);
                if (!Page.verify(page, block))
                {
                    problems.add("relation " + relation + " block " + block + ": page does not verify (checksum or header)");
                    continue;
                }
                for (int off = FIRST_SLOT + SLOTS_PER_PAGE * SLOT; off < PAGE; off++)
                {
                    if (file[block * PAGE + off] != 0)
                    {
                        problems.add("relation " + relation + " block " + block + ": byte " + off + " past the slots is "
                            + file[block * PAGE + off]);
                        break;
                    }
                }
                // slots nobody wrote yet must be empty
                for (int off = FIRST_SLOT; off < FIRST_SLOT + SLOTS_PER_PAGE * SLOT; off += SLOT)
                {
                    final int s = slotAt(block, off);
                    final int w = s % WRITERS;
                    final int n = s / WRITERS;
                    if (n >= ledgers[w].size() && !isZero(file, block * PAGE + off))
                    {
                        problems.add("relation " + relation + " block " + block + " offset " + off + " holds \""
                            + slotText(file, block * PAGE + off) + "\", but writer " + w + " never began transaction " + n);
                    }
                }
            }
        }
        for (int w = 0; w < WRITERS; w++)
        {
            final Ledger l = ledgers[w];
            for (int n = 0; n < l.size(); n++)
            {
                final int s = slotOf(w, n);
                final boolean inA = holds(a, s, n, REL_A, w, problems);
                final boolean inB = holds(b, s, n, REL_B, w, problems);
                final String what = "transaction " + n + " of writer " + w + " (xid " + l.xid(n) + ", " + Ledger.name(l.state(n))
                    + ", block " + blockOf(s) + " offset " + offsetOf(s) + ")";
                switch (l.state(n))
                {
                    case Ledger.COMMITTED ->
                    {
                        if (!inA || !inB)
                        {
                            problems.add(what + ": acknowledged, but missing in "
                                + (!inA && !inB ? "both relations" : "relation " + (inA ? REL_B : REL_A)));
                        }
                    }
                    case Ledger.ABORTED, Ledger.NOT_COMMITTED ->
                    {
                        if (inA || inB)
                        {
                            problems.add(what + ": never committed, but present in "
                                + (inA && inB ? "both relations" : "relation " + (inA ? REL_A : REL_B)));
                        }
                    }
                    case Ledger.IN_DOUBT ->
                    {
                        if (inA != inB)
                        {
                            problems.add(what + ": commit in flight at the crash is half there: only in relation "
                                + (inA ? REL_A : REL_B));
                        }
                        final String status = statuses.get(w + "/" + n);
                        if (status != null && status.equals("ok committed") != (inA && inB))
                        {
                            problems.add(what + ": commit in flight at the crash: the commit log says " + status
                                + " but the pages say " + (inA && inB ? "present" : "absent"));
                        }
                        // from now on the outcome is fixed: a later round must find the same
                        if (inA && inB)
                        {
                            l.resolve(n, Ledger.COMMITTED);
                            resolvedPresent[0]++;
                        }
                        else
                        {
                            l.resolve(n, Ledger.NOT_COMMITTED);
                            resolvedAbsent[0]++;
                        }
                    }
                    default -> throw new IllegalStateException("state " + l.state(n));
                }
            }
        }
        return problems;
    }

    /** Whether slot {@code s} of the file holds transaction n's value; anything but it or zeros is a problem. */
    private static boolean holds(final byte[] file, final int s, final int n, final int relation, final int writer,
        final List<String> problems)
    {
        final int at = blockOf(s) * PAGE + offsetOf(s);
        if (at + SLOT > file.length || isZero(file, at))
        {
            return false;
        }
        final String text = slotText(file, at);
        if (!text.equals(value(n)))
        {
            problems.add("relation " + relation + " block " + blockOf(s) + " offset " + offsetOf(s) + " holds \"" + text
                + "\", not transaction " + n + " of writer " + writer + "'s \"" + value(n) + "\"");
            return false;
        }
        return true;
    }

    private static boolean isZero(final byte[] file, final int at)
    {
        for (int i = 0; i < SLOT; i++)
        {
            if (file[at + i] != 0)
            {
                return false;
            }
        }
        return true;
    }

    private static String slotText(final byte[] file, final int at)
    {
        return new String(file, at, SLOT, StandardCharsets.ISO_8859_1).replace("\0", "\\0");
    }

    /** Where failed rounds are kept: {@code -Dcrash.failures}, by default target/crash-failures of the it module. */
    private static Path failuresDirectory()
    {
        return Path.of(System.getProperty("crash.failures", "target/crash-failures")).toAbsolutePath();
    }

    /** After a failed round: copies the data directory and the ledgers to target/crash-failures. */
    private void keepForInspection(final long seed, final int round, final Ledger[] ledgers, final Throwable failure)
    {
        try
        {
            final Path into = failuresDirectory().resolve("seed-" + seed + "-round-" + round);
            Files.createDirectories(into);
            final Path data = cluster.dataDir();
            try (Stream<Path> files = Files.walk(data))
            {
                for (final Path p : (Iterable<Path>)files::iterator)
                {
                    final Path target = into.resolve("data").resolve(data.relativize(p).toString());
                    if (Files.isDirectory(p))
                    {
                        Files.createDirectories(target);
                    }
                    else if (Files.isRegularFile(p))
                    {
                        Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            final StringBuilder ledger = new StringBuilder("# writer transaction slot block offset xid state commit_lsn\n");
            for (int w = 0; w < WRITERS; w++)
            {
                for (int n = 0; n < ledgers[w].size(); n++)
                {
                    final int s = slotOf(w, n);
                    ledger.append(w).append(' ').append(n).append(' ').append(s).append(' ').append(blockOf(s))
                        .append(' ').append(offsetOf(s)).append(' ').append(ledgers[w].xid(n)).append(' ')
                        .append(Ledger.name(ledgers[w].state(n))).append(' ')
                        .append(ControlFile.formatLsn(ledgers[w].lsn(n))).append('\n');
                }
            }
            Files.writeString(into.resolve("ledger.txt"), ledger);
            dumpThreadsOfLiveProcesses(into);
            Files.writeString(into.resolve("failure.txt"), "seed " + seed + ", round " + round + "\n" + failure);
            System.out.println("crash harness: round " + round + " of seed " + seed + " failed; data directory and ledger"
                + " kept in " + into);
        }
        catch (final IOException | RuntimeException ex)
        {
            failure.addSuppressed(ex);
        }
    }

    /**
     * The thread stacks of every process still running with this data directory on its command
     * line (a postmaster that hangs, its children): jstack, bounded, into threads-PID.txt.
     */
    private void dumpThreadsOfLiveProcesses(final Path into) throws IOException
    {
        final Path jstack = Path.of(System.getProperty("java.home"), "bin", "jstack");
        final String data = cluster.dataDir().toString();
        final List<ProcessHandle> live = new ArrayList<>(ProcessHandle.allProcesses()
            .filter(p -> p.info().arguments().map(a -> List.of(a).contains(data)).orElse(false)).toList());
        final StringBuilder known = new StringBuilder();
        for (final Map.Entry<String, Long> e : clusterPids.entrySet())
        {
            final ProcessHandle h = ProcessHandle.of(e.getValue()).orElse(null);
            known.append(e.getKey()).append(' ').append(e.getValue()).append(h != null && h.isAlive() ? " alive" : " gone")
                .append('\n');
            if (h != null && h.isAlive() && !live.contains(h))
            {
                live.add(h);
            }
        }
        Files.writeString(into.resolve("processes.txt"), known);
        for (final ProcessHandle p : live)
        {
            final Path out = into.resolve("threads-" + p.pid() + ".txt");
            Files.writeString(out, p.info().commandLine().orElse("?") + "\n\n");
            try
            {
                final Process dump = new ProcessBuilder(jstack.toString(), "-l", Long.toString(p.pid()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
                if (!dump.waitFor(30, TimeUnit.SECONDS))
                {
                    dump.destroyForcibly();
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
        System.out.println("crash harness: thread dumps of " + live.size() + " live process(es) of the cluster in " + into);
    }

    /**
     * The LWLocks every slot of the proc array records as held (the low bits of an entry are the
     * mode), each process alive or not, and {@code pgshmem shmem} to name the offsets: who holds
     * what a hanging postmaster waits for. Into lwlocks.txt.
     */
    private void dumpLwLockHolders(final Path into) throws IOException
    {
        final StringBuilder out = new StringBuilder();
        try (org.pgshmem.shmem.Shmem shmem = org.pgshmem.backend.Backend.inspect(cluster.dataDir()))
        {
            final org.pgshmem.shmem.ShmemStruct struct = shmem.findStruct(org.pgshmem.proc.ProcArray.LABEL);
            final org.pgshmem.proc.ProcArray procArray = org.pgshmem.proc.ProcArray.of(struct);
            out.append("Proc Array at segment offset ").append(struct.offset()).append('\n');
            for (int slot = 0; slot < procArray.slotCount(); slot++)
            {
                final long pid = procArray.pid(slot);
                if (pid == 0)
                {
                    continue;
                }
                out.append("slot ").append(slot).append(" pid ").append(pid)
                    .append(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) ? " alive" : " dead")
                    .append(", LWLock entries held (segment offset | mode bit):");
                final int first = ProcSlotDescriptor.slotOffset(slot) + ProcSlotDescriptor.HELD_LWLOCKS_OFFSET;
                for (int i = 0; i < ProcSlotDescriptor.MAX_HELD_LWLOCKS; i++)
                {
                    final int entry = struct.buffer().getIntVolatile(first + i * Integer.BYTES);
                    if (entry != 0)
                    {
                        out.append(' ').append(entry & ~7).append('|').append(entry & 7);
                    }
                }
                out.append('\n');
            }
        }
        catch (final RuntimeException ex)
        {
            out.append("could not inspect the segment: ").append(ex).append('\n');
        }
        try
        {
            out.append('\n').append(cluster.cli("shmem", "-D", dir()).all());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        Files.writeString(into.resolve("lwlocks.txt"), out);
    }

    /**
     * What a writer did with each of its transactions, by number, across rounds. A commit whose
     * answer never came is {@link #IN_DOUBT} until the files tell its outcome.
     */
    private static final class Ledger
    {
        /** Begun, commit never sent: must be absent. */
        static final byte NOT_COMMITTED = 0;
        /** Rolled back (or the rollback was sent): must be absent. */
        static final byte ABORTED = 1;
        /** Commit sent, no answer: wholly present or wholly absent. */
        static final byte IN_DOUBT = 2;
        /** Commit acknowledged (or found present after being in doubt): must be present. */
        static final byte COMMITTED = 3;

        private byte[] states = new byte[1024];
        private long[] xids = new long[1024];
        private long[] lsns = new long[1024];
        private int size;

        static String name(final int state)
        {
            return switch (state)
            {
                case NOT_COMMITTED -> "not committed";
                case ABORTED -> "rolled back";
                case IN_DOUBT -> "commit in flight";
                case COMMITTED -> "committed";
                default -> "state " + state;
            };
        }

        synchronized int begin()
        {
            if (size == states.length)
            {
                states = java.util.Arrays.copyOf(states, size * 2);
                xids = java.util.Arrays.copyOf(xids, size * 2);
                lsns = java.util.Arrays.copyOf(lsns, size * 2);
            }
            states[size] = NOT_COMMITTED;
            return size++;
        }

        synchronized void set(final int n, final byte state)
        {
            states[n] = state;
        }

        synchronized void resolve(final int n, final byte state)
        {
            states[n] = state;
        }

        synchronized void xid(final int n, final long xid)
        {
            xids[n] = xid;
        }

        synchronized void committed(final int n, final long lsn)
        {
            states[n] = COMMITTED;
            lsns[n] = lsn;
        }

        synchronized int size()
        {
            return size;
        }

        synchronized int state(final int n)
        {
            return states[n];
        }

        synchronized long xid(final int n)
        {
            return xids[n];
        }

        synchronized long lsn(final int n)
        {
            return lsns[n];
        }

        synchronized int count(final int state)
        {
            int c = 0;
            for (int n = 0; n < size; n++)
            {
                c += states[n] == state ? 1 : 0;
            }
            return c;
        }
    }

    /**
     * A writer: a {@code pgshmem backend} and the thread that drives it, transaction after
     * transaction, until its backend fails (killed, told to leave, or its postmaster gone).
     */
    private static final class Writer
    {
        final int id;
        private final Ledger ledger;
        private final LineProcess backend;
        private final Thread thread;
        /** Commits acknowledged by this writer in this round. */
        volatile int acked;
        /** Set by the harness before it does what may end this writer; an end before is a failure. */
        volatile boolean mayEnd;
        /** Why the writer stopped, once it has. */
        volatile String end;

        Writer(final int id, final Ledger ledger, final Path dataDir) throws IOException
        {
            this.id = id;
            this.ledger = ledger;
            this.backend = LineProcess.startBackend("writer " + id, dataDir);
            this.thread = new Thread(this::run, "writer " + id);
            thread.setDaemon(true);
            thread.start();
        }

        long pid()
        {
            return backend.pid();
        }

        private void run()
        {
            try
            {
                final String hello = backend.readLine(WAIT);
                if (!hello.equals("ok pid=" + backend.pid()))
                {
                    throw new Stopped("attach answered: " + hello);
                }
                while (true)
                {
                    final int n = ledger.begin();
                    expectOk("begin");
                    expectOk(writeCommand(REL_A, id, n));
                    expectOk(writeCommand(REL_B, id, n));
                    final String xid = backend.ask("xid", WAIT);
                    if (!xid.matches("ok [0-9]+"))
                    {
                        throw new Stopped("xid answered: " + xid);
                    }
                    ledger.xid(n, Long.parseLong(xid.substring(3)));
                    if (n % 5 == 4)
                    {
                        ledger.set(n, Ledger.ABORTED);
                        expectOk("abort");
                        continue;
                    }
                    ledger.set(n, Ledger.IN_DOUBT);
                    final String answer = backend.ask("commit", WAIT);
                    final Matcher m = LSN.matcher(answer);
                    if (!answer.startsWith("ok ") || !m.find())
                    {
                        throw new Stopped("commit of transaction " + n + " answered: " + answer);
                    }
                    ledger.committed(n, Long.parseLong(m.group(1), 16) << 32 | Long.parseLong(m.group(2), 16));
                    acked++;
                }
            }
            catch (final Stopped ex)
            {
                end = ex.getMessage();
            }
            catch (final IOException | IllegalStateException ex)
            {
                end = ex.getMessage().lines().findFirst().orElse(ex.toString());
            }
            catch (final InterruptedException ex)
            {
                end = "interrupted";
            }
            catch (final RuntimeException ex)
            {
                end = ex.toString();
            }
        }

        private void expectOk(final String command) throws IOException, InterruptedException
        {
            final String answer = backend.ask(command, WAIT);
            if (!answer.equals("ok"))
            {
                throw new Stopped(command + " answered: " + answer);
            }
        }

        /** Waits, bounded, for the thread to end (its backend failed or was killed). */
        void join() throws InterruptedException
        {
            thread.join(WAIT.toMillis() + 5_000);
            if (thread.isAlive())
            {
                backend.close();
                thread.join(WAIT.toMillis());
                fail("writer " + id + " (PID " + pid() + ") did not stop after the crash");
            }
        }

        /** Kills the backend if it still runs and waits for the thread. */
        void kill() throws InterruptedException
        {
            backend.close();
            thread.join(WAIT.toMillis());
        }
    }

    /** A writer's backend failed: the message says how. */
    private static final class Stopped extends RuntimeException
    {
        Stopped(final String message)
        {
            super(message, null, false, false);
        }
    }

    // ------------------------------------------------------------------------------------------
    // damaged WAL and control file
    // ------------------------------------------------------------------------------------------

    private static long parseLsn(final String text)
    {
        final Matcher m = LSN.matcher(text);
        assertTrue(m.find(), "no LSN in \"" + text + "\"");
        return Long.parseLong(m.group(1), 16) << 32 | Long.parseLong(m.group(2), 16);
    }

    /** Commits transaction i (slot i of block {@code block} in both relations); returns its commit LSN. */
    private static long commit(final LineProcess s, final int block, final int i) throws Exception
    {
        assertEquals("ok", s.ask("begin", WAIT));
        final int offset = FIRST_SLOT + i * SLOT;
        assertEquals("ok", s.ask("write " + REL_A + " " + block + " " + offset + " " + value(i), WAIT));
        assertEquals("ok", s.ask("write " + REL_B + " " + block + " " + offset + " " + value(i), WAIT));
        final String answer = s.ask("commit", WAIT);
        assertTrue(answer.startsWith("ok "), "commit " + i + ": " + answer);
        return parseLsn(answer);
    }

    /** Reads slot i of block {@code block} in both relations: "present", "absent", or a failure if half. */
    private static boolean present(final LineProcess s, final int block, final int i) throws Exception
    {
        final int offset = FIRST_SLOT + i * SLOT;
        final String a = s.ask("read " + REL_A + " " + block + " " + offset + " " + SLOT, WAIT);
        final String b = s.ask("read " + REL_B + " " + block + " " + offset + " " + SLOT, WAIT);
        assertTrue(a.equals("ok " + value(i)) || a.equals("ok "), "slot " + i + " of relation " + REL_A + ": " + a);
        assertEquals(a, b, "transaction " + i + " is in both relations or in neither");
        return a.equals("ok " + value(i));
    }

    /** The segment file holding {@code lsn} and the offset of {@code lsn} in it. */
    private Path segmentOf(final long lsn)
    {
        final int segmentSize = ControlFile.read(cluster.dataDir()).walSegmentSize();
        return new WalSegments(cluster.dataDir(), segmentSize).path(lsn / segmentSize);
    }

    private int offsetInSegment(final long lsn)
    {
        return (int)(lsn % ControlFile.read(cluster.dataDir()).walSegmentSize());
    }

    /** Sets the WAL bytes [from, to) to zero: a write that never reached the disk. */
    private void zeroWal(final long from, final long to) throws IOException
    {
        for (long lsn = from; lsn < to; lsn++)
        {
            try (FileChannel ch = FileChannel.open(segmentOf(lsn), StandardOpenOption.WRITE))
            {
                ch.write(ByteBuffer.wrap(new byte[1]), offsetInSegment(lsn));
            }
        }
    }

    private byte flipWalByte(final long lsn) throws IOException
    {
        try (FileChannel ch = FileChannel.open(segmentOf(lsn), StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, offsetInSegment(lsn));
            final byte old = one.get(0);
            ch.write(ByteBuffer.wrap(new byte[] {(byte)(old ^ 0x40)}), offsetInSegment(lsn));
            return old;
        }
    }

    /**
     * Commits {@code count} transactions, crashes, and zeroes the second half of the last commit
     * record: a write of the WAL that only partly reached the disk. With {@code acrossPages} that
     * record carries full-page images and spans WAL pages, so that its continuation is what is lost.
     */
    private void tornTail(final boolean acrossPages) throws Exception
    {
        newCluster().initdb("shared_buffers=256kB").start();
        final int count = 20;
        final int last = count - 1;
        final int lastBlock = acrossPages ? 1 : 0;
        final long[] ends = new long[count + 1];
        try (LineProcess s = cluster.backend("writer"))
        {
            for (int i = 0; i < count; i++)
            {
                ends[i] = commit(s, i == last ? lastBlock : 0, i);
            }
            // the writer is still attached: an immediate stop ends it, no further WAL is written
            cluster.stop("immediate");
            s.waitFor(WAIT);
        }
        final long cut = ends[last - 1] + (ends[last] - ends[last - 1]) / 2;
        zeroWal(cut, ends[last]);
        System.out.println("zeroed the WAL from " + ControlFile.formatLsn(cut) + " to " + ControlFile.formatLsn(ends[last])
            + ", the second half of the last commit record (" + (ends[last] - ends[last - 1]) + " bytes, ending at "
            + ControlFile.formatLsn(ends[last]) + ")");
        if (acrossPages)
        {
            assertTrue((ends[last] - 1) / WAL_PAGE > cut / WAL_PAGE, "the zeroed half crosses a WAL page boundary");
        }

        final long mark = logLength();
        cluster.start();
        final String log = logSince(mark);
        assertTrue(log.contains("redo starts at"), log);
        final Matcher endLine = Pattern.compile("LOG:\\s+([^\\n]*\\(end of WAL\\))").matcher(log);
        assertTrue(endLine.find(), log);
        final Matcher done = Pattern.compile("redo done at ([0-9A-F]+/[0-9A-F]+)").matcher(log);
        assertTrue(done.find(), log);
        System.out.println("recovery: " + endLine.group(1) + "; redo done at " + done.group(1));
        final long lastReplayed = parseLsn(done.group(1));
        assertTrue(lastReplayed >= ends[last - 2] && lastReplayed < ends[last - 1], "the last record replayed is the"
            + " commit before the cut one, not " + ControlFile.formatLsn(lastReplayed));
        final boolean lastPresent;
        try (LineProcess s = cluster.backend("reader"))
        {
            for (int i = 0; i < last; i++)
            {
                assertTrue(present(s, 0, i), "acknowledged commit " + i + " before the torn record survives");
            }
            lastPresent = present(s, lastBlock, last);
            // the WAL goes on after the torn record: a new commit survives the next crash
            ends[count] = commit(s, 0, count);
            cluster.stop("immediate");
            s.waitFor(WAIT);
        }
        final long mark2 = logLength();
        cluster.start();
        assertTrue(logSince(mark2).contains("redo done at"), logSince(mark2));
        try (LineProcess s = cluster.backend("reader"))
        {
            for (int i = 0; i < last; i++)
            {
                assertTrue(present(s, 0, i), "commit " + i);
            }
            assertEquals(lastPresent, present(s, lastBlock, last), "the cut commit's outcome does not change");
            assertTrue(present(s, 0, count), "the commit made after recovering from the torn tail survives a crash");
            assertEquals("ok", s.ask("quit", WAIT));
        }
        cluster.stop("fast");
        assertPagesVerify();
        System.out.println("the cut commit is " + (lastPresent ? "present (its pages reached the disk)" : "absent"));
    }

    @Test
    void aTornWalTailEndsRedoThereAndTheWalGoesOnAfterIt() throws Exception
    {
        tornTail(false);
    }

    @Test
    void aCommitRecordWhoseContinuationPagesNeverReachedTheDiskEndsRedoAndTheWalGoesOnAfterIt() throws Exception
    {
        tornTail(true);
    }

    @Test
    void damageInTheMiddleOfTheWalStopsTheStartNamingTheLsnAndLeavesTheDataDirectoryAsItWas() throws Exception
    {
        newCluster().initdb("shared_buffers=256kB").start();
        final int count = 30;
        final long[] ends = new long[count];
        try (LineProcess s = cluster.backend("writer"))
        {
            // a block each: every commit carries full-page images, the WAL spans many pages
            for (int i = 0; i < count; i++)
            {
                ends[i] = commit(s, i, i);
            }
            cluster.stop("immediate");
            s.waitFor(WAIT);
        }
        final long checkpoint = ControlFile.read(cluster.dataDir()).checkpointLsn();
        final long damaged = ends[0] - 4;
        final byte old = flipWalByte(damaged);
        final Map<String, String> before = snapshot();
        final ControlFile controlBefore = ControlFile.read(cluster.dataDir());

        final CliResult refused = cluster.tryStart();
        assertNotEquals(0, refused.exitCode(), refused.all());
        final Matcher m = Pattern.compile("WAL is damaged at ([0-9A-F]+/[0-9A-F]+)").matcher(refused.all());
        assertTrue(m.find(), refused.all() + "\n--- server log\n" + cluster.log());
        final long named = parseLsn(m.group(1));
        assertTrue(named > checkpoint && named <= damaged, "the error names the damaged record's LSN, "
            + ControlFile.formatLsn(named) + ", after the checkpoint at " + ControlFile.formatLsn(checkpoint)
            + " and not after the flipped byte at " + ControlFile.formatLsn(damaged));
        assertTrue(refused.all().contains("Valid WAL follows"), refused.all());
        System.out.println("start refused: " + refused.stderr().lines().filter(l -> l.contains("WAL is damaged"))
            .findFirst().orElse(""));
        assertFalse(Files.exists(cluster.dataDir().resolve("postmaster.pid")), "the failed start removed its pid file");
        assertUnchangedButTheControlFileState(before, controlBefore);
        final CliResult again = cluster.tryStart();
        assertNotEquals(0, again.exitCode(), again.all());
        assertTrue(again.all().contains("WAL is damaged at " + m.group(1)), again.all());
        assertUnchangedButTheControlFileState(before, controlBefore);

        // the byte put back, nothing was lost
        try (FileChannel ch = FileChannel.open(segmentOf(damaged), StandardOpenOption.WRITE))
        {
            ch.write(ByteBuffer.wrap(new byte[] {old}), offsetInSegment(damaged));
        }
        cluster.start();
        try (LineProcess s = cluster.backend("reader"))
        {
            for (int i = 0; i < count; i++)
            {
                assertTrue(present(s, i, i), "commit " + i + " after the damage was repaired");
            }
            assertEquals("ok", s.ask("quit", WAIT));
        }
        cluster.stop("fast");
        assertPagesVerify();
    }

    @Test
    void aFlippedByteInTheControlFileIsRefusedAtStartAndNothingIsChanged() throws Exception
    {
        newCluster().initdb("shared_buffers=256kB").start();
        try (LineProcess s = cluster.backend("writer"))
        {
            commit(s, 0, 0);
            assertEquals("ok", s.ask("quit", WAIT));
        }
        cluster.stop("immediate");
        final Path control = cluster.dataDir().resolve(ControlFile.PATH);
        final byte[] good = Files.readAllBytes(control);
        // the checkpoint location, then a byte of the zero padding: the CRC covers both
        for (final int offset : new int[] {32, 5000})
        {
            final byte[] bad = good.clone();
            bad[offset] ^= 0x01;
            Files.write(control, bad);
            final Map<String, String> before = snapshot();
            final CliResult refused = cluster.tryStart();
            assertNotEquals(0, refused.exitCode(), refused.all());
            assertTrue(refused.stderr().contains("incorrect checksum in control file"), refused.all());
            final CliResult controldata = cluster.cli("controldata", "-D", dir());
            assertEquals(1, controldata.exitCode(), controldata.all());
            assertTrue(controldata.stderr().contains("incorrect checksum in control file"), controldata.all());
            assertFalse(Files.exists(cluster.dataDir().resolve("postmaster.pid")));
            assertEquals(before, snapshot(), "the refused start changed the data directory (byte " + offset + ")");
            assertArrayEquals(bad, Files.readAllBytes(control), "the control file was left as it was");
        }
        Files.write(control, good);
        final long mark = logLength();
        cluster.start();
        assertTrue(logSince(mark).contains("redo done at"), "the good control file: a crash recovery");
        try (LineProcess s = cluster.backend("reader"))
        {
            assertTrue(present(s, 0, 0));
            assertEquals("ok", s.ask("quit", WAIT));
        }
    }

    /**
     * Every file as it was, but the control file, where a start that began recovery may have set
     * the state to "in crash recovery" (as PostgreSQL's StartupXLOG does before it replays): the
     * checkpoint it points to and everything else must be the same.
     */
    private void assertUnchangedButTheControlFileState(final Map<String, String> before, final ControlFile controlBefore)
        throws IOException
    {
        final Map<String, String> now = snapshot();
        assertEquals(before.keySet(), now.keySet(), "the failed start added or removed files");
        for (final String name : before.keySet())
        {
            if (!name.equals(ControlFile.PATH))
            {
                assertEquals(before.get(name), now.get(name), "the failed start changed " + name);
            }
        }
        final ControlFile control = ControlFile.read(cluster.dataDir());
        assertEquals(controlBefore.systemIdentifier(), control.systemIdentifier());
        assertEquals(controlBefore.checkpointLsn(), control.checkpointLsn(), "the latest checkpoint location");
        assertEquals(controlBefore.redoLsn(), control.redoLsn(), "the latest checkpoint's redo location");
        assertEquals(controlBefore.nextXid(), control.nextXid(), "the latest checkpoint's next xid");
        assertTrue(control.state() == controlBefore.state() || control.state() == org.pgshmem.control.DbState.IN_CRASH_RECOVERY,
            "state " + control.state());
    }

    /** Every page of both relation files verifies. */
    private void assertPagesVerify() throws IOException
    {
        for (final int relation : new int[] {REL_A, REL_B})
        {
            final byte[] file = relationFile(relation);
            assertEquals(0, file.length % PAGE);
            for (int block = 0; block < file.length / PAGE; block++)
            {
                final ByteBuffer page = ByteBuffer.wrap(file, block * PAGE, PAGE).slice().order(ByteOrder.LITTLE_ENDIAN);
                assertTrue(Page.verify(page, block), "relation " + relation + " block " + block + " verifies");
            }
        }
    }

    /** Every file of the data directory but the server log, with its size and a digest of its bytes. */
    private Map<String, String> snapshot() throws IOException
    {
        final Map<String, String> files = new TreeMap<>();
        final MessageDigest sha256;
        try
        {
            sha256 = MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
        final Path data = cluster.dataDir();
        try (Stream<Path> all = Files.walk(data))
        {
            for (final Path p : (Iterable<Path>)all::iterator)
            {
                final String name = data.relativize(p).toString();
                if (!Files.isRegularFile(p) || name.startsWith("log"))
                {
                    continue;
                }
                final byte[] bytes = Files.readAllBytes(p);
                files.put(name, bytes.length + " bytes, SHA-256 " + HexFormat.of().formatHex(sha256.digest(bytes)));
            }
        }
        return files;
    }
}
