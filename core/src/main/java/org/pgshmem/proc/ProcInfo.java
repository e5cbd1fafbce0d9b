package org.pgshmem.proc;

/**
 * A snapshot of one active proc-array slot.
 *
 * @param slot             slot number
 * @param pid              the process id
 * @param startMillis      when the process started (epoch ms)
 * @param kind             what it is
 * @param attachTimeMillis when it attached (epoch ms)
 */
public record ProcInfo(int slot, long pid, long startMillis, ProcKind kind, long attachTimeMillis)
{
}
