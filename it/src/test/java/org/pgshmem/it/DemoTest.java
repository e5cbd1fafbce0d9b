package org.pgshmem.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.testing.CliResult;
import org.pgshmem.testing.TestCluster;

/** {@code pgshmem demo}, the README's first command, runs to the end and cleans up. */
@Timeout(180)
class DemoTest
{
    @Test
    void theDemoPassesValuesBetweenTwoBackendProcessesAndCleansUp(@TempDir final Path tmp) throws Exception
    {
        try (TestCluster cli = new TestCluster(tmp.resolve("unused")))
        {
            final CliResult r = cli.cliWithJvmFlags(java.util.List.of("-Djava.io.tmpdir=" + tmp), "demo");
            assertEquals(0, r.exitCode(), r.all());
            final String out = r.stdout();
            assertTrue(out.contains("B> struct demo.counters 64            ok attached"), out);
            assertTrue(out.contains("B> struct-add demo.counters 0 7       ok 12"), out);
            assertTrue(out.contains("B> get demo.accounts alice            ok 100"), out);
            assertTrue(out.matches("(?s).*B> recv 5000 +ok from=\\d+ hello B, this is A.*"), out);
            assertTrue(out.matches("(?s).*B> recv 5000 +ok broadcast from=\\d+ market open.*"), out);
            assertTrue(out.contains("B> lock advisory:42 ExclusiveLock     waiting"), out);
            assertTrue(out.matches("(?s).*advisory \\| advisory:42 \\| +\\d+ \\| ExclusiveLock \\| f .*"), out);
            assertTrue(out.matches("(?s).*B< \\(its wait ends\\) +ok\\R.*"), out);
            assertTrue(out.matches("(?s).*B> read 16384 0 100 19 +ok page written by A.*"), out);
            assertTrue(out.matches("(?s).*\\n +16384 \\| +\\d+ \\| +\\d+ \\| +2 \\| .*"), out);
            assertTrue(out.contains("| client backend    |"), out);
            assertTrue(out.matches("(?s).* demo\\.accounts +\\| hash .*"), out);
            assertTrue(out.matches("(?s).*B> read 16384 0 200 16 +ok \\R.*A> commit +ok \\d+/[0-9A-F]+\\R"
                + "B> read 16384 0 200 16 +ok debit alice 30.*"), out);
            assertTrue(out.matches("(?s).*A> rollback +ok\\RB> read 16384 0 300 15 +ok \\R.*"), out);
            assertTrue(out.contains("redo starts at"), out);
            assertTrue(out.contains("C> read 16384 1 200 15                ok credit bob 30"), out);
            assertTrue(out.contains("Database cluster state:               shut down"), out);
            assertTrue(out.contains("server stopped"), out);
            assertTrue(out.contains("database system is shut down"), out);
            try (var left = Files.list(tmp))
            {
                assertEquals(0, left.filter(p -> p.getFileName().toString().startsWith("pgshmem-demo-")).count(),
                    "the throwaway cluster is removed");
            }
        }
    }
}
