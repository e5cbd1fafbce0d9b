package org.pgshmem.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class LockModeTest
{
    /**
     * PostgreSQL's documentation, "Table 13.2. Conflicting Lock Modes", copied cell by cell:
     * rows are the requested mode, columns the existing mode, X a conflict. Column order is
     * ACCESS SHARE, ROW SHARE, ROW EXCL., SHARE UPDATE EXCL., SHARE, SHARE ROW EXCL., EXCL.,
     * ACCESS EXCL.
     */
    private static final String[] DOCUMENTED_CONFLICTS = {
        "AccessShareLock          . . . . . . . X",
        "RowShareLock             . . . . . . X X",
        "RowExclusiveLock         . . . . X X X X",
        "ShareUpdateExclusiveLock . . . X X X X X",
        "ShareLock                . . X X . X X X",
        "ShareRowExclusiveLock    . . X X X X X X",
        "ExclusiveLock            . X X X X X X X",
        "AccessExclusiveLock      X X X X X X X X",
    };

    private static final String[] PG_NAMES = {
        "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
        "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock",
    };

    @Test
    void conflictsAreExactlyPostgreSqlsDocumentedTable()
    {
        final List<String> wrong = new ArrayList<>();
        for (final String row : DOCUMENTED_CONFLICTS)
        {
            final String[] cells = row.trim().split(" +");
            assertEquals(9, cells.length, row);
            final LockMode requested = LockMode.parse(cells[0]);
            for (int col = 1; col <= 8; col++)
            {
                final LockMode existing = LockMode.ofNumber(col);
                final boolean documented = "X".equals(cells[col]);
                if (requested.conflictsWith(existing) != documented)
                {
                    wrong.add(requested.pgName() + " vs " + existing.pgName() + ": documented " + documented);
                }
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void conflictMaskHasOnlyTheEightModeBits()
    {
        final int modeBits = 0b1_1111_1110;
        for (final LockMode mode : LockMode.values())
        {
            assertEquals(0, mode.conflictMask() & ~modeBits, mode.pgName());
        }
        assertEquals(modeBits, LockMode.ACCESS_EXCLUSIVE.conflictMask(), "AccessExclusiveLock conflicts with all");
    }

    @Test
    void conflictsAreSymmetric()
    {
        for (final LockMode a : LockMode.values())
        {
            for (final LockMode b : LockMode.values())
            {
                assertEquals(a.conflictsWith(b), b.conflictsWith(a), a + " vs " + b);
            }
        }
    }

    @Test
    void modesHavePostgreSqlsNamesNumbersAndBits()
    {
        assertEquals(8, LockMode.values().length);
        for (int number = 1; number <= 8; number++)
        {
            final LockMode mode = LockMode.ofNumber(number);
            assertEquals(PG_NAMES[number - 1], mode.pgName());
            assertEquals(number, mode.number());
            assertEquals(1 << number, mode.bit());
        }
        assertEquals(LockMode.ACCESS_SHARE, LockMode.ofNumber(1));
        assertEquals(LockMode.ACCESS_EXCLUSIVE, LockMode.ofNumber(8));
    }

    @Test
    void ofNumberOutsideOneToEightIsNull()
    {
        assertEquals(null, LockMode.ofNumber(0));
        assertEquals(null, LockMode.ofNumber(9));
        assertEquals(null, LockMode.ofNumber(-1));
    }

    @Test
    void parseAcceptsPgNamesInAnyCaseWithOrWithoutLock()
    {
        assertSame(LockMode.ACCESS_SHARE, LockMode.parse("AccessShareLock"));
        assertSame(LockMode.ACCESS_SHARE, LockMode.parse("accesssharelock"));
        assertSame(LockMode.ACCESS_SHARE, LockMode.parse("AccessShare"));
        assertSame(LockMode.SHARE_UPDATE_EXCLUSIVE, LockMode.parse("SHAREUPDATEEXCLUSIVE"));
        assertSame(LockMode.SHARE, LockMode.parse("share"));
        assertSame(LockMode.EXCLUSIVE, LockMode.parse("Exclusive"));
        assertSame(LockMode.ACCESS_EXCLUSIVE, LockMode.parse("accessExclusiveLOCK"));
        for (final String name : PG_NAMES)
        {
            assertEquals(name, LockMode.parse(name.toUpperCase()).pgName());
            assertEquals(name, LockMode.parse(name.substring(0, name.length() - "Lock".length())).pgName());
        }
    }

    @Test
    void parseRejectsJunkListingTheModeNames()
    {
        for (final String junk : new String[] {"", "Lock", "AccessShareLockLock", "access share", "ACCESS_SHARE", "9"})
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> LockMode.parse(junk));
            assertTrue(ex.getMessage().contains("\"" + junk + "\""), ex.getMessage());
            for (final String name : PG_NAMES)
            {
                assertTrue(ex.getMessage().contains(name), "message lists " + name + ": " + ex.getMessage());
            }
        }
    }
}
