package org.pgshmem.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;

import org.pgshmem.control.ControlFile;
import org.pgshmem.control.ControlFileDescriptor;
import org.pgshmem.wal.WalSegments;
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
        print(System.out, dataDir.get());
        return 0;
    }

    /** Prints the control file of {@code data} as pg_controldata does. */
    static void print(final PrintStream out, final Path data)
    {
        final ControlFile cf = ControlFile.read(data);
        line(out, "pg_control version number", Integer.toString(ControlFileDescriptor.CONTROL_VERSION));
        line(out, "Database system identifier", Long.toUnsignedString(cf.systemIdentifier()));
        line(out, "Database cluster state", cf.state().text());
        line(out, "pg_control last modified", TIME.format(Instant.ofEpochSecond(cf.timeSeconds())));
        line(out, "Latest checkpoint location", ControlFile.formatLsn(cf.checkpointLsn()));
        line(out, "Latest checkpoint's REDO location", ControlFile.formatLsn(cf.redoLsn()));
        line(out, "Latest checkpoint's REDO WAL file", new WalSegments(data, cf.walSegmentSize())
            .fileName(cf.redoLsn() / cf.walSegmentSize()));
        line(out, "Latest checkpoint's NextXID", Long.toString(cf.nextXid()));
        line(out, "Time of latest checkpoint", cf.checkpointTimeSeconds() == 0 ? "(none)"
            : TIME.format(Instant.ofEpochSecond(cf.checkpointTimeSeconds())));
        line(out, "Database block size", Integer.toString(cf.blockSize()));
        line(out, "Bytes per WAL segment", Integer.toString(cf.walSegmentSize()));
    }

    private static void line(final PrintStream out, final String name, final String value)
    {
        final String label = name + ":";
        out.println(label + " ".repeat(Math.max(1, 38 - label.length())) + value);
    }
}
