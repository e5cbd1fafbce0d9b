package org.pgshmem.bgwriter;

import org.pgshmem.backend.Backend;
import org.pgshmem.buffer.BgBufferSync;
import org.pgshmem.buffer.BufferManager;
import org.pgshmem.postmaster.AuxiliaryProcess;
import org.pgshmem.proc.ProcKind;
import org.pgshmem.settings.Settings;
import org.pgshmem.wal.Wal;
import org.pgshmem.wal.WalAddress;

/**
 * The background writer process (PostgreSQL's bgwriter.c): started by the postmaster, attached
 * in its fixed slot, it runs the cleaning scan ({@link BgBufferSync}) every {@code bgwriter_delay}.
 * When a round finds nothing allocated and nothing to do, twice in a row, it hibernates: it asks
 * the next buffer allocation to set its latch and sleeps {@value #HIBERNATE_FACTOR} times longer.
 * It also does the WAL writer's work: each round flushes the WAL that asynchronous commits left.
 */
public final class BackgroundWriter
{
    /** HIBERNATE_FACTOR of bgwriter.c. */
    static final int HIBERNATE_FACTOR = 50;

    private final Backend self;
    private final BufferManager buffers;
    private final Wal wal;
    private final BgBufferSync sync;
    private final long delayMillis;
    private boolean couldHibernate;

    private BackgroundWriter(final Backend self)
    {
        this.self = self;
        final Settings settings = self.shmem().settings();
        this.buffers = self.buffers();
        this.wal = self.module(Wal.class);
        buffers.countWritesAsBgwriter();
        this.delayMillis = settings.getMillis("bgwriter_delay");
        this.sync = new BgBufferSync(buffers, settings.getInt("bgwriter_lru_maxpages"),
            settings.getReal("bgwriter_lru_multiplier"), delayMillis);
    }

    /** {@code -D DATADIR}. */
    public static void main(final String[] args)
    {
        final BackgroundWriter[] writer = new BackgroundWriter[1];
        System.exit(AuxiliaryProcess.run(args, ProcKind.BGWRITER, self ->
        {
            if (writer[0] == null)
            {
                writer[0] = new BackgroundWriter(self);
            }
            return writer[0].round();
        }, self -> { }));
    }

    /** One round; returns how long to sleep. */
    private long round()
    {
        buffers.stopHibernating(self.slot());
        // the WAL writer's part (walwriter.c): commits made without synchronous_commit reach disk
        // within a round; no hibernating while some WAL is not flushed
        final long unflushed = wal.insertPosition();
        final boolean walIdle = wal.flushedUpTo() >= WalAddress.toEndLsn(WalAddress.toPos(unflushed));
        if (!walIdle)
        {
            wal.flush(unflushed);
        }
        final boolean canHibernate = sync.run() && walIdle;
        final boolean hibernate = canHibernate && couldHibernate;
        couldHibernate = canHibernate;
        if (hibernate)
        {
            buffers.hibernate(self.slot());
            return delayMillis * HIBERNATE_FACTOR;
        }
        return delayMillis;
    }
}
