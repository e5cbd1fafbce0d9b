package org.pgshmem.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LockTagTest
{
    private static final List<String> WRITTEN = List.of(
        "relation:16384",
        "extend:16384",
        "page:16384:7",
        "tuple:16384:7:3",
        "transactionid:731",
        "virtualxid:3:12",
        "object:1259:16384:0",
        "advisory:42",
        "advisory:-1",
        "advisory:9223372036854775807",
        "advisory:-9223372036854775808",
        "advisory:1:2");

    @Test
    void everyWrittenFormParsesAndPrintsBackUnchanged()
    {
        for (final String text : WRITTEN)
        {
            assertEquals(text, LockTag.parse(text).toString());
        }
    }

    @Test
    void parsedTagHasTheTypeItsPrefixNames()
    {
        assertEquals(LockTagType.RELATION, LockTag.parse("relation:1").type());
        assertEquals(LockTagType.RELATION_EXTEND, LockTag.parse("extend:1").type());
        assertEquals(LockTagType.PAGE, LockTag.parse("page:1:2").type());
        assertEquals(LockTagType.TUPLE, LockTag.parse("tuple:1:2:3").type());
        assertEquals(LockTagType.TRANSACTION, LockTag.parse("transactionid:1").type());
        assertEquals(LockTagType.VIRTUAL_TRANSACTION, LockTag.parse("virtualxid:1:2").type());
        assertEquals(LockTagType.OBJECT, LockTag.parse("object:1:2:3").type());
        assertEquals(LockTagType.ADVISORY, LockTag.parse("advisory:1").type());
    }

    @Test
    void factoriesAndParseMakeEqualTags()
    {
        assertEquals(LockTag.relation(16384), LockTag.parse("relation:16384"));
        assertEquals(LockTag.relationExtend(16384), LockTag.parse("extend:16384"));
        assertEquals(LockTag.page(16384, 7), LockTag.parse("page:16384:7"));
        assertEquals(LockTag.tuple(16384, 7, 3), LockTag.parse("tuple:16384:7:3"));
        assertEquals(LockTag.transaction(731), LockTag.parse("transactionid:731"));
        assertEquals(LockTag.virtualTransaction(3, 12), LockTag.parse("virtualxid:3:12"));
        assertEquals(LockTag.object(1259, 16384, 0), LockTag.parse("object:1259:16384:0"));
        assertEquals(LockTag.advisory(42L), LockTag.parse("advisory:42"));
        assertEquals(LockTag.advisory(1, 2), LockTag.parse("advisory:1:2"));
        assertEquals(LockTag.parse("relation:5").hashCode(), LockTag.relation(5).hashCode());
    }

    @Test
    void objectSubIdMayBeLeftOutAndIsThenZero()
    {
        assertEquals(LockTag.object(1259, 16384, 0), LockTag.parse("object:1259:16384"));
        assertEquals("object:1259:16384:0", LockTag.parse("object:1259:16384").toString());
    }

    @Test
    void oidsAboveTwoToTheThirtyOneAreUnsignedAsInPostgreSql()
    {
        final LockTag tag = LockTag.parse("relation:4294967295");
        assertEquals("relation:4294967295", tag.toString());
        assertEquals("relation 4294967295 of database 0", tag.describe());
        assertEquals(LockTag.relation(-1), tag);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "relation:16384                | relation 16384 of database 0",
        "extend:16384                  | extension of relation 16384 of database 0",
        "page:16384:7                  | page 7 of relation 16384 of database 0",
        "tuple:16384:7:3               | tuple (7,3) of relation 16384 of database 0",
        "transactionid:731             | transaction 731",
        "virtualxid:3:12               | virtual transaction 3/12",
        "object:1259:16384:0           | object 16384 of class 1259 of database 0",
        "advisory:42                   | advisory lock [0,0,42,1]",
        "advisory:1:2                  | advisory lock [0,1,2,2]",
        // a bigint key packs as SET_LOCKTAG_INT64: field2 = key >> 32, field3 = (uint32) key, field4 = 1
        "advisory:4294967296           | advisory lock [0,1,0,1]",
        "advisory:4294967338           | advisory lock [0,1,42,1]",
        "advisory:-1                   | advisory lock [0,4294967295,4294967295,1]",
        "advisory:9223372036854775807  | advisory lock [0,2147483647,4294967295,1]",
        "advisory:-9223372036854775808 | advisory lock [0,2147483648,0,1]",
    })
    void describeUsesPostgreSqlsDescribeLockTagWording(final String text, final String description)
    {
        assertEquals(description, LockTag.parse(text).describe());
    }

    @Test
    void advisoryBigintAndIntPairWithTheSameBitsAreDifferentLocks()
    {
        // pg_advisory_lock(1) and pg_advisory_lock(0, 1) do not block each other: field4 tells them apart
        assertNotEquals(LockTag.advisory(1L), LockTag.advisory(0, 1));
        assertEquals("advisory lock [0,0,1,2]", LockTag.advisory(0, 1).describe());
    }

    @Test
    void distinctTagsDifferInTheirStoredLongsAndHighIsNeverZero()
    {
        final List<LockTag> tags = List.of(
            LockTag.relation(0), LockTag.relation(1), LockTag.relationExtend(1), LockTag.page(1, 0), LockTag.page(1, 1),
            LockTag.tuple(1, 1, 0), LockTag.tuple(1, 1, 1), LockTag.tuple(1, 0, 1), LockTag.transaction(0),
            LockTag.transaction(1), LockTag.virtualTransaction(0, 0), LockTag.virtualTransaction(0, 1),
            LockTag.virtualTransaction(1, 0), LockTag.object(0, 0, 0), LockTag.object(1, 0, 0), LockTag.object(0, 1, 0),
            LockTag.object(0, 0, 1), LockTag.advisory(0L), LockTag.advisory(1L), LockTag.advisory(-1L),
            LockTag.advisory(1L << 32), LockTag.advisory(0, 0), LockTag.advisory(0, 1), LockTag.advisory(1, 0));
        final Map<String, LockTag> byStored = new HashMap<>();
        for (final LockTag tag : tags)
        {
            assertNotEquals(0, tag.high(), tag + ": a high word of 0 marks a free lock table entry");
            final LockTag before = byStored.put(tag.high() + "/" + tag.low(), tag);
            assertEquals(null, before, tag + " and " + before + " are stored alike");
        }
    }

    @Test
    void ofStoredGivesBackTheSameTag()
    {
        for (final String text : WRITTEN)
        {
            final LockTag tag = LockTag.parse(text);
            final LockTag stored = LockTag.ofStored(tag.high(), tag.low());
            assertEquals(tag, stored);
            assertEquals(text, stored.toString());
            assertEquals(tag.describe(), stored.describe());
        }
    }

    @Test
    void ofStoredRejectsAWordWithNoTagType()
    {
        assertThrows(IllegalArgumentException.class, () -> LockTag.ofStored(0, 0));
        assertThrows(IllegalArgumentException.class, () -> LockTag.ofStored(0xFF, 1));
    }

    @Test
    void unknownTypeIsRejectedListingTheTypes()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> LockTag.parse("table:16384"));
        assertTrue(ex.getMessage().contains("\"table\""), ex.getMessage());
        for (final LockTagType type : LockTagType.values())
        {
            assertTrue(ex.getMessage().contains(type.locktype()), ex.getMessage());
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "relation                      | a relation tag has 1 field(s), as in relation:16384",
        "relation:1:2                  | a relation tag has 1 field(s), as in relation:16384",
        "page:16384                    | a page tag has 2 field(s), as in page:16384:0",
        "tuple:16384:7                 | a tuple tag has 3 field(s), as in tuple:16384:0:1",
        "virtualxid:3                  | a virtualxid tag has 2 field(s)",
        "object:1259                   | object tag has 2 or 3 field(s), as in object:1259:16384:0",
        "object:1:2:3:4                | object tag has 2 or 3 field(s), as in object:1259:16384:0",
        "advisory:1:2:3                | 1 or 2 field(s), as in advisory:42 or advisory:1:2",
    })
    void wrongFieldCountIsRejectedWithAnExample(final String text, final String expected)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> LockTag.parse(text));
        assertTrue(ex.getMessage().startsWith("invalid lock tag \"" + text + "\""), ex.getMessage());
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"relation:abc", "relation:", "page:16384:x", "advisory:1.5", "advisory:99999999999999999999",
        "transactionid:4294967296", "relation: 1"})
    void nonNumberFieldIsRejectedNamingTheField(final String text)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> LockTag.parse(text));
        final String field = text.substring(text.lastIndexOf(':') + 1);
        assertEquals("invalid lock tag \"" + text + "\": \"" + field + "\" is not a number", ex.getMessage());
    }

    @Test
    void advisoryIntPairWithNegativeKeysRoundTrips()
    {
        // pg_advisory_lock(int4, int4) takes signed keys
        final LockTag tag = LockTag.advisory(-1, -2);
        assertEquals("advisory:-1:-2", tag.toString());
        assertEquals(tag, LockTag.parse(tag.toString()));
    }

    @Test
    void sixteenBitFieldOutOfRangeIsRejected()
    {
        assertThrows(IllegalArgumentException.class, () -> LockTag.parse("tuple:16384:7:65539"));
        assertThrows(IllegalArgumentException.class, () -> LockTag.parse("object:1259:16384:65536"));
    }
}
