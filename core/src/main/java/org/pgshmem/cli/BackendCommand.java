package org.pgshmem.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

import org.pgshmem.backend.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code pgshmem backend -D DIR}: a backend driven by lines on stdin, one answer a line
 * ({@code ok ...} or {@code error: ...}); the first line is {@code ok pid=<pid>} once attached.
 * The command language is in docs/BACKEND_COMMANDS.md.
 */
@Command(name = "backend", mixinStandardHelpOptions = true, version = PgShmemCli.VERSION, description = "Attach as a backend and run commands read from stdin, one a line.")
final class BackendCommand implements Callable<Integer>
{
    @Mixin
    DataDirOption dataDir;

    @Override
    public Integer call() throws Exception
    {
        final Backend backend;
        try
        {
            backend = Backend.attach(dataDir.get());
        }
        catch (final org.pgshmem.util.PgException ex)
        {
            System.out.println("error: " + ex.getMessage());
            System.out.flush();
            return 1;
        }
        final BackendShell shell = new BackendShell(backend, System.out);
        try
        {
            shell.watchForShutdown();
            System.out.println("ok pid=" + backend.pid());
            System.out.flush();
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null)
            {
                if (!shell.execute(line))
                {
                    break;
                }
            }
            return 0;
        }
        finally
        {
            // the watcher reads the segment: it must be gone before the unmap
            shell.stopWatching();
            backend.close();
        }
    }
}
