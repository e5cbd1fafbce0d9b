package org.pgshmem.buffer;

/**
 * The background writer's cleaning scan (PostgreSQL's BgBufferSync): it keeps a point of its own
 * ahead of the clock hand and writes dirty buffers that are unpinned with usage count 0 there, as
 * many as the allocations it expects before its next round (a smoothed average of recent ones times
 * {@code bgwriter_lru_multiplier}), at most {@code bgwriter_lru_maxpages}, so that backends find
 * clean victims and seldom write themselves. One per background writer process.
 */
public final class BgBufferSync
{
    /** The scan covers the whole pool in about this long even when nothing is allocated (scan_whole_pool_milliseconds). */
    private static final double SCAN_WHOLE_POOL_MILLIS = 120_000.0;
    private static final int SMOOTHING_SAMPLES = 16;

    private final BufferManager bm;
    private final int lruMaxPages;
    private final double lruMultiplier;
    private final long delayMillis;
    private boolean savedInfoValid;
    private long prevStrategyTicks;
    private long nextToClean;
    private double smoothedAlloc;
    private double smoothedDensity = 10.0;

    /** The scan for {@code bm} with the bgwriter settings. */
    public BgBufferSync(final BufferManager bm, final int lruMaxPages, final double lruMultiplier, final long delayMillis)
    {
        this.bm = bm;
        this.lruMaxPages = lruMaxPages;
        this.lruMultiplier = lruMultiplier;
        this.delayMillis = delayMillis;
    }

    /** One round; true when nothing was allocated and the scan has lapped the hand, so the writer may hibernate. */
    public boolean run()
    {
        final int n = bm.nbuffers();
        final BufferStrategy strategy = bm.strategy();
        final long strategyTicks = strategy.ticks();
        final long recentAlloc = strategy.takeRecentAllocations();
        if (lruMaxPages <= 0)
        {
            savedInfoValid = false;
            return true;
        }
        // our point in ticks of the same clock; stay ahead of the hand, or jump to it if it passed us
        if (savedInfoValid)
        {
            final long strategyDelta = strategyTicks - prevStrategyTicks;
            if (strategyDelta > 0 && recentAlloc > 0)
            {
                smoothedDensity += ((double)strategyDelta / recentAlloc - smoothedDensity) / SMOOTHING_SAMPLES;
            }
            if (nextToClean < strategyTicks)
            {
                nextToClean = strategyTicks;
            }
        }
        else
        {
            nextToClean = strategyTicks;
        }
        prevStrategyTicks = strategyTicks;
        savedInfoValid = true;
        final long bufsAhead = nextToClean - strategyTicks;
        final long bufsToLap = n - bufsAhead;
        final double reusableEstimate = bufsAhead / smoothedDensity;

        smoothedAlloc = recentAlloc > smoothedAlloc ? recentAlloc
            : smoothedAlloc + (recentAlloc - smoothedAlloc) / SMOOTHING_SAMPLES;
        double upcomingAllocEstimate = smoothedAlloc * lruMultiplier;
        final double minScanBuffers = n / (SCAN_WHOLE_POOL_MILLIS / delayMillis);
        if (upcomingAllocEstimate < minScanBuffers + reusableEstimate)
        {
            upcomingAllocEstimate = minScanBuffers + reusableEstimate;
        }

        long toScan = bufsToLap;
        int reusable = 0;
        int written = 0;
        boolean stoppedAtMax = false;
        while (toScan > 0 && reusable < upcomingAllocEstimate)
        {
            final int result = bm.syncOneBuffer((int)(nextToClean % n), true);
            nextToClean++;
            toScan--;
            if ((result & BufferManager.SYNC_WRITTEN) != 0)
            {
                reusable++;
                if (++written >= lruMaxPages)
                {
                    stoppedAtMax = true;
                    break;
                }
            }
            else if ((result & BufferManager.SYNC_REUSABLE) != 0)
            {
                reusable++;
            }
        }
        bm.stats().cleaned(written, stoppedAtMax);
        bm.stats().flush();
        return bufsToLap == 0 && recentAlloc == 0;
    }
}
