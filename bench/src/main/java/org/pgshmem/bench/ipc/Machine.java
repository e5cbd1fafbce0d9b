package org.pgshmem.bench.ipc;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where a driver between processes ran, for the head of its report, and the options of this JVM
 * that its child JVMs must share so that both sides of a measurement run the same code.
 */
final class Machine
{
    private Machine()
    {
    }

    /**
     * This JVM's {@code -XX:} and {@code -Xm*}/{@code -Xss} options: both sides of a measurement
     * must run with the same collector and compiler settings.
     */
    static List<String> vmOptions()
    {
        final List<String> options = new ArrayList<>();
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("-XX:") || arg.startsWith("-Xm") || arg.startsWith("-Xss"))
            {
                options.add(arg);
            }
        }
        return options;
    }

    /** CPUs, CPU model, OS, JVM and the {@linkplain #vmOptions VM options}, on one line. */
    static String describe()
    {
        final List<String> options = vmOptions();
        return Runtime.getRuntime().availableProcessors() + " CPUs (" + cpuModel() + "), "
            + System.getProperty("os.name") + " " + System.getProperty("os.version") + ", "
            + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + ", VM options "
            + (options.isEmpty() ? "(defaults)" : String.join(" ", options));
    }

    /** The load average over 1, 5 and 15 minutes. */
    static String loadAverage()
    {
        try
        {
            final String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + ", " + fields[1] + ", " + fields[2];
        }
        catch (final IOException | RuntimeException ex)
        {
            final double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            return String.format(Locale.ROOT, "%.2f", load);
        }
    }

    private static String cpuModel()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/cpuinfo")))
            {
                if (line.startsWith("model name"))
                {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // not Linux: the model is left out
        }
        return System.getProperty("os.arch");
    }
}
