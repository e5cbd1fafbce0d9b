package org.pgshmem.shmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.pgshmem.util.PgException;

class ShmemSizeTest
{
    @Test
    void addAndMultiplyFailLoudlyOnOverflow()
    {
        assertEquals(30, ShmemSize.addSize(10, 20));
        assertEquals(200, ShmemSize.mulSize(10, 20));
        final PgException add = assertThrows(PgException.class, () -> ShmemSize.addSize(Long.MAX_VALUE, 1));
        assertTrue(add.getMessage().contains("overflows"), add.getMessage());
        assertThrows(PgException.class, () -> ShmemSize.mulSize(Long.MAX_VALUE / 2, 3));
        assertThrows(PgException.class, () -> ShmemSize.addSize(-1, 1));
    }

    @Test
    void alignUpRoundsToACacheLine()
    {
        assertEquals(0, ShmemSize.alignUp(0));
        assertEquals(64, ShmemSize.alignUp(1));
        assertEquals(64, ShmemSize.alignUp(64));
        assertEquals(128, ShmemSize.alignUp(65));
    }
}
