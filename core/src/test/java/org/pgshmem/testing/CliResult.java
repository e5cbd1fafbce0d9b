package org.pgshmem.testing;

/**
 * What a {@code pgshmem} command printed and returned.
 *
 * @param exitCode its exit code
 * @param stdout   standard output
 * @param stderr   standard error
 */
public record CliResult(int exitCode, String stdout, String stderr)
{
    /** Both streams, for assertion messages and searching. */
    public String all()
    {
        return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
}
