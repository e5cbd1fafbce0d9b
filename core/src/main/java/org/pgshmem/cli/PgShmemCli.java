package org.pgshmem.cli;

import org.pgshmem.util.PgException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code pgshmem}: initdb, pg_ctl, pg_controldata and friends in one command. Each subcommand
 * prints errors in PostgreSQL's form and exits non-zero.
 */
@Command(name = "pgshmem", mixinStandardHelpOptions = true, version = PgShmemCli.VERSION,
    description = "PostgreSQL's shared-memory architecture for JVM processes on one machine.",
    subcommands = {
        InitdbCommand.class, StartCommand.class, StopCommand.class, StatusCommand.class,
        ControldataCommand.class, ShmemCommand.class, BackendsCommand.class, LocksCommand.class, StatsCommand.class, CheckpointCommand.class, BackendCommand.class, DemoCommand.class})
public final class PgShmemCli implements java.util.concurrent.Callable<Integer>
{
    /** What {@code -V} prints. */
    public static final String VERSION = "pgshmem 0.1.0";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** No subcommand: pg_ctl's "no operation specified", with the usage. */
    @Override
    public Integer call()
    {
        System.err.println("pgshmem: error: no operation specified");
        spec.commandLine().usage(System.err);
        return 1;
    }

    /** Entry point. */
    public static void main(final String[] args)
    {
        System.exit(execute(args));
    }

    /** Runs a command line and returns its exit code (tests call this in-process). */
    public static int execute(final String... args)
    {
        final CommandLine cli = new CommandLine(new PgShmemCli());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) ->
        {
            if (ex instanceof PgException pg)
            {
                commandLine.getErr().println(pg.format("pgshmem"));
                return 1;
            }
            throw ex;
        });
        cli.setParameterExceptionHandler((ex, a) ->
        {
            ex.getCommandLine().getErr().println("pgshmem: error: " + ex.getMessage());
            final String name = ex.getCommandLine().getCommandName();
            ex.getCommandLine().getErr().println("pgshmem: hint: Try \"pgshmem"
                + ("pgshmem".equals(name) ? "" : " " + name) + " --help\" for more information.");
            return 2;
        });
        return cli.execute(args);
    }
}
