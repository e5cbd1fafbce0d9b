package org.pgshmem.bench.ipc;

import static org.pgshmem.bench.ipc.Figures.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.backend.Backend;
import org.pgshmem.bench.BenchCluster;
import org.pgshmem.bench.BenchRelation;
import org.pgshmem.control.ControlFile;
import org.pgshmem.postmaster.DataDirectory;
import org.pgshmem.postmaster.PidFile;
import org.pgshmem.postmaster.ServerControl;
import org.pgshmem.postmaster.ShutdownMode;
import org.pgshmem.util.DurableFiles;
import org.pgshmem.wal.Wal;
import org.pgshmem.wal.WalRecordType;
import org.pgshmem.wal.WalReader;
import org.pgshmem.wal.WalSegments;
import org.pgshmem.xact.Transaction;

/**
 * Crash recovery's replay rate (issue 6): how many MB of WAL per second the postmaster replays
 * at start after a crash, next to reading the same segment files with a plain
 * {@code FileChannel} (the I/O bound) and reading them with a CRC-32C of every byte (the least
 * work a reader that checks records must do).
 *
 * <p>For each kind of records ({@code --records}): a backend makes records until
 * {@code --megabytes} of WAL follow the last checkpoint's redo point, flushes them and detaches.
 * {@code xact}: transactions (begin, one write of {@value #XACT_WRITE} bytes, commit, with
 * {@code synchronous_commit=off} so that making them does not wait for the disk), each on the next of
 * {@value #XACT_BLOCKS} blocks of a relation, round-robin: commit records carrying a page change,
 * which replay applies to the pages in the shared buffers and to the commit log (the first change
 * of each block carries a full-page image, as the block was never logged). {@code noop-SIZE}:
 * {@code Wal.insert} of {@code NOOP} records of SIZE payload bytes, which replay reads, checks (page
 * headers, lengths, CRC-32C) and skips: the WAL reader alone. Then the postmaster and its children are killed with SIGKILL, so the
 * control file still says "in production". The data directory (WAL, control file, relation and
 * commit-log files; not the persisted hash tables) is then copied aside. Each repeat restores
 * that copy, starts the postmaster, which replays the WAL from the redo point (StartupXLOG), and
 * reads the replay's own figures from the server log's
 * {@code redo done at ...: N records, X MB in Y s} line (the time of the redo loop alone, without
 * the end-of-recovery checkpoint or the JVM's start); the next repeat stops the server first.
 * The replay runs in a freshly started postmaster JVM, as a real recovery does: its first
 * records are read by interpreted and then C1-compiled code.
 *
 * <p>The generator reads the WAL back with a {@code WalReader} before the crash and fails if a
 * record is missing: a replay that stops early would otherwise pass for a fast one (it found a
 * page header written before its page was initialized, since fixed in {@code Wal}).
 *
 * <p>Hot: the segment files are in the page cache, as after a crash of the server alone. Cold:
 * before the run the files are fsynced and dropped from the page cache
 * ({@code posix_fadvise(DONTNEED)}, through {@code dd iflag=nocache}; only these files, nothing
 * else of the machine's cache), as after a crash of the machine. The peers are read in the same
 * state of the cache, right before the replay they are compared with.
 *
 * <p>Run it with {@code bench/run-wal} ({@code --help} lists the options).
 */
public final class ReplayRate extends Driver
{
    private static final String SCRIPT = "run-wal";
    private static final int TIMEOUT_SECONDS = 300;
    private static final int READ_CHUNK = 512 * 1024;
    /** StartupXlog's line: {@code redo done at 0/1000028: 12345 records, 256.0 MB in 1.23 s}. */
    private static final Pattern REDO_DONE =
        Pattern.compile("redo done at \\S+: (\\d+) records, ([0-9.,]+) MB in ([0-9.,]+) s");
    private static final double MIB = 1024.0 * 1024.0;
    /** Why the replay stopped: {@code ...: <why> (end of WAL)}. */
    private static final Pattern END_OF_WAL = Pattern.compile("(?m)^.*?(?:LOG|WARNING):\\s+(.*\\(end of WAL\\))$");

    private final Options options;
    private final List<Row> rows = new ArrayList<>();

    /** The relation the transactions write. */
    static final int XACT_RELATION = 16384;
    /** Blocks of that relation, written in turn: they all stay in the shared buffers. */
    static final int XACT_BLOCKS = 1024;
    /** Bytes each transaction writes. */
    static final int XACT_WRITE = 100;
    /** Where in the block: past the page header and BenchRelation's value. */
    static final int XACT_OFFSET = 64;
    static final List<String> KNOWN_RECORDS = List.of("xact", "noop-100", "noop-8192");

    /** What one kind of records measured, hot or cold. */
    private record Row(String kind, boolean cold, long records, double mib, double[] replay, double[] read,
        double[] readCrc)
    {
    }

    private ReplayRate(final Options options)
    {
        super(SCRIPT, options.args);
        this.options = options;
    }

    /**
     * Runs the benchmark and prints its tables to stdout, progress to stderr. Exit code 0 when it
     * ran, 1 when it failed, 2 for a bad option (0 after {@code --help}).
     *
     * @param args options; {@code --help} lists them
     */
    public static void main(final String[] args)
    {
        new ReplayRate(parse(SCRIPT, args, Options::read, Options::usage)).runAndExit();
    }

    @Override
    void run(final PrintStream out) throws Exception
    {
        final String loadBefore = Machine.loadAverage();
        work = Files.createTempDirectory("pgshmem-bench-replay-");
        progress("starting a cluster (max_wal_size and checkpoint_timeout at their largest: no checkpoint moves the"
            + " redo point while the WAL is made)");
        cluster = BenchCluster.start(List.of("max_wal_size=" + Integer.MAX_VALUE, "checkpoint_timeout=86400",
            "synchronous_commit=off"));
        final Path dataDir = cluster.dataDir();
        final Path snapshot = work.resolve("snapshot");
        if (options.records.contains("xact"))
        {
            try (Backend backend = Backend.attach(dataDir))
            {
                BenchRelation.create(backend, XACT_RELATION, XACT_BLOCKS);
            }
        }
        for (final String kind : options.records)
        {
            final long[] made = generate(dataDir, kind);
            progress(format("made %.1f MiB of WAL in %,d records (%s); killing the postmaster (SIGKILL)",
                made[1] / MIB, made[0], kind));
            killPostmaster(dataDir);
            boolean running = false;
            DurableFiles.deleteTree(snapshot);
            copyTree(dataDir, snapshot);
            for (final boolean cold : options.cold ? new boolean[] {false, true} : new boolean[] {false})
            {
                final int n = cold ? options.coldRepeats : options.repeats;
                final double[] replay = new double[n];
                final double[] read = new double[n];
                final double[] readCrc = new double[n];
                long records = 0;
                double mib = 0;
                for (int r = 0; r < n; r++)
                {
                    if (running)
                    {
                        stopServer(dataDir);
                        running = false;
                    }
                    restore(snapshot, dataDir);
                    final List<Path> segments = segments(dataDir);
                    if (cold)
                    {
                        dropFromCache(segments);
                    }
                    read[r] = readAll(segments, null);
                    if (cold)
                    {
                        dropFromCache(segments);
                    }
                    readCrc[r] = readAll(segments, new CRC32C());
                    if (cold)
                    {
                        dropFromCache(segments);
                    }
                    progress((cold ? "cold" : "hot") + ", " + kind + " records, repeat " + (r + 1) + "/" + n
                        + ": starting the postmaster, which replays the WAL");
                    final double[] redo = startAndReplay(dataDir);
                    running = true;
                    records = (long)redo[0];
                    mib = redo[1];
                    replay[r] = redo[1] / redo[2];
                    progress(format("replayed %,d records, %.1f MiB in %.2f s: %.0f MiB/s (FileChannel read %.0f MiB/s,"
                        + " with CRC-32C %.0f MiB/s)", records, redo[1], redo[2], replay[r], read[r], readCrc[r]));
                }
                rows.add(new Row(kind, cold, records, mib, replay, read, readCrc));
            }
            // the server runs on after the last replay, whose end-of-recovery checkpoint put the redo point at
            // the end of this WAL: the next kind's WAL follows it, and the frame's clean-up stops it
        }
        report(out, loadBefore);
    }

    /**
     * Makes records of {@code kind} until {@code --megabytes} of WAL follow the redo point, flushes
     * them and detaches. Returns {records, bytes}.
     */
    private long[] generate(final Path dataDir, final String kind)
    {
        final boolean xact = kind.equals("xact");
        final int size = xact ? XACT_WRITE : Integer.parseInt(kind.substring("noop-".length()));
        final byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++)
        {
            bytes[i] = (byte)(i * 31 + 7);
        }
        final UnsafeBuffer payload = new UnsafeBuffer(bytes);
        try (Backend backend = Backend.attach(dataDir))
        {
            final Wal wal = backend.module(Wal.class);
            final long start = wal.insertPosition();
            final long target = start + (long)options.megabytes * 1024 * 1024;
            progress(format("making %s records from %s until %.0f MiB of WAL", kind, ControlFile.formatLsn(start),
                options.megabytes * 1.0));
            long end = start;
            long records = 0;
            while (end < target)
            {
                if (xact)
                {
                    final Transaction t = backend.begin();
                    t.write(XACT_RELATION, (int)(records % XACT_BLOCKS), XACT_OFFSET, bytes);
                    end = t.commit();
                }
                else
                {
                    end = wal.insert(WalRecordType.NOOP, 0, payload, 0, size, Wal.ANY_REDO, false);
                }
                records++;
            }
            wal.flush(end);
            readBack(wal, start, end, records);
            return new long[] {records, end - start};
        }
    }

    /**
     * Reads the WAL just made back with a {@code WalReader} in this (warm) JVM: every record must be
     * there, or the WAL is damaged and the replay would stop early. Logs the reader's rate.
     */
    private void readBack(final Wal wal, final long start, final long end, final long made)
    {
        final long began = System.nanoTime();
        long lsn = start;
        long read = 0;
        try (WalReader reader = wal.newReader())
        {
            while (lsn < end && reader.read(lsn))
            {
                lsn = reader.nextLsn();
                read++;
            }
            final double seconds = (System.nanoTime() - began) / 1e9;
            if (read != made)
            {
                throw new IllegalStateException(format("the WAL just made and flushed does not read back: %,d of %,d"
                    + " records, to %s of %s: %s", read, made, ControlFile.formatLsn(lsn), ControlFile.formatLsn(end),
                    reader.error()));
            }
            progress(format("read back with a WalReader in this JVM: %,d records, %.0f MiB/s", read,
                (end - start) / MIB / seconds));
        }
    }

    /** Kills the postmaster and its children with SIGKILL, children first, and waits for them to be gone. */
    private static void killPostmaster(final Path dataDir) throws IOException
    {
        final PidFile pidFile = PidFile.read(DataDirectory.of(dataDir).pidFile());
        if (pidFile == null)
        {
            throw new IllegalStateException("no postmaster.pid in \"" + dataDir + "\": is the server running?");
        }
        final ProcessHandle postmaster = ProcessHandle.of(pidFile.pid())
            .orElseThrow(() -> new IllegalStateException("postmaster " + pidFile.pid() + " is not running"));
        final List<ProcessHandle> all = new ArrayList<>(postmaster.descendants().toList());
        all.add(postmaster);
        all.forEach(ProcessHandle::destroyForcibly);
        for (final ProcessHandle p : all)
        {
            try
            {
                p.onExit().get(30, TimeUnit.SECONDS);
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException("process " + p.pid() + " did not exit after SIGKILL: " + ex, ex);
            }
        }
    }

    /** Starts the server (replaying the WAL) and returns the log's {records, MiB, seconds} of the replay. */
    private double[] startAndReplay(final Path dataDir) throws IOException
    {
        final Path log = DataDirectory.of(dataDir).logFile();
        final long logBefore = Files.exists(log) ? Files.size(log) : 0;
        startServer(dataDir);
        final String added;
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ))
        {
            final ByteBuffer bytes = ByteBuffer.allocate((int)(ch.size() - logBefore));
            while (bytes.hasRemaining() && ch.read(bytes, logBefore + bytes.position()) > 0)
            {
                // read to the end
            }
            added = new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8);
        }
        final Matcher m = REDO_DONE.matcher(added);
        if (!m.find())
        {
            throw new IllegalStateException("the server log has no \"redo done at\" line for this start:\n" + added);
        }
        final Matcher end = END_OF_WAL.matcher(added);
        if (end.find())
        {
            progress("the server log says: " + end.group(1));
        }
        return new double[] {Long.parseLong(m.group(1)), number(m.group(2)), number(m.group(3))};
    }

    private static double number(final String text)
    {
        return Double.parseDouble(text.replace(',', '.'));
    }

    private static void startServer(final Path dataDir) throws IOException
    {
        final ByteArrayOutputStream messages = new ByteArrayOutputStream();
        final PrintStream to = new PrintStream(messages, true, StandardCharsets.UTF_8);
        final int rc = ServerControl.start(dataDir, List.of(), null, TIMEOUT_SECONDS, to, to);
        if (rc != 0)
        {
            throw new IllegalStateException("could not start the server (exit code " + rc + "):\n"
                + messages.toString(StandardCharsets.UTF_8));
        }
    }

    private static void stopServer(final Path dataDir)
    {
        final ByteArrayOutputStream messages = new ByteArrayOutputStream();
        final PrintStream to = new PrintStream(messages, true, StandardCharsets.UTF_8);
        final int rc = ServerControl.stop(dataDir, ShutdownMode.FAST, TIMEOUT_SECONDS, to, to);
        if (rc != 0)
        {
            throw new IllegalStateException("could not stop the server (exit code " + rc + "):\n"
                + messages.toString(StandardCharsets.UTF_8));
        }
    }

    /** Whether {@code relative} (a path inside the data directory) is left out of the copy: the log, the pid file, the hash tables. */
    private static boolean leftOut(final Path relative)
    {
        final String first = relative.getNameCount() == 0 ? "" : relative.getName(0).toString();
        return first.equals("log") || first.equals("shm") || first.equals("postmaster.pid");
    }

    /** Copies the data directory's files, but the {@linkplain #leftOut left-out} ones, to {@code to}. */
    private static void copyTree(final Path from, final Path to) throws IOException
    {
        try (Stream<Path> files = Files.walk(from))
        {
            for (final Path p : (Iterable<Path>)files::iterator)
            {
                final Path relative = from.relativize(p);
                if (leftOut(relative))
                {
                    continue;
                }
                final Path target = to.resolve(relative.toString());
                if (Files.isDirectory(p))
                {
                    Files.createDirectories(target);
                }
                else
                {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    /**
     * Puts the data directory back as it was at the crash: the WAL directory emptied (the last run's
     * end-of-recovery checkpoint recycled and added segments), then every file of the snapshot copied in.
     */
    private static void restore(final Path snapshot, final Path dataDir) throws IOException
    {
        try (Stream<Path> files = Files.list(dataDir.resolve(WalSegments.DIRECTORY)))
        {
            for (final Path p : (Iterable<Path>)files::iterator)
            {
                Files.delete(p);
            }
        }
        copyTree(snapshot, dataDir);
    }

    /** The WAL segment files, in name order. */
    private static List<Path> segments(final Path dataDir) throws IOException
    {
        try (Stream<Path> files = Files.list(dataDir.resolve(WalSegments.DIRECTORY)))
        {
            return files.sorted().toList();
        }
    }

    /** fsyncs {@code files} and drops them from the page cache (posix_fadvise DONTNEED, by dd's nocache flag). */
    private static void dropFromCache(final List<Path> files) throws IOException, InterruptedException
    {
        for (final Path f : files)
        {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE))
            {
                ch.force(true);
            }
            final Process dd = new ProcessBuilder("dd", "if=" + f, "iflag=nocache", "count=0", "status=none")
                .redirectErrorStream(true).start();
            final String said = new String(dd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (dd.waitFor() != 0)
            {
                throw new IOException("dd could not drop \"" + f + "\" from the page cache: " + said);
            }
        }
    }

    /** Reads every byte of {@code files} in order with a FileChannel (and {@code crc} over them when given); MiB/s. */
    private static double readAll(final List<Path> files, final CRC32C crc) throws IOException
    {
        final ByteBuffer chunk = ByteBuffer.allocateDirect(READ_CHUNK);
        long bytes = 0;
        final long start = System.nanoTime();
        for (final Path f : files)
        {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ))
            {
                long at = 0;
                while (true)
                {
                    chunk.clear();
                    final int n = ch.read(chunk, at);
                    if (n <= 0)
                    {
                        break;
                    }
                    if (crc != null)
                    {
                        chunk.flip();
                        crc.update(chunk);
                    }
                    at += n;
                }
                bytes += at;
            }
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        return bytes / MIB / seconds;
    }

    // ---------------------------------------------------------------------------------------------- report

    private void report(final PrintStream out, final String loadBefore)
    {
        printHead(out, "WAL: crash recovery's replay rate (issue 6)", loadBefore);
        out.println("- " + options.megabytes + " MiB of WAL per kind of records: xact = commit records of transactions"
            + " that wrote " + XACT_WRITE + " B each to one of " + XACT_BLOCKS + " blocks (replay applies them to the"
            + " pages and the commit log), noop-SIZE = NOOP records of SIZE payload bytes (replay reads, checks and"
            + " skips them: the reader alone); replay figures from the server log's \"redo done\" line (MB there = MiB);"
            + " peers read every segment file (whole files) in the same state of the page cache, right before the"
            + " replay; " + options.repeats + " hot repeats" + (options.cold ? ", " + options.coldRepeats + " cold" : "")
            + "; total " + elapsedSeconds() + " s");
        out.println();
        out.println("MiB/s, median (lowest – highest) of the repeats; ratio = replay / FileChannel read (1 = as fast as"
            + " reading the files).");
        out.println();
        out.println("| records | page cache | WAL replayed | replay MiB/s | FileChannel read MiB/s | read + CRC-32C MiB/s |"
            + " replay / read | replay / read + CRC |");
        out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (final Row row : rows)
        {
            out.println("| " + row.kind() + " | " + (row.cold() ? "cold" : "hot")
                + " | " + format("%.0f MiB, %,d records", row.mib(), row.records())
                + " | " + range(row.replay())
                + " | " + range(row.read())
                + " | " + range(row.readCrc())
                + " | " + format("%.2f", median(row.replay()) / median(row.read()))
                + " | " + format("%.2f", median(row.replay()) / median(row.readCrc())) + " |");
        }
        out.println();
        out.println("### Goal (issue 6): replay ≥ 200 MB/s (= 190.7 MiB/s)");
        out.println();
        out.println("| records | page cache | replay MiB/s | met |");
        out.println("| --- | --- | ---: | :---: |");
        for (final Row row : rows)
        {
            out.println("| " + row.kind() + " | " + (row.cold() ? "cold" : "hot") + " | "
                + format("**%.0f**", median(row.replay())) + " | "
                + (median(row.replay()) * MIB / 1e6 >= 200 ? "yes" : "no") + " |");
        }
        out.println();
    }

    private static String range(final double[] values)
    {
        return values.length == 1 ? format("**%.0f**", values[0])
            : format("**%.0f** (%.0f – %.0f)", median(values), min(values), max(values));
    }

    @Override
    void killChildren()
    {
        // the cluster is the only child; the frame's clean-up stops it
    }

    @Override
    void stopChildren()
    {
        // nothing attached or mapped outside run()
    }

    /** The command line. */
    static final class Options
    {
        String[] args = new String[0];
        int megabytes = 256;
        List<String> records = KNOWN_RECORDS;
        int repeats = 3;
        int coldRepeats = 2;
        boolean cold = true;

        static void usage(final PrintStream out)
        {
            out.println("""
                Usage: ReplayRate [options]      (bench/run-wal runs it)

                Crash recovery's replay rate: makes WAL of NOOP records, kills the postmaster with SIGKILL and
                times the replay at the next start (the server log's "redo done" line), next to reading the
                same segment files with a FileChannel, with the page cache hot and cold.

                  --megabytes N        MiB of WAL to replay per kind of records (default 256)
                  --records LIST       comma-separated kinds of records (default xact,noop-100,noop-8192):
                                       xact (transactions writing 100 B each), noop-SIZE (NOOP records of
                                       SIZE payload bytes, 1 to 262144)
                  --repeats N          replays with the files in the page cache (default 3)
                  --cold-repeats N     replays with the files dropped from the page cache (default 2)
                  --no-cold            no cold replays
                  --quick              --megabytes 32 --repeats 1 --cold-repeats 1 (a smoke test)
                  -h, --help           this text""");
        }

        static Options read(final String[] args)
        {
            final Options o = new Options();
            o.args = args.clone();
            if (List.of(args).contains("--quick"))
            {
                o.megabytes = 32;
                o.repeats = 1;
                o.coldRepeats = 1;
            }
            for (int i = 0; i < args.length; i++)
            {
                switch (args[i])
                {
                    case "--quick" ->
                    {
                        // applied above
                    }
                    case "--megabytes" -> o.megabytes = positive(value(args, ++i, args[i - 1]), "--megabytes");
                    case "--repeats" -> o.repeats = positive(value(args, ++i, args[i - 1]), "--repeats");
                    case "--cold-repeats" -> o.coldRepeats = positive(value(args, ++i, args[i - 1]), "--cold-repeats");
                    case "--no-cold" -> o.cold = false;
                    case "--records" ->
                    {
                        o.records = List.of(value(args, ++i, args[i - 1]).split(","));
                        for (final String kind : o.records)
                        {
                            if (!kind.equals("xact") && !kind.matches("noop-[0-9]+"))
                            {
                                throw new IllegalArgumentException("--records: unknown kind \"" + kind
                                    + "\" (known: xact, noop-SIZE)");
                            }
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown option \"" + args[i] + "\"");
                }
            }
            if (o.records.stream().anyMatch(k -> k.startsWith("noop-") && (k.length() > 11
                || Integer.parseInt(k.substring(5)) < 1 || Integer.parseInt(k.substring(5)) > 256 * 1024)))
            {
                throw new IllegalArgumentException("--records: a NOOP record's payload is 1 to 262144 bytes here");
            }
            return o;
        }
    }
}
