package org.pgshmem.util;

/**
 * The one rule of deletion without tombstones in a linear-probing table (Knuth's Algorithm R),
 * shared by every such table of the project: after an entry is removed, the later entries of its
 * probe run are moved back into the hole unless that would put them before their home.
 */
public final class LinearProbing
{
    private LinearProbing()
    {
    }

    /**
     * Whether the entry at {@code index}, whose home is {@code home}, may move back into the
     * hole at {@code hole} (positions taken cyclically): true unless its home lies cyclically in
     * (hole, index].
     */
    public static boolean movesIntoHole(final int hole, final int index, final int home)
    {
        final boolean stays = hole <= index ? hole < home && home <= index : hole < home || home <= index;
        return !stays;
    }
}
