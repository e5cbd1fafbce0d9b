package org.pgshmem.cli;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;

import org.pgshmem.control.ControlFile;
import org.pgshmem.control.ControlFileDescriptor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code pgshmem controldata -D DIR}: pg_controldata. */
@Command(name = "controldata", mixinStandardHelpOptions = true, version = PgShmemCli.VERSION, description = "Show the control file, as pg_controldata does.")
final class ControldataCommand implements Callable<Integer>
{
    private static final DateTimeFormatter TIME =
        DateTimeFormatter.ofPattern("EEE dd MMM yyyy HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    @Mixin
    DataDirOption dataDir;

    @Override
    public Integer call()
    {
        final ControlFile cf = ControlFile.read(dataDir.get());
        line("pg_control version number", Integer.toString(ControlFileDescriptor.CONTROL_VERSION));
        line("Database system identifier", Long.toUnsignedString(cf.systemIdentifier()));
        line("Database cluster state", cf.state().text());
        line("pg_control last modified", TIME.format(Instant.ofEpochSecond(cf.timeSeconds())));
        line("Latest checkpoint location", ControlFile.formatLsn(cf.checkpointLsn()));
        line("Latest checkpoint's REDO location", ControlFile.formatLsn(cf.redoLsn()));
        line("Latest checkpoint's NextXID", Long.toString(cf.nextXid()));
        line("Time of latest checkpoint", cf.checkpointTimeSeconds() == 0 ? "(none)"
            : TIME.format(Instant.ofEpochSecond(cf.checkpointTimeSeconds())));
        line("Database block size", Integer.toString(cf.blockSize()));
        line("Bytes per WAL segment", Integer.toString(cf.walSegmentSize()));
        return 0;
    }

    private static void line(final String name, final String value)
    {
        final String label = name + ":";
        System.out.println(label + " ".repeat(Math.max(1, 38 - label.length())) + value);
    }
}
