package org.pgshmem.example;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.module.BootstrapContext;
import org.pgshmem.module.ShmemModule;
import org.pgshmem.settings.Settings;
import org.pgshmem.shmem.Shmem;
import org.pgshmem.shmem.ShmemSize;
import org.pgshmem.util.DurableFiles;
import org.pgshmem.util.PgException;

/**
 * An example custom module, a template to copy: a row of shared counters that every attached
 * process can increment. It uses all four steps of the module SPI:
 * <ul>
 *   <li>{@link #shmemSize}: {@code example_counter.slots} longs (a custom setting, default 16);</li>
 *   <li>{@link #bootstrap}, at initdb: writes the counters' starting values
 *       ({@code example_counter.start}, default 0) to {@code DATA/example_counter/start};</li>
 *   <li>{@link #shmemInit}: creates the counters in the postmaster from that file, or attaches
 *       to them in any other process;</li>
 *   <li>the module's own API, {@link #increment} and {@link #get}.</li>
 * </ul>
 * Enabled by {@code preload_modules = 'example_counter'}; found through
 * {@code META-INF/services/org.pgshmem.module.ShmemModule}, as a module in a jar of its own would be.
 */
public final class CounterModule implements ShmemModule
{
    /** The name preload_modules knows it by. */
    public static final String NAME = "example_counter";
    /** The label of its structure. */
    public static final String LABEL = "example_counter";
    /** Its file under the data directory. */
    public static final String START_FILE = "example_counter/start";

    private AtomicBuffer counters;
    private int slots;

    @Override
    public String name()
    {
        return NAME;
    }

    private static int slots(final Settings settings)
    {
        final String value = settings.getString(NAME + ".slots", "16");
        try
        {
            final int n = Integer.parseInt(value.trim());
            if (n >= 1 && n <= 1 << 20)
            {
                return n;
            }
        }
        catch (final NumberFormatException ignored)
        {
            // reported below
        }
        throw new PgException("invalid value for parameter \"" + NAME + ".slots\": \"" + value + "\"",
            "It must be an integer from 1 to 1048576.", null);
    }

    @Override
    public long shmemSize(final Settings settings)
    {
        return ShmemSize.mulSize(slots(settings), Long.BYTES);
    }

    @Override
    public void bootstrap(final BootstrapContext context) throws IOException
    {
        final int n = slots(context.settings());
        final long start = Long.parseLong(context.settings().getString(NAME + ".start", "0").trim());
        final ByteBuffer bytes = ByteBuffer.allocate(n * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++)
        {
            bytes.putLong(start);
        }
        final Path file = context.dataDirectory().resolve(START_FILE);
        DurableFiles.createDirectory(file.getParent());
        DurableFiles.write(file, bytes.array());
    }

    @Override
    public void shmemInit(final Shmem shmem)
    {
        slots = slots(shmem.settings());
        final Path file = shmem.dataDirectory().resolve(START_FILE);
        counters = shmem.initStruct(LABEL, shmemSize(shmem.settings()), region ->
        {
            // only the creator (the postmaster) loads the file
            final byte[] start;
            try
            {
                start = Files.readAllBytes(file);
            }
            catch (final IOException ex)
            {
                throw new PgException("could not read file \"" + file + "\": " + ex.getMessage(), null,
                    "Was the cluster made by initdb with preload_modules = '" + NAME + "'?", ex);
            }
            if (start.length != region.capacity())
            {
                throw new PgException("file \"" + file + "\" has " + start.length + " bytes; "
                    + region.capacity() + " were expected", null, "Did example_counter.slots change since initdb?");
            }
            region.putBytes(0, start);
        }).buffer();
    }

    /** Adds one to counter {@code slot}, atomically across processes; returns the new value. */
    public long increment(final int slot)
    {
        return counters.getAndAddLong(index(slot), 1) + 1;
    }

    /** The value of counter {@code slot}. */
    public long get(final int slot)
    {
        return counters.getLongVolatile(index(slot));
    }

    private int index(final int slot)
    {
        if (slot < 0 || slot >= slots)
        {
            throw new IndexOutOfBoundsException("counter " + slot + " of " + slots);
        }
        return slot * Long.BYTES;
    }
}
