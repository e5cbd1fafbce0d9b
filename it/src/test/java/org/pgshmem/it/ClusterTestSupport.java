package org.pgshmem.it;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pgshmem.testing.TestCluster;

/**
 * What every cluster test shares: a data directory of its own, a bounded run time, and a
 * clean-up that kills every process of the cluster whatever the test left behind.
 */
@Timeout(180)
abstract class ClusterTestSupport
{
    @TempDir
    Path tmp;

    TestCluster cluster;

    /** A cluster in this test's temporary directory, not yet made. */
    TestCluster newCluster()
    {
        cluster = new TestCluster(tmp.resolve("data"));
        return cluster;
    }

    /** The data directory as a command-line argument. */
    String dir()
    {
        return cluster.dataDir().toString();
    }

    /** Whether the server log holds {@code text} yet (for {@link TestCluster#await}). */
    boolean logContains(final String text)
    {
        try
        {
            return cluster.log().contains(text);
        }
        catch (final java.io.IOException ex)
        {
            return false;
        }
    }

    @AfterEach
    void killEverything() throws Exception
    {
        if (cluster != null)
        {
            cluster.close();
        }
    }
}
