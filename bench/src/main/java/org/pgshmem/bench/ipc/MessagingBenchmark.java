package org.pgshmem.bench.ipc;

import static org.pgshmem.bench.ipc.Figures.*;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.HdrHistogram.Histogram;
import org.pgshmem.backend.Backend;
import org.pgshmem.bench.BenchCluster;
import org.pgshmem.settings.Settings;

/**
 * Messaging between two processes (issue 3): pgshmem's inboxes next to raw Agrona, the
 * cache-line floor and a Unix-domain socket, measured in one run on the same machine.
 *
 * <p>This process is one side of every measurement; each contender has one child JVM
 * ({@link Peer}, started with {@code ChildJvm.command}) as the other. A throwaway cluster
 * ({@link BenchCluster}) is started once, when pgshmem is among the contenders. Then:
 * <ul>
 *   <li>a warm-up round that records nothing: every contender's ping-pong and streams;</li>
 *   <li>{@code --repeats} rounds, each running every contender in turn (the order rotates from
 *       round to round, so that a change in the machine's load falls on all of them):
 *       a share of the ping-pong round trips, recorded in an HdrHistogram, and one stream per
 *       message size, timed from the first send to the receiver's ack.</li>
 * </ul>
 * Both sides busy-poll for the shared-memory contenders; the socket's sides block. The
 * measured loops allocate nothing (the checks table shows the bytes each side's thread
 * allocated). It prints Markdown tables and the ratios the goals are about; it never
 * judges a run as failed because of a ratio.
 *
 * <p>Run it with {@code bench/run-messaging} ({@code --help} lists the options).
 */
public final class MessagingBenchmark extends Driver
{
    static final List<String> DEFAULT_CONTENDERS = List.of(PgshmemContender.NAME, AgronaContender.NAME,
        FloorContender.NAME, SocketContender.NAME, SocketContender.BATCHED_NAME);
    static final List<String> ALL_CONTENDERS = List.of(PgshmemContender.NAME, AgronaContender.NAME,
        AgronaContender.INBOX_NAME, FloorContender.NAME, SocketContender.NAME, SocketContender.BATCHED_NAME);

    /** Goals from issue 3. */
    static final double THROUGHPUT_VS_AGRONA_GOAL = 0.90;
    static final double P50_VS_FLOOR_GOAL = 1.2;
    static final double THROUGHPUT_VS_SOCKET_GOAL = 20;

    private static final String SCRIPT = "run-messaging";

    private final Options options;
    /** Written by the main thread, read by the shutdown hook. */
    private final List<Contender> contenders = new CopyOnWriteArrayList<>();
    private final List<Results> results = new ArrayList<>();
    private Backend backend;

    private MessagingBenchmark(final Options options)
    {
        super(SCRIPT, options.args);
        this.options = options;
    }

    /**
     * Runs the benchmark and prints its tables to stdout, progress to stderr. Exit code 0 when
     * it ran (whatever the ratios), 1 when it failed, 2 for a bad option (0 after {@code --help}).
     *
     * @param args options; {@code --help} lists them
     */
    public static void main(final String[] args)
    {
        new MessagingBenchmark(parse(SCRIPT, args, Options::parse, Options::usage)).runAndExit();
    }

    @Override
    void run(final PrintStream out) throws IOException, InterruptedException
    {
        final String loadBefore = Machine.loadAverage();
        work = MappedFiles.createWorkDirectory();
        final Duration phaseTimeout = options.phaseTimeout;
        int capacity = (int)Settings.defaults().getBytes("inbox_size");
        if (options.contenders.contains(PgshmemContender.NAME) || options.contenders.contains(AgronaContender.INBOX_NAME))
        {
            progress("starting a cluster");
            cluster = BenchCluster.start();
            backend = Backend.attach(cluster.dataDir());
            capacity = backend.procArray().inbox(backend.slot()).capacity();
        }
        for (final String name : options.contenders)
        {
            progress("starting the " + name + " peer");
            final Contender contender = switch (name)
            {
                case PgshmemContender.NAME -> PgshmemContender.start(backend, cluster.dataDir(), phaseTimeout);
                case AgronaContender.NAME -> AgronaContender.overMappedFile(work.resolve("agrona-rings"), capacity,
                    phaseTimeout);
                case AgronaContender.INBOX_NAME -> AgronaContender.overInboxes(backend, cluster.dataDir(), phaseTimeout);
                case FloorContender.NAME -> FloorContender.start(work.resolve("floor-lines"), phaseTimeout);
                case SocketContender.NAME -> SocketContender.start(work.resolve("socket"), false, phaseTimeout);
                case SocketContender.BATCHED_NAME -> SocketContender.start(work.resolve("socket-batched"), true,
                    phaseTimeout);
                default -> throw new IllegalArgumentException("unknown contender " + name);
            };
            contenders.add(contender);
            results.add(new Results(contender, options.sizes.length, options.repeats));
        }

        final Histogram scratch = new Histogram(Wire.MAX_RECORDED_NANOS, 3);
        for (final Contender contender : contenders)
        {
            if (contender.measuresLatency())
            {
                final int roundTrips = contender.slow() ? options.socketWarmupRoundTrips : options.warmupRoundTrips;
                progress("warm-up: " + contender.name() + " ping-pong, " + count(roundTrips) + " round trips");
                contender.pingPong(roundTrips, options.latencySize, scratch);
            }
            if (contender.measuresThroughput())
            {
                for (int s = 0; s < options.sizes.length; s++)
                {
                    final int messages = Math.max(1, messages(contender, s) / 4);
                    progress("warm-up: " + contender.name() + " stream, " + count(messages) + " × "
                        + options.sizes[s] + " B");
                    contender.stream(messages, options.sizes[s]);
                }
            }
        }

        for (int round = 0; round < options.repeats; round++)
        {
            for (int k = 0; k < contenders.size(); k++)
            {
                final int index = (k + round) % contenders.size();
                measure(contenders.get(index), results.get(index), round);
            }
        }
        report(out, capacity, loadBefore);
    }

    private void measure(final Contender contender, final Results result, final int round)
    {
        final String where = "round " + (round + 1) + "/" + options.repeats + ": " + contender.name();
        final PeerProcess peer = contender.peer();
        if (contender.measuresLatency())
        {
            final int total = contender.slow() ? options.socketRoundTrips : options.roundTrips;
            final int roundTrips = total / options.repeats + (round == options.repeats - 1 ? total % options.repeats : 0);
            progress(where + " ping-pong, " + count(roundTrips) + " round trips");
            result.roundHistogram.reset();
            contender.pingPong(roundTrips, options.latencySize, result.roundHistogram);
            result.roundTrip.add(result.roundHistogram);
            result.p50ByRound[round] = result.roundHistogram.getValueAtPercentile(50);
            result.latencyPreemptions[0] += peer.ownPreemptions();
            result.latencyPreemptions[1] += peer.preemptions();
            result.allocated[0] += peer.ownAllocatedBytes();
            result.allocated[1] += peer.allocatedBytes();
        }
        if (contender.measuresThroughput())
        {
            for (int s = 0; s < options.sizes.length; s++)
            {
                final int messages = messages(contender, s);
                progress(where + " stream, " + count(messages) + " × " + options.sizes[s] + " B");
                final long nanos = contender.stream(messages, options.sizes[s]);
                result.rates[s][round] = messages * 1e9 / nanos;
                result.allocated[0] += peer.ownAllocatedBytes();
                result.allocated[1] += peer.allocatedBytes();
            }
        }
    }

    private int messages(final Contender contender, final int sizeIndex)
    {
        return contender.slow() ? options.socketMessages[sizeIndex] : options.messages[sizeIndex];
    }

    // ---------------------------------------------------------------------------------------------- report

    private void report(final PrintStream out, final int capacity, final String loadBefore)
    {
        printHead(out, "Messaging between two processes (issue 3)", loadBefore);
        out.println("- cores busy during the run: 2 (both processes spinning for pgshmem, raw Agrona and the floor;"
            + " the Unix socket's two sides block in the kernel instead)");
        out.println("- also running: " + (cluster != null ? "the cluster (postmaster, bgwriter, checkpointer; idle),"
            + " the heartbeat threads of the attached processes, " : "")
            + "the other contenders' peers (idle, blocked reading their stdin)");
        out.println("- ring capacity: " + capacity + " B (inbox_size) for pgshmem's inbox and for each raw Agrona ring;"
            + " message type " + Wire.TYPE + "; payload = sequence number + filler");
        out.println("- warm-up: " + count(options.warmupRoundTrips) + " round trips (socket "
            + count(options.socketWarmupRoundTrips) + ") and a quarter of each stream, not recorded; then "
            + options.repeats + " rounds, contenders interleaved, order rotating each round; total "
            + elapsedSeconds() + " s");
        out.println();

        final List<Results> latency = results.stream().filter(r -> r.contender.measuresLatency()).toList();
        if (!latency.isEmpty())
        {
            out.println("### One-way latency, " + options.latencySize
                + " B messages, by ping-pong (one-way = round trip / 2)");
            out.println();
            out.println("| contender | round trips | p50 | p99 | p99.9 | max | mean | preempted (this / peer) |");
            out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            for (final Results r : latency)
            {
                final Histogram h = r.roundTrip;
                out.println("| " + r.contender.label() + " | " + count(h.getTotalCount())
                    + " | " + nanos(h.getValueAtPercentile(50) / 2.0)
                    + " | " + nanos(h.getValueAtPercentile(99) / 2.0)
                    + " | " + nanos(h.getValueAtPercentile(99.9) / 2.0)
                    + " | " + nanos(h.getMaxValue() / 2.0)
                    + " | " + nanos(h.getMean() / 2.0)
                    + " | " + r.latencyPreemptions[0] + " / " + r.latencyPreemptions[1] + " |");
            }
            out.println();
        }

        final List<Results> throughput = results.stream().filter(r -> r.contender.measuresThroughput()).toList();
        if (!throughput.isEmpty())
        {
            out.println("### Throughput, one process streaming to the other (M messages/s, median of " + options.repeats
                + " (lowest – highest); timed from the first send to the receiver's ack)");
            out.println();
            final StringBuilder header = new StringBuilder("| contender |");
            final StringBuilder rule = new StringBuilder("| --- |");
            for (final int size : options.sizes)
            {
                header.append(' ').append(size).append(" B |");
                rule.append(" ---: |");
            }
            header.append(" messages per repeat |");
            rule.append(" ---: |");
            out.println(header);
            out.println(rule);
            for (final Results r : throughput)
            {
                final StringBuilder row = new StringBuilder("| " + r.contender.label() + " |");
                final List<String> counts = new ArrayList<>();
                for (int s = 0; s < options.sizes.length; s++)
                {
                    final double[] rates = r.rates[s];
                    row.append(' ').append(format("**%.2f** (%.2f – %.2f)", median(rates) / 1e6,
                        min(rates) / 1e6, max(rates) / 1e6)).append(" |");
                    counts.add(count(messages(r.contender, s)));
                }
                row.append(' ').append(String.join(" / ", counts)).append(" |");
                out.println(row);
            }
            out.println();
        }

        printRatios(out);

        out.println("### Checks");
        out.println();
        out.println("| contender | bytes allocated by the measuring threads in measured phases (this / peer) |");
        out.println("| --- | ---: |");
        for (final Results r : results)
        {
            out.println("| " + r.contender.label() + " | " + r.allocated[0] + " / " + r.allocated[1] + " |");
        }
        out.println();
        out.println("Every message was checked: ping-pong replies carry the sequence number sent, stream receivers"
            + " count messages out of sequence (all zero, or the run would have failed).");
    }

    private void printRatios(final PrintStream out)
    {
        final Results pgshmem = find(PgshmemContender.NAME);
        final Results agrona = find(AgronaContender.NAME);
        final Results inbox = find(AgronaContender.INBOX_NAME);
        final Results floor = find(FloorContender.NAME);
        final Results socket = find(SocketContender.NAME);
        final Results batched = find(SocketContender.BATCHED_NAME);
        if (pgshmem == null)
        {
            return;
        }
        out.println("### Ratios and the goals of issue 3");
        out.println();
        out.println("measured: the ratio of the figures above (medians for throughput), in brackets the lowest and"
            + " highest of the same ratio taken round by round (the two ran back to back in each round); best: the"
            + " ratio of the two best repeats, the least disturbed by other load. The goal is read against the"
            + " measured ratio.");
        out.println();
        out.println("| ratio | measured | best | goal | within goal |");
        out.println("| --- | ---: | ---: | ---: | :---: |");
        for (int s = 0; s < options.sizes.length; s++)
        {
            final int size = options.sizes[s];
            if (agrona != null)
            {
                throughputRatio(out, "pgshmem throughput / raw Agrona throughput, " + size + " B", pgshmem, agrona, s,
                    "≥ " + format("%.2f", THROUGHPUT_VS_AGRONA_GOAL), THROUGHPUT_VS_AGRONA_GOAL, true);
            }
        }
        if (floor != null)
        {
            final double ratio = (double)pgshmem.roundTrip.getValueAtPercentile(50)
                / floor.roundTrip.getValueAtPercentile(50);
            final double[] byRound = new double[options.repeats];
            for (int r = 0; r < options.repeats; r++)
            {
                byRound[r] = (double)pgshmem.p50ByRound[r] / floor.p50ByRound[r];
            }
            out.println("| pgshmem p50 / floor p50 (one-way latency) | " + format("**%.2f** (%.2f – %.2f)", ratio,
                min(byRound), max(byRound)) + " | – | ≤ " + format("%.1f", P50_VS_FLOOR_GOAL) + " | "
                + (ratio <= P50_VS_FLOOR_GOAL ? "yes" : "no") + " |");
        }
        for (int s = 0; s < options.sizes.length; s++)
        {
            final int size = options.sizes[s];
            if (socket != null)
            {
                throughputRatio(out, "pgshmem throughput / Unix socket throughput (one write per message), " + size
                    + " B", pgshmem, socket, s, "≥ " + format("%.0f", THROUGHPUT_VS_SOCKET_GOAL),
                    THROUGHPUT_VS_SOCKET_GOAL, true);
            }
        }
        // for reading the ones above: no goal
        if (agrona != null && floor != null)
        {
            out.println("| raw Agrona p50 / floor p50 (one-way latency) | " + format("%.2f",
                (double)agrona.roundTrip.getValueAtPercentile(50) / floor.roundTrip.getValueAtPercentile(50))
                + " | – | – | – |");
        }
        if (agrona != null)
        {
            out.println("| pgshmem p50 / raw Agrona p50 (one-way latency) | " + format("%.2f",
                (double)pgshmem.roundTrip.getValueAtPercentile(50) / agrona.roundTrip.getValueAtPercentile(50))
                + " | – | – | – |");
        }
        for (int s = 0; s < options.sizes.length; s++)
        {
            final int size = options.sizes[s];
            if (agrona != null && socket != null)
            {
                throughputRatio(out, "raw Agrona throughput / Unix socket throughput (one write per message), " + size
                    + " B", agrona, socket, s, "–", 0, false);
            }
            if (batched != null)
            {
                throughputRatio(out, "pgshmem throughput / Unix socket throughput (batched writes), " + size + " B",
                    pgshmem, batched, s, "–", 0, false);
            }
            if (inbox != null)
            {
                throughputRatio(out, "pgshmem throughput / its own inboxes with raw Agrona calls, " + size + " B",
                    pgshmem, inbox, s, "–", 0, false);
            }
        }
        if (socket != null)
        {
            out.println("| Unix socket p50 / pgshmem p50 (one-way latency) | " + format("%.0f",
                (double)socket.roundTrip.getValueAtPercentile(50) / pgshmem.roundTrip.getValueAtPercentile(50))
                + " | – | – | – |");
        }
        out.println();
    }

    private void throughputRatio(final PrintStream out, final String what, final Results a, final Results b,
        final int sizeIndex, final String goal, final double goalValue, final boolean judged)
    {
        final double ratio = median(a.rates[sizeIndex]) / median(b.rates[sizeIndex]);
        final double[] byRound = new double[options.repeats];
        for (int r = 0; r < options.repeats; r++)
        {
            byRound[r] = a.rates[sizeIndex][r] / b.rates[sizeIndex][r];
        }
        final double best = max(a.rates[sizeIndex]) / max(b.rates[sizeIndex]);
        final String pattern = ratio >= 10 ? "**%.1f** (%.1f – %.1f)" : "**%.2f** (%.2f – %.2f)";
        out.println("| " + what + " | " + format(pattern, ratio, min(byRound), max(byRound)) + " | "
            + format(best >= 10 ? "%.1f" : "%.2f", best) + " | " + goal + " | "
            + (judged ? (ratio >= goalValue ? "yes" : "no") : "–") + " |");
    }

    private Results find(final String name)
    {
        for (final Results r : results)
        {
            if (r.contender.name().equals(name))
            {
                return r;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------- clean-up

    /** The shutdown hook's part: kill the children; the cluster has a hook of its own. */
    @Override
    void killChildren()
    {
        for (final Contender contender : contenders)
        {
            contender.peer().kill();
        }
    }

    /** Stops every child and detaches; the frame then stops the cluster and removes the files. */
    @Override
    void stopChildren()
    {
        for (final Contender contender : contenders)
        {
            try
            {
                contender.close();
            }
            catch (final RuntimeException ex)
            {
                log.println(SCRIPT + ": could not stop the " + contender.name() + " peer: " + ex);
            }
        }
        if (backend != null)
        {
            try
            {
                backend.close();
            }
            catch (final RuntimeException ex)
            {
                log.println(SCRIPT + ": could not detach from the cluster: " + ex);
            }
        }
    }

    /** What one contender measured over the recorded rounds. */
    private static final class Results
    {
        final Contender contender;
        final Histogram roundTrip = new Histogram(Wire.MAX_RECORDED_NANOS, 3);
        final Histogram roundHistogram = new Histogram(Wire.MAX_RECORDED_NANOS, 3);
        final long[] p50ByRound;
        /** Messages per second, by size index and round. */
        final double[][] rates;
        /** This process's measuring thread, then the peer's. */
        final long[] latencyPreemptions = new long[2];
        final long[] allocated = new long[2];

        Results(final Contender contender, final int sizes, final int rounds)
        {
            this.contender = contender;
            this.p50ByRound = new long[rounds];
            this.rates = new double[sizes][rounds];
        }
    }

    /** The command line. */
    static final class Options
    {
        String[] args = new String[0];
        List<String> contenders = DEFAULT_CONTENDERS;
        int latencySize = 32;
        int[] sizes = {32, 256};
        int roundTrips = 1_000_000;
        int warmupRoundTrips = 200_000;
        int socketRoundTrips = 200_000;
        int socketWarmupRoundTrips = 20_000;
        int[] messages = {20_000_000, 5_000_000};
        int[] socketMessages = {2_000_000, 2_000_000};
        int repeats = 5;
        Duration phaseTimeout = Duration.ofSeconds(120);

        static void usage(final PrintStream out)
        {
            out.println("""
                Usage: bench/run-messaging [options]

                Measures messaging between this process and child processes: pgshmem's inboxes, raw Agrona
                ManyToOneRingBuffers over a mapped file, a cache-line ping-pong (the floor) and a Unix-domain
                socket; prints Markdown tables and the ratios issue 3 sets goals for. Defaults take about
                2 to 3 minutes on 2 cores.

                  --contenders LIST           comma-separated, in this order by default:
                                              pgshmem,agrona,floor,socket,socket-batched
                                              also: inbox (pgshmem's inboxes driven by raw Agrona calls: a diagnostic)
                  --latency-size BYTES        ping-pong message size (default 32)
                  --round-trips N             recorded ping-pong round trips per contender (default 1,000,000)
                  --warmup-round-trips N      unrecorded ones before (default 200,000)
                  --socket-round-trips N      the same for the Unix socket, whose round trip is ~100× longer
                  --socket-warmup-round-trips N   (defaults 200,000 and 20,000)
                  --sizes LIST                stream message sizes, bytes (default 32,256; 8 to 8192)
                  --messages LIST             messages per stream, one per size (default 20000000,5000000)
                  --socket-messages LIST      the same for the socket written once per message (default 2000000,2000000)
                  --repeats N                 recorded rounds (default 5); round trips are shared among them,
                                              each round streams every size once
                  --phase-timeout SECONDS     a phase that takes longer fails the run (default 120)
                  --quick                     a tenth of every count and 2 repeats (a smoke test, well under a minute);
                                              options given as well still apply
                  -h, --help                  this text
                Numbers may contain underscores: 20_000_000.""");
        }

        static Options parse(final String[] args)
        {
            final Options o = new Options();
            o.args = args.clone();
            if (Arrays.asList(args).contains("--quick"))
            {
                o.roundTrips = 100_000;
                o.warmupRoundTrips = 50_000;
                o.socketRoundTrips = 10_000;
                o.socketWarmupRoundTrips = 2_000;
                o.messages = new int[] {2_000_000, 500_000};
                o.socketMessages = new int[] {200_000, 200_000};
                o.repeats = 2;
            }
            boolean messagesGiven = false;
            boolean socketMessagesGiven = false;
            for (int i = 0; i < args.length; i++)
            {
                final String arg = args[i];
                switch (arg)
                {
                    case "--quick" ->
                    {
                        // applied above, before the options that may override it
                    }
                    case "--contenders" -> o.contenders = names(value(args, ++i, arg), ALL_CONTENDERS, arg,
                        "contender");
                    case "--latency-size" -> o.latencySize = size(value(args, ++i, arg));
                    case "--round-trips" -> o.roundTrips = positive(value(args, ++i, arg), arg);
                    case "--warmup-round-trips" -> o.warmupRoundTrips = positive(value(args, ++i, arg), arg);
                    case "--socket-round-trips" -> o.socketRoundTrips = positive(value(args, ++i, arg), arg);
                    case "--socket-warmup-round-trips" -> o.socketWarmupRoundTrips = positive(value(args, ++i, arg),
                        arg);
                    case "--sizes" ->
                    {
                        final String[] parts = value(args, ++i, arg).split(",");
                        o.sizes = new int[parts.length];
                        for (int k = 0; k < parts.length; k++)
                        {
                            o.sizes[k] = size(parts[k]);
                        }
                    }
                    case "--messages" ->
                    {
                        o.messages = counts(value(args, ++i, arg), arg);
                        messagesGiven = true;
                    }
                    case "--socket-messages" ->
                    {
                        o.socketMessages = counts(value(args, ++i, arg), arg);
                        socketMessagesGiven = true;
                    }
                    case "--repeats" -> o.repeats = positive(value(args, ++i, arg), arg);
                    case "--phase-timeout" -> o.phaseTimeout = Duration.ofSeconds(positive(value(args, ++i, arg), arg));
                    default -> throw new IllegalArgumentException("unknown option \"" + arg + "\"");
                }
            }
            o.messages = perSize(o.messages, o.sizes.length, messagesGiven, "--messages");
            o.socketMessages = perSize(o.socketMessages, o.sizes.length, socketMessagesGiven, "--socket-messages");
            if (o.roundTrips < o.repeats || o.socketRoundTrips < o.repeats)
            {
                throw new IllegalArgumentException("fewer round trips than repeats: each round needs some");
            }
            return o;
        }

        /** One count per size: as given, or the default's first count for every size when the sizes changed. */
        private static int[] perSize(final int[] counts, final int sizes, final boolean given, final String option)
        {
            if (counts.length == sizes)
            {
                return counts;
            }
            if (given)
            {
                throw new IllegalArgumentException(option + " gives " + counts.length + " counts for " + sizes
                    + " sizes: give one count per size, in the order of --sizes");
            }
            final int[] out = new int[sizes];
            Arrays.fill(out, counts[0]);
            return out;
        }

        private static int[] counts(final String text, final String option)
        {
            final String[] parts = text.split(",");
            final int[] out = new int[parts.length];
            for (int k = 0; k < parts.length; k++)
            {
                out[k] = positive(parts[k], option);
            }
            return out;
        }

        private static int size(final String text)
        {
            final int size = positive(text, "message size");
            if (size < Wire.MIN_SIZE || size > Wire.MAX_SIZE)
            {
                throw new IllegalArgumentException("message size " + size + " is out of range (" + Wire.MIN_SIZE
                    + " to " + Wire.MAX_SIZE + " bytes: the sequence number must fit, and a 64 KiB ring takes at most"
                    + " 8 KiB)");
            }
            return size;
        }
    }
}
