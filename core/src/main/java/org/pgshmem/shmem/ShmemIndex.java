package org.pgshmem.shmem;

import static org.pgshmem.shmem.ShmemIndexDescriptor.*;

import org.agrona.concurrent.AtomicBuffer;
import org.pgshmem.util.PgException;

/**
 * Flyweight over the shmem index (see {@link ShmemIndexDescriptor}). Finds entries by label
 * without allocating: labels are printable ASCII, compared char by char against the bytes.
 * Positions it returns are absolute offsets of entries in the segment buffer.
 */
final class ShmemIndex
{
    static final int NOT_FOUND = -1;

    private final AtomicBuffer buffer;
    private final int base;

    ShmemIndex(final AtomicBuffer buffer, final int base)
    {
        this.buffer = buffer;
        this.base = base;
    }

    /** Throws unless {@code label} is 1 to 63 printable ASCII characters. */
    static void validateLabel(final String label)
    {
        boolean ok = label != null && !label.isEmpty() && label.length() <= MAX_LABEL_LENGTH;
        for (int i = 0; ok && i < label.length(); i++)
        {
            final char c = label.charAt(i);
            ok = c >= 0x20 && c < 0x7f;
        }
        if (!ok)
        {
            throw new PgException(
                "invalid shared memory label \"" + label + "\"",
                "A label is 1 to " + MAX_LABEL_LENGTH + " printable ASCII characters.",
                null);
        }
    }

    /** FNV-1a 64 over the bytes of {@code bytes}. */
    static long fnv1a(final byte[] bytes)
    {
        long h = 0xcbf29ce484222325L;
        for (final byte b : bytes)
        {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** FNV-1a 64 over a label's characters, which are ASCII, so the same as over its bytes; no allocation. */
    static long fnv1a(final CharSequence s)
    {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++)
        {
            h ^= s.charAt(i) & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static int homeSlot(final String label)
    {
        final long h = fnv1a(label);
        return (int)((h ^ (h >>> 32)) & (CAPACITY - 1));
    }

    /** The entry holding {@code label}, looked up without the lock, or {@link #NOT_FOUND}. */
    int find(final String label)
    {
        int slot = homeSlot(label);
        for (int probes = 0; probes < CAPACITY; probes++)
        {
            final int entry = base + entryOffset(slot);
            if (buffer.getIntAcquire(entry + STATE_OFFSET) == STATE_EMPTY)
            {
                return NOT_FOUND;
            }
            if (labelEquals(entry, label))
            {
                return entry;
            }
            slot = (slot + 1) & (CAPACITY - 1);
        }
        return NOT_FOUND;
    }

    /**
     * Under the index lock: claims the first empty entry on {@code label}'s probe chain and writes
     * everything but the state. The caller checked absence, may write more fields, then
     * {@linkplain #publishState publishes} the entry as INITIALIZING, which makes it visible.
     */
    int insert(final String label, final int kind, final long offset, final long size, final long allocatedSize,
        final long pid)
    {
        int slot = homeSlot(label);
        for (int probes = 0; probes < CAPACITY; probes++)
        {
            final int entry = base + entryOffset(slot);
            if (buffer.getIntVolatile(entry + STATE_OFFSET) == STATE_EMPTY)
            {
                buffer.putInt(entry + KIND_OFFSET, kind);
                buffer.putInt(entry + LABEL_LENGTH_OFFSET, label.length());
                for (int i = 0; i < label.length(); i++)
                {
                    buffer.putByte(entry + LABEL_OFFSET + i, (byte)label.charAt(i));
                }
                buffer.putLong(entry + SEGMENT_OFFSET_OFFSET, offset);
                buffer.putLong(entry + SIZE_OFFSET, size);
                buffer.putLong(entry + ALLOCATED_SIZE_OFFSET, allocatedSize);
                buffer.putLong(entry + INITIALIZER_PID_OFFSET, pid);
                return entry;
            }
            slot = (slot + 1) & (CAPACITY - 1);
        }
        throw new PgException(
            "out of shared memory: the shmem index is full (" + CAPACITY + " labels)",
            "Could not register \"" + label + "\".",
            "Use fewer shared memory labels.");
    }

    private boolean labelEquals(final int entry, final String label)
    {
        final int length = buffer.getInt(entry + LABEL_LENGTH_OFFSET);
        if (length != label.length())
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (buffer.getByte(entry + LABEL_OFFSET + i) != (byte)label.charAt(i))
            {
                return false;
            }
        }
        return true;
    }

    String label(final int entry)
    {
        final int length = buffer.getInt(entry + LABEL_LENGTH_OFFSET);
        return buffer.getStringWithoutLengthAscii(entry + LABEL_OFFSET, length);
    }

    int state(final int entry)
    {
        return buffer.getIntAcquire(entry + STATE_OFFSET);
    }

    void publishState(final int entry, final int state)
    {
        buffer.putIntRelease(entry + STATE_OFFSET, state);
    }

    int kind(final int entry)
    {
        return buffer.getInt(entry + KIND_OFFSET);
    }

    long offset(final int entry)
    {
        return buffer.getLong(entry + SEGMENT_OFFSET_OFFSET);
    }

    long size(final int entry)
    {
        return buffer.getLong(entry + SIZE_OFFSET);
    }

    long allocatedSize(final int entry)
    {
        return buffer.getLong(entry + ALLOCATED_SIZE_OFFSET);
    }

    long initializerPid(final int entry)
    {
        return buffer.getLong(entry + INITIALIZER_PID_OFFSET);
    }

    /** Every published entry, in slot order. */
    void forEach(final java.util.function.IntConsumer consumer)
    {
        for (int slot = 0; slot < CAPACITY; slot++)
        {
            final int entry = base + entryOffset(slot);
            if (buffer.getIntAcquire(entry + STATE_OFFSET) != STATE_EMPTY)
            {
                consumer.accept(entry);
            }
        }
    }

    // hash-only fields

    void putHashDescriptor(final int entry, final long maxEntries, final String keyType, final String valueType,
        final boolean transientHash)
    {
        buffer.putInt(entry + FLAGS_OFFSET, transientHash ? FLAG_TRANSIENT : 0);
        buffer.putLong(entry + HASH_MAX_ENTRIES_OFFSET, maxEntries);
        buffer.putLong(entry + HASH_KEY_TYPE_HASH_OFFSET, typeHash(keyType));
        buffer.putLong(entry + HASH_VALUE_TYPE_HASH_OFFSET, typeHash(valueType));
        putTypeName(entry + HASH_KEY_TYPE_NAME_OFFSET, keyType);
        putTypeName(entry + HASH_VALUE_TYPE_NAME_OFFSET, valueType);
    }

    private void putTypeName(final int offset, final String name)
    {
        // keep the tail, where a class name is most distinctive
        final String shown = name.length() <= TYPE_NAME_LENGTH ? name : name.substring(name.length() - TYPE_NAME_LENGTH);
        buffer.putStringAscii(offset, shown);
    }

    boolean hashIsTransient(final int entry)
    {
        return (buffer.getInt(entry + FLAGS_OFFSET) & FLAG_TRANSIENT) != 0;
    }

    long hashMaxEntries(final int entry)
    {
        return buffer.getLong(entry + HASH_MAX_ENTRIES_OFFSET);
    }

    boolean hashTypesMatch(final int entry, final String keyType, final String valueType)
    {
        return buffer.getLong(entry + HASH_KEY_TYPE_HASH_OFFSET) == typeHash(keyType)
            && buffer.getLong(entry + HASH_VALUE_TYPE_HASH_OFFSET) == typeHash(valueType);
    }

    /** Class names may be any Unicode: hashed over their UTF-8 bytes. */
    private static long typeHash(final String className)
    {
        return fnv1a(className.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    String hashKeyTypeName(final int entry)
    {
        return buffer.getStringAscii(entry + HASH_KEY_TYPE_NAME_OFFSET);
    }

    String hashValueTypeName(final int entry)
    {
        return buffer.getStringAscii(entry + HASH_VALUE_TYPE_NAME_OFFSET);
    }

    /** Offset of the recovery-generation word of a hash entry. */
    static int hashGenerationOffset(final int entry)
    {
        return entry + HASH_GENERATION_OFFSET;
    }

    /** Offset of the entry-count word of a hash entry (every process adds to it). */
    static int hashEntryCountOffset(final int entry)
    {
        return entry + HASH_ENTRY_COUNT_OFFSET;
    }
}
