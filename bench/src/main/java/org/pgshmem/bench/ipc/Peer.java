package org.pgshmem.bench.ipc;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The child process of a contender: {@code Peer <contender> <parent pid> <args...>}. Sets up
 * its side, says {@code ready}, then does what the parent's lines ask (see {@link PeerProcess})
 * until {@code quit} or the end of its input. Started by {@link MessagingBenchmark}; not for
 * running by hand.
 */
public final class Peer
{
    private Peer()
    {
    }

    /**
     * Runs the child's side of one contender.
     *
     * @param args contender name, parent pid, then the contender's own arguments
     */
    public static void main(final String[] args)
    {
        final PrintStream out = System.out;
        try
        {
            final String contender = args[0];
            final long parentPid = Long.parseLong(args[1]);
            final ProcessHandle parent = ProcessHandle.of(parentPid)
                .orElseThrow(() -> new IllegalStateException("the benchmark process " + parentPid + " is gone"));
            try (PeerSide side = open(contender, parentPid, args))
            {
                say(out, "ready");
                serve(side, parent, new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), out);
            }
            say(out, "bye");
        }
        catch (final Throwable ex)
        {
            say(out, "error " + String.valueOf(ex).replace('\n', ' '));
            ex.printStackTrace();
            System.exit(1);
        }
    }

    private static PeerSide open(final String contender, final long parentPid, final String[] args) throws Exception
    {
        return switch (contender)
        {
            case PgshmemContender.NAME -> new PgshmemContender.Side(Path.of(args[2]), parentPid);
            case AgronaContender.NAME -> AgronaContender.Side.overMappedFile(Path.of(args[2]), Integer.parseInt(args[3]));
            case AgronaContender.INBOX_NAME -> AgronaContender.Side.overInboxes(Path.of(args[2]), parentPid);
            case FloorContender.NAME -> new FloorContender.Side(Path.of(args[2]));
            case SocketContender.NAME, SocketContender.BATCHED_NAME -> new SocketContender.Side(Path.of(args[2]));
            default -> throw new IllegalArgumentException("unknown contender \"" + contender + "\"");
        };
    }

    private static void serve(final PeerSide side, final ProcessHandle parent, final BufferedReader in,
        final PrintStream out) throws Exception
    {
        String line;
        while ((line = in.readLine()) != null)
        {
            final String[] words = line.split(" ");
            switch (words[0])
            {
                case "echo", "receive" ->
                {
                    final int count = Integer.parseInt(words[1]);
                    final int size = Integer.parseInt(words[2]);
                    final long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(words[3]));
                    final SpinWatch watch = new SpinWatch("peer " + line, timeoutNanos, "the benchmark process "
                        + parent.pid(), parent::isAlive);
                    final long switches = ThreadStats.involuntarySwitches();
                    say(out, "go");
                    final long allocated = ThreadStats.allocatedBytes();
                    if (words[0].equals("echo"))
                    {
                        side.echo(count, size, watch);
                    }
                    else
                    {
                        side.receive(count, size, watch);
                    }
                    final long allocatedDuring = ThreadStats.allocatedBytes() - allocated;
                    say(out, "done " + allocatedDuring + " " + (ThreadStats.involuntarySwitches() - switches));
                }
                case "quit" ->
                {
                    return;
                }
                default -> throw new IllegalArgumentException("unknown command \"" + line + "\"");
            }
        }
    }

    private static void say(final PrintStream out, final String line)
    {
        out.println(line);
        out.flush();
    }
}
