package org.pgshmem.lock;

import java.util.Objects;

/**
 * What a heavyweight lock is on (PostgreSQL's LOCKTAG): a type and up to four fields, packed
 * into two longs as the lock table stores them.
 * <pre>
 *  High: | Field1 (32) | Field4 (16) | Reserved (8) | Type code (8) |   (Type code 0 = no tag)
 *  Low:  | Field3 (32) | Field2 (32) |
 * </pre>
 * Field1 is PostgreSQL's database (always 0 here) except for transactionid and virtualxid tags,
 * whose first field goes there as in PostgreSQL. Written as {@code type:field[:field...]}
 * ({@code relation:16384}, {@code advisory:42}, {@code tuple:16384:0:3}).
 */
public final class LockTag
{
    private final long high;
    private final long low;

    private LockTag(final long high, final long low)
    {
        this.high = high;
        this.low = low;
    }

    private static LockTag of(final LockTagType type, final long field1, final long field2, final long field3,
        final int field4)
    {
        return new LockTag((field1 & 0xFFFF_FFFFL) << 32 | (field4 & 0xFFFFL) << 16 | type.code(),
            (field3 & 0xFFFF_FFFFL) << 32 | field2 & 0xFFFF_FFFFL);
    }

    /** The tag stored as {@code high}/{@code low} in shared memory. */
    public static LockTag ofStored(final long high, final long low)
    {
        if (LockTagType.ofCode((int)(high & 0xFF)) == null)
        {
            throw new IllegalArgumentException("not a lock tag: " + high + "/" + low);
        }
        return new LockTag(high, low);
    }

    /** A whole relation. */
    public static LockTag relation(final int relation)
    {
        return of(LockTagType.RELATION, 0, relation, 0, 0);
    }

    /** The right to extend a relation. */
    public static LockTag relationExtend(final int relation)
    {
        return of(LockTagType.RELATION_EXTEND, 0, relation, 0, 0);
    }

    /** A page of a relation. */
    public static LockTag page(final int relation, final int block)
    {
        return of(LockTagType.PAGE, 0, relation, block, 0);
    }

    /** A tuple: relation, block and line pointer. */
    public static LockTag tuple(final int relation, final int block, final int offset)
    {
        return of(LockTagType.TUPLE, 0, relation, block, offset);
    }

    /** A transaction id. */
    public static LockTag transaction(final int xid)
    {
        return of(LockTagType.TRANSACTION, xid, 0, 0, 0);
    }

    /** A virtual transaction: process number and local transaction id. */
    public static LockTag virtualTransaction(final int procNumber, final int localXid)
    {
        return of(LockTagType.VIRTUAL_TRANSACTION, procNumber, localXid, 0, 0);
    }

    /** A non-relation object: catalog, object and sub-object ids. */
    public static LockTag object(final int classId, final int objectId, final int subId)
    {
        return of(LockTagType.OBJECT, 0, classId, objectId, subId);
    }

    /** An advisory lock on one bigint key, as pg_advisory_lock(bigint) takes (field4 = 1). */
    public static LockTag advisory(final long key)
    {
        return of(LockTagType.ADVISORY, 0, key >>> 32, key, 1);
    }

    /** An advisory lock on two int keys, as pg_advisory_lock(int, int) takes (field4 = 2). */
    public static LockTag advisory(final int key1, final int key2)
    {
        return of(LockTagType.ADVISORY, 0, key1, key2, 2);
    }

    /** Parses {@code type:field[:field...]}. */
    public static LockTag parse(final String text)
    {
        final String[] parts = text.split(":", -1);
        final LockTagType type = LockTagType.parse(parts[0]);
        final int fields = parts.length - 1;
        if (fields < type.minFields() || fields > type.maxFields())
        {
            throw new IllegalArgumentException("invalid lock tag \"" + text + "\": " + (type == LockTagType.OBJECT || type == LockTagType.ADVISORY ? "an " : "a ")
                + type.locktype() + " tag has "
                + (type.minFields() == type.maxFields() ? String.valueOf(type.minFields())
                    : type.minFields() + " or " + type.maxFields()) + " field(s), as in " + example(type));
        }
        final long[] f = new long[fields];
        for (int i = 0; i < fields; i++)
        {
            try
            {
                // advisory keys are signed, as pg_advisory_lock's bigint and int4 arguments; the rest are oids and numbers
                f[i] = type != LockTagType.ADVISORY ? Integer.parseUnsignedInt(parts[i + 1])
                    : fields == 1 ? Long.parseLong(parts[i + 1]) : Integer.parseInt(parts[i + 1]);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("invalid lock tag \"" + text + "\": \"" + parts[i + 1]
                    + "\" is not a number");
            }
        }
        // a tuple's offset and an object's sub-id go into the 16-bit field4
        if ((type == LockTagType.TUPLE || type == LockTagType.OBJECT) && fields == 3 && f[2] > 0xFFFF)
        {
            throw new IllegalArgumentException("invalid lock tag \"" + text + "\": " + parts[3]
                + " is out of range for its field (0 to 65535)");
        }
        return switch (type)
        {
            case RELATION -> relation((int)f[0]);
            case RELATION_EXTEND -> relationExtend((int)f[0]);
            case PAGE -> page((int)f[0], (int)f[1]);
            case TUPLE -> tuple((int)f[0], (int)f[1], (int)f[2]);
            case TRANSACTION -> transaction((int)f[0]);
            case VIRTUAL_TRANSACTION -> virtualTransaction((int)f[0], (int)f[1]);
            case OBJECT -> object((int)f[0], (int)f[1], fields > 2 ? (int)f[2] : 0);
            case ADVISORY -> fields == 1 ? advisory(f[0]) : advisory((int)f[0], (int)f[1]);
        };
    }

    private static String example(final LockTagType type)
    {
        return switch (type)
        {
            case RELATION -> "relation:16384";
            case RELATION_EXTEND -> "extend:16384";
            case PAGE -> "page:16384:0";
            case TUPLE -> "tuple:16384:0:1";
            case TRANSACTION -> "transactionid:731";
            case VIRTUAL_TRANSACTION -> "virtualxid:3:12";
            case OBJECT -> "object:1259:16384:0";
            case ADVISORY -> "advisory:42 or advisory:1:2";
        };
    }

    /** The first long stored in the lock table; never 0. */
    public long high()
    {
        return high;
    }

    /** The second long stored in the lock table. */
    public long low()
    {
        return low;
    }

    /** The tag's type. */
    public LockTagType type()
    {
        return LockTagType.ofCode((int)(high & 0xFF));
    }

    private long field1()
    {
        return high >>> 32;
    }

    private long field2()
    {
        return low & 0xFFFF_FFFFL;
    }

    private long field3()
    {
        return low >>> 32;
    }

    private int field4()
    {
        return (int)(high >>> 16 & 0xFFFF);
    }

    /** The written form, {@code type:field[:field...]}, that {@link #parse} reads. */
    @Override
    public String toString()
    {
        final String t = type().locktype() + ":";
        return switch (type())
        {
            case RELATION, RELATION_EXTEND -> t + field2();
            case PAGE -> t + field2() + ":" + field3();
            case TUPLE -> t + field2() + ":" + field3() + ":" + field4();
            case TRANSACTION -> t + field1();
            case VIRTUAL_TRANSACTION -> t + field1() + ":" + field2();
            case OBJECT -> t + field2() + ":" + field3() + ":" + field4();
            case ADVISORY -> field4() == 1 ? t + (field2() << 32 | field3()) : t + (int)field2() + ":" + (int)field3();
        };
    }

    /** What PostgreSQL's DescribeLockTag says, for messages: {@code relation 16384 of database 0}. */
    public String describe()
    {
        return switch (type())
        {
            case RELATION -> "relation " + field2() + " of database " + field1();
            case RELATION_EXTEND -> "extension of relation " + field2() + " of database " + field1();
            case PAGE -> "page " + field3() + " of relation " + field2() + " of database " + field1();
            case TUPLE -> "tuple (" + field3() + "," + field4() + ") of relation " + field2() + " of database " + field1();
            case TRANSACTION -> "transaction " + field1();
            case VIRTUAL_TRANSACTION -> "virtual transaction " + field1() + "/" + field2();
            case OBJECT -> "object " + field3() + " of class " + field2() + " of database " + field1();
            case ADVISORY -> "advisory lock [" + field1() + "," + field2() + "," + field3() + "," + field4() + "]";
        };
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof LockTag t && t.high == high && t.low == low;
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(high, low);
    }
}
