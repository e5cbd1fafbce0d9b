package org.pgshmem.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.pgshmem.postmaster.ChildJvm;

/**
 * A child process driven by lines: send a line to its stdin, wait for a line of its stdout with
 * a deadline. What the demo and the multi-process tests use to script {@code pgshmem backend}.
 * Closing it kills the process if it still runs.
 */
public final class LineProcess implements AutoCloseable
{
    private static final String EOF = new String("<eof>");

    private final String name;
    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Deque<String> stderrTail = new ArrayDeque<>();

    private LineProcess(final String name, final Process process)
    {
        this.name = name;
        this.process = process;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        pump(process.getInputStream(), true);
        pump(process.getErrorStream(), false);
    }

    /** Starts {@code command} as a child process called {@code name} in messages. */
    public static LineProcess start(final String name, final List<String> command) throws IOException
    {
        return new LineProcess(name, new ProcessBuilder(command).start());
    }

    /** Starts a child JVM running {@code mainClass} with the project's JVM flags and this class path. */
    public static LineProcess startJvm(final String name, final String mainClass, final List<String> args)
        throws IOException
    {
        return start(name, ChildJvm.command(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), mainClass, args));
    }

    /** Starts {@code pgshmem backend -D dataDir} as a child JVM. */
    public static LineProcess startBackend(final String name, final java.nio.file.Path dataDir) throws IOException
    {
        return startJvm(name, PgShmemCli.class.getName(), List.of("backend", "-D", dataDir.toString()));
    }

    private void pump(final java.io.InputStream in, final boolean stdout)
    {
        final Thread t = new Thread(() ->
        {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = r.readLine()) != null)
                {
                    if (stdout)
                    {
                        lines.add(line);
                    }
                    else
                    {
                        synchronized (stderrTail)
                        {
                            stderrTail.addLast(line);
                            if (stderrTail.size() > 40)
                            {
                                stderrTail.removeFirst();
                            }
                        }
                    }
                }
            }
            catch (final IOException ignored)
            {
                // the process is gone
            }
            finally
            {
                if (stdout)
                {
                    lines.add(EOF);
                }
            }
        }, name + (stdout ? "-stdout" : "-stderr"));
        t.setDaemon(true);
        t.start();
    }

    /** The child's pid. */
    public long pid()
    {
        return process.pid();
    }

    /** The process. */
    public Process process()
    {
        return process;
    }

    /** Writes {@code line} to the child's stdin. */
    public void send(final String line) throws IOException
    {
        stdin.write(line);
        stdin.write('\n');
        stdin.flush();
    }

    /** The next line of stdout; an exception naming the child and its stderr when none comes in time. */
    public String readLine(final Duration timeout) throws InterruptedException
    {
        final String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (line == null)
        {
            throw new IllegalStateException(name + " (PID " + pid() + ") wrote no line within " + timeout
                + "; its stderr ends with:\n" + stderrTail());
        }
        if (line == EOF)
        {
            lines.add(EOF);
            throw new IllegalStateException(name + " (PID " + pid() + ") closed its output"
                + (process.isAlive() ? "" : " and exited with " + process.exitValue()) + "; its stderr ends with:\n"
                + stderrTail());
        }
        return line;
    }

    /** Sends {@code line} and returns the answer. */
    public String ask(final String line, final Duration timeout) throws IOException, InterruptedException
    {
        send(line);
        return readLine(timeout);
    }

    /** The last lines the child wrote to stderr. */
    public String stderrTail()
    {
        synchronized (stderrTail)
        {
            return String.join("\n", stderrTail);
        }
    }

    /** Waits for the child to exit; returns its exit code, or kills it and throws after the timeout. */
    public int waitFor(final Duration timeout) throws InterruptedException
    {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly();
            throw new IllegalStateException(name + " (PID " + pid() + ") did not exit within " + timeout);
        }
        return process.exitValue();
    }

    /** Kills the child if it still runs. */
    @Override
    public void close()
    {
        if (process.isAlive())
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
