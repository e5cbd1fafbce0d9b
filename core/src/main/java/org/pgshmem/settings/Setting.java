package org.pgshmem.settings;

/**
 * A setting's definition: name, type, default, bounds and unit, as a row of guc_tables.c.
 *
 * @param name         lower-case name, as written in pgshmem.conf
 * @param type         its type
 * @param defaultValue the default, written as in pgshmem.conf
 * @param min          the least numeric value, in the base unit
 * @param max          the greatest numeric value, in the base unit
 * @param unit         the base unit of a numeric value
 * @param description  one line for the sample configuration file
 * @param values       the words an enum setting accepts; empty for other types
 */
public record Setting(String name, Type type, String defaultValue, double min, double max, Unit unit,
    String description, java.util.List<String> values)
{
    /** Value types. */
    public enum Type
    {
        /** An integer, possibly with a unit. */
        INTEGER,
        /** A floating-point number. */
        REAL,
        /** on/off. */
        BOOLEAN,
        /** A string. */
        STRING,
        /** One of a fixed set of words. */
        ENUM
    }

    static Setting integer(final String name, final long def, final long min, final long max, final Unit unit,
        final String description)
    {
        return new Setting(name, Type.INTEGER, Long.toString(def), min, max, unit, description, java.util.List.of());
    }

    static Setting real(final String name, final double def, final double min, final double max,
        final String description)
    {
        return new Setting(name, Type.REAL, Double.toString(def), min, max, Unit.NONE, description, java.util.List.of());
    }

    static Setting bool(final String name, final boolean def, final String description)
    {
        return new Setting(name, Type.BOOLEAN, def ? "on" : "off", 0, 0, Unit.NONE, description, java.util.List.of());
    }

    static Setting string(final String name, final String def, final String description)
    {
        return new Setting(name, Type.STRING, def, 0, 0, Unit.NONE, description, java.util.List.of());
    }

    static Setting enumerated(final String name, final String def, final java.util.List<String> values,
        final String description)
    {
        return new Setting(name, Type.ENUM, def, 0, 0, Unit.NONE,
            description + " (" + String.join(", ", values) + ")", values);
    }
}
