package org.pgshmem.proc;

/**
 * A snapshot of one active proc-array slot.
 *
 * @param slot             slot number
 * @param pid              the process id
 * @param startToken       its start token (the kernel's start time, see Processes)
 * @param kind             what it is
 * @param attachTimeMillis when it attached (epoch ms)
 */
public record ProcInfo(int slot, long pid, long startToken, ProcKind kind, long attachTimeMillis)
{
}
