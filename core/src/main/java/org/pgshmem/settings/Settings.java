package org.pgshmem.settings;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.pgshmem.util.PgException;

/**
 * Run-time settings (PostgreSQL's GUC): the definitions of every built-in setting, values read
 * from {@code pgshmem.conf} in PostgreSQL's syntax, and {@code -c name=value} overrides.
 * Names with a dot ({@code example_counter.slots}) are custom settings that belong to a module,
 * kept as strings, as PostgreSQL keeps placeholder variables.
 *
 * <p>Immutable; {@link #with} returns a copy.
 */
public final class Settings
{
    /** The configuration file in a data directory. */
    public static final String CONFIG_FILE = "pgshmem.conf";

    private static final Map<String, Setting> DEFINITIONS = new LinkedHashMap<>();

    static
    {
        // one segment maps at most 2 GiB (ShmemSegment.MAX_SIZE), so the buffers must fit in it
        define(Setting.integer("shared_buffers", 16384, 16, 245760, Unit.BLOCKS,
            "number of 8kB shared buffers; min 128kB, max 1920MB"));
        define(Setting.integer("max_connections", 100, 1, 262143, Unit.NONE,
            "maximum number of attached backends"));
        define(Setting.string("preload_modules", "",
            "comma-separated modules to load at server start (shared_preload_libraries)"));
        define(Setting.string("shm_dir", "",
            "directory of the main segment; empty: a directory of its own under /dev/shm, else DATA/shm/segment"));
        define(Setting.integer("inbox_size", 64, 1, 64 * 1024, Unit.KILOBYTES,
            "bytes of each process's message inbox; a power of two"));
        define(Setting.integer("broadcast_size", 64, 1, 64 * 1024, Unit.KILOBYTES,
            "bytes of the broadcast buffer every process reads; a power of two"));
        define(Setting.integer("heartbeat_interval", 100, 10, 10000, Unit.MILLISECONDS,
            "how often every process proves it is alive, and how soon a dead one is noticed"));
        define(Setting.enumerated("latch_idle_strategy", "backoff", List.of("backoff", "busy-spin", "yielding", "sleeping"),
            "how a process waits on its latch"));
        define(Setting.integer("bgwriter_delay", 200, 10, 10000, Unit.MILLISECONDS,
            "background writer sleep time between rounds"));
        define(Setting.integer("bgwriter_lru_maxpages", 100, 0, Integer.MAX_VALUE / 2, Unit.NONE,
            "max buffers written per bgwriter round; 0 disables"));
        define(Setting.real("bgwriter_lru_multiplier", 2.0, 0, 10,
            "multiple of average buffer usage to free per round"));
        define(Setting.integer("max_locks_per_transaction", 64, 10, 1 << 20, Unit.NONE,
            "heavyweight locks per process the shared lock table is sized for"));
        define(Setting.integer("deadlock_timeout", 1000, 1, Integer.MAX_VALUE, Unit.MILLISECONDS,
            "time to wait on a lock before checking for deadlock"));
        define(Setting.integer("lock_timeout", 0, 0, Integer.MAX_VALUE, Unit.MILLISECONDS,
            "maximum time to wait for a heavyweight lock; 0 waits forever"));
        define(Setting.integer("checkpoint_timeout", 300, 30, 86400, Unit.SECONDS,
            "maximum time between automatic WAL checkpoints"));
        define(Setting.real("checkpoint_completion_target", 0.9, 0, 1,
            "time spent flushing dirty buffers during a checkpoint, as a fraction of the checkpoint interval"));
        define(Setting.integer("max_wal_size", 1024, 2, Integer.MAX_VALUE, Unit.MEGABYTES,
            "WAL size that triggers a checkpoint"));
        define(Setting.integer("min_wal_size", 80, 2, Integer.MAX_VALUE, Unit.MEGABYTES,
            "WAL size below which old segments are recycled rather than removed"));
        define(Setting.integer("wal_buffers", -1, -1, 2048, Unit.BLOCKS,
            "WAL pages in shared memory; -1: shared_buffers/32, at least 512kB, at most 16MB"));
        define(Setting.bool("fsync", true,
            "forces WAL and data files to disk; off risks losing committed data in a crash of the machine"));
        define(Setting.bool("synchronous_commit", true,
            "a commit waits for its WAL to be flushed; off acknowledges before the flush"));
        define(Setting.bool("full_page_writes", true,
            "writes a full image of a page at its first change after a checkpoint, so that torn pages heal"));
        define(Setting.string("encryption_key_file", "",
            "file with the key that wraps the WAL encryption key; set by initdb --encryption-key-file"));
    }

    private final Map<String, Object> values;
    private final Map<String, String> sources;

    private Settings(final Map<String, Object> values, final Map<String, String> sources)
    {
        this.values = values;
        this.sources = sources;
    }

    private static void define(final Setting setting)
    {
        DEFINITIONS.put(setting.name(), setting);
    }

    /** Every built-in setting's definition, in the order of the sample configuration file. */
    public static Map<String, Setting> definitions()
    {
        return Collections.unmodifiableMap(DEFINITIONS);
    }

    /** All defaults, no file read. */
    public static Settings defaults()
    {
        return new Settings(new LinkedHashMap<>(), new LinkedHashMap<>());
    }

    /** {@code DATA/pgshmem.conf}, then the {@code name=value} overrides in order. */
    public static Settings load(final Path dataDir, final List<String> overrides)
    {
        final Path file = dataDir.resolve(CONFIG_FILE);
        final String text;
        try
        {
            text = Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (final NoSuchFileException ex)
        {
            throw new PgException("could not open configuration file \"" + file + "\": No such file or directory",
                null, "Is \"" + dataDir + "\" a data directory made by \"pgshmem initdb\"?");
        }
        catch (final IOException ex)
        {
            throw new PgException("could not read configuration file \"" + file + "\": " + ex.getMessage());
        }
        return parse(text, file.toString()).withOverrides(overrides);
    }

    /** A copy with each {@code name=value} of {@code overrides} applied in order ({@code -c} options). */
    public Settings withOverrides(final List<String> overrides)
    {
        Settings settings = this;
        for (final String override : overrides)
        {
            final int eq = override.indexOf('=');
            if (eq <= 0)
            {
                throw new PgException("-c " + override + " requires a value", null,
                    "Write it as -c name=value.");
            }
            settings = settings.with(override.substring(0, eq).trim(), override.substring(eq + 1).trim(),
                "command line");
        }
        return settings;
    }

    /** Parses configuration text in PostgreSQL's syntax; {@code source} names it in errors. */
    public static Settings parse(final String text, final String source)
    {
        Settings settings = defaults();
        final String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++)
        {
            final ConfigLine line = ConfigLine.parse(lines[i], source, i + 1);
            if (line != null)
            {
                settings = settings.with(line.name(), line.value(), "file \"" + source + "\" line " + (i + 1));
            }
        }
        return settings;
    }

    /** A copy with {@code name} set to {@code value} (as written in the file); errors name the source. */
    public Settings with(final String name, final String value, final String source)
    {
        final String key = name.toLowerCase(Locale.ROOT);
        final Object parsed = parseValue(key, value, source);
        final Map<String, Object> v = new LinkedHashMap<>(values);
        final Map<String, String> s = new LinkedHashMap<>(sources);
        v.put(key, parsed);
        s.put(key, value);
        return new Settings(v, s);
    }

    /** A copy with {@code name} set to {@code value}. */
    public Settings with(final String name, final String value)
    {
        return with(name, value, "command line");
    }

    private static Object parseValue(final String name, final String value, final String source)
    {
        final Setting def = DEFINITIONS.get(name);
        if (def == null)
        {
            if (name.indexOf('.') > 0)
            {
                return value;
            }
            throw new PgException("unrecognized configuration parameter \"" + name + "\""
                + (source.equals("command line") ? "" : " in " + source));
        }
        return switch (def.type())
        {
            case STRING -> value;
            case ENUM ->
            {
                if (!def.values().contains(value))
                {
                    throw new PgException("invalid value for parameter \"" + def.name() + "\": \"" + value + "\""
                        + (source.equals("command line") ? "" : " (" + source + ")"), null,
                        "Available values: " + String.join(", ", def.values()) + ".");
                }
                yield value;
            }
            case BOOLEAN -> parseBoolean(def, value, source);
            case REAL -> parseReal(def, value, source);
            case INTEGER -> parseInteger(def, value, source);
        };
    }

    private static Object parseBoolean(final Setting def, final String value, final String source)
    {
        return switch (value.toLowerCase(Locale.ROOT))
        {
            case "on", "true", "yes", "1" -> Boolean.TRUE;
            case "off", "false", "no", "0" -> Boolean.FALSE;
            default -> throw new PgException(
                "parameter \"" + def.name() + "\" requires a Boolean value (" + source + ")");
        };
    }

    private static Object parseReal(final Setting def, final String value, final String source)
    {
        final double d;
        try
        {
            d = Double.parseDouble(value);
        }
        catch (final NumberFormatException ex)
        {
            throw invalid(def, value, source, null);
        }
        if (d < def.min() || d > def.max() || Double.isNaN(d))
        {
            throw new PgException(value + " is outside the valid range for parameter \"" + def.name() + "\" ("
                + def.min() + " .. " + def.max() + ")");
        }
        return d;
    }

    /** Integers with an optional unit, converted to the setting's base unit, rounding as guc.c does. */
    private static Object parseInteger(final Setting def, final String value, final String source)
    {
        int i = 0;
        final String v = value.trim();
        if (i < v.length() && (v.charAt(i) == '-' || v.charAt(i) == '+'))
        {
            i++;
        }
        while (i < v.length() && Character.isDigit(v.charAt(i)))
        {
            i++;
        }
        if (i == 0 || (i == 1 && !Character.isDigit(v.charAt(0))))
        {
            throw invalid(def, value, source, null);
        }
        final long number;
        try
        {
            number = Long.parseLong(v.substring(0, i));
        }
        catch (final NumberFormatException ex)
        {
            throw invalid(def, value, source, null);
        }
        final String suffix = v.substring(i).trim();
        final long base;
        if (suffix.isEmpty())
        {
            base = number;
        }
        else
        {
            final long scale = def.unit().suffixScale(suffix);
            if (scale < 0)
            {
                throw invalid(def, value, source,
                    def.unit() == Unit.NONE ? null : def.unit().validUnitsHint());
            }
            // to bytes or microseconds, then to the base unit, rounding to nearest as guc.c
            final double inBase = (double)number * scale / def.unit().scale;
            base = (long)Math.rint(inBase);
        }
        if (base < def.min() || base > def.max())
        {
            throw new PgException(value + " is outside the valid range for parameter \"" + def.name() + "\" ("
                + format(def, (long)def.min()) + " .. " + format(def, (long)def.max()) + ")");
        }
        return base;
    }

    private static PgException invalid(final Setting def, final String value, final String source,
        final String hint)
    {
        return new PgException("invalid value for parameter \"" + def.name() + "\": \"" + value + "\""
            + (source.equals("command line") ? "" : " (" + source + ")"), null, hint);
    }

    /** A value in the base unit written with the largest unit that divides it, as SHOW does. */
    static String format(final Setting def, final long base)
    {
        if (def.unit() == Unit.NONE || base == 0)
        {
            return Long.toString(base) + (def.unit().memory ? "B" : def.unit().isTime() ? "ms" : "");
        }
        final String[] units = def.unit().memory
            ? new String[] {"TB", "GB", "MB", "kB", "B"}
            : new String[] {"d", "h", "min", "s", "ms", "us"};
        final long raw = base * def.unit().scale;
        for (final String u : units)
        {
            final long scale = def.unit().suffixScale(u);
            if (raw % scale == 0)
            {
                return (raw / scale) + u;
            }
        }
        return Long.toString(base);
    }

    private Object value(final String name)
    {
        final Object v = values.get(name);
        if (v != null)
        {
            return v;
        }
        final Setting def = DEFINITIONS.get(name);
        if (def == null)
        {
            throw new PgException("unrecognized configuration parameter \"" + name + "\"");
        }
        return parseValue(name, def.defaultValue(), "default");
    }

    /** An integer setting in its base unit (blocks, ms, s, ...). */
    public long getLong(final String name)
    {
        return (Long)value(name);
    }

    /** An integer setting in its base unit, as an int. */
    public int getInt(final String name)
    {
        return Math.toIntExact(getLong(name));
    }

    /** A memory setting in bytes. */
    public long getBytes(final String name)
    {
        return Math.multiplyExact(getLong(name), DEFINITIONS.get(name).unit().scale);
    }

    /** A time setting in milliseconds. */
    public long getMillis(final String name)
    {
        return getLong(name) * DEFINITIONS.get(name).unit().scale / 1_000;
    }

    /** A real setting. */
    public double getReal(final String name)
    {
        return (Double)value(name);
    }

    /** A boolean setting. */
    public boolean getBoolean(final String name)
    {
        return (Boolean)value(name);
    }

    /** A string setting, or a custom one ({@code module.name}); {@code def} when a custom one is unset. */
    public String getString(final String name, final String def)
    {
        final Object v = values.get(name);
        if (v != null)
        {
            return v.toString();
        }
        return DEFINITIONS.containsKey(name) ? value(name).toString() : def;
    }

    /** A string setting. */
    public String getString(final String name)
    {
        return getString(name, "");
    }

    /** A comma-separated list setting, trimmed, empty items dropped. */
    public List<String> getList(final String name)
    {
        final List<String> out = new ArrayList<>();
        for (final String item : getString(name).split(","))
        {
            final String t = item.trim();
            if (!t.isEmpty())
            {
                out.add(t);
            }
        }
        return out;
    }

    /** What SHOW prints for {@code name}. */
    public String show(final String name)
    {
        final Setting def = DEFINITIONS.get(name);
        if (def != null && def.type() == Setting.Type.INTEGER)
        {
            return format(def, getLong(name));
        }
        return String.valueOf(def != null ? value(name) : getString(name));
    }

    /** Every setting that is not at its default, as configuration lines (for backends to read back). */
    public String serialize()
    {
        final StringBuilder sb = new StringBuilder();
        for (final Map.Entry<String, String> e : sources.entrySet())
        {
            sb.append(e.getKey()).append(" = '").append(e.getValue().replace("'", "''")).append("'\n");
        }
        return sb.toString();
    }

    /** The sample {@code pgshmem.conf} initdb writes: every setting commented out at its default, plus {@code set}. */
    public static String sampleFile(final Settings set)
    {
        final StringBuilder sb = new StringBuilder()
            .append("# pgshmem configuration file\n")
            .append("# PostgreSQL syntax: name = value; memory units B, kB, MB, GB, TB;\n")
            .append("# time units us, ms, s, min, h, d. Overridden on start with -c name=value.\n\n");
        for (final Setting def : DEFINITIONS.values())
        {
            final String shown = def.type() == Setting.Type.INTEGER
                ? format(def, (Long)parseValue(def.name(), def.defaultValue(), "default"))
                : def.type() == Setting.Type.STRING ? "'" + def.defaultValue() + "'" : def.defaultValue();
            final String line = "#" + def.name() + " = " + shown;
            sb.append(line).append(" ".repeat(Math.max(1, 40 - line.length())))
                .append("# ").append(def.description()).append('\n');
        }
        if (!set.sources.isEmpty())
        {
            sb.append("\n# set by initdb\n").append(set.serialize());
        }
        return sb.toString();
    }
}
