package org.pgshmem.shmem;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of the shmem index (PostgreSQL's ShmemIndex): an open-addressing hash table of
 * {@link #CAPACITY} fixed-length entries that follows the segment header. An entry's slot is
 * found by hashing its label (FNV-1a over the label's ASCII bytes) and probing linearly.
 * Entries are never removed while the segment lives, so a reader that meets an EMPTY entry
 * knows the label is absent and may look without the lock; writers hold the index lock.
 *
 * One row is eight bytes, little-endian.
 * <pre>
 *  +-------------------------------+-------------------------------+
 *  |  State (published last)       |  Kind (1 struct, 2 hash)      |   0
 *  +-------------------------------+-------------------------------+
 *  |  Label Length                 |  Reserved                     |   8
 *  +-------------------------------+-------------------------------+
 *  |  Label (up to 63 ASCII bytes, zero padded to 64)             ...  16
 *  +---------------------------------------------------------------+
 *  |  Offset in segment                                            |  80
 *  |  Size (as requested)                                          |  88
 *  |  Allocated Size (size rounded up to a cache line)             |  96
 *  |  Initializer PID                                              | 104
 *  |  Flags (int; bit 0: transient hash) | Reserved                 | 112
 *  |  Hash: Recovery Generation (odd while the hash is recovered)  | 120
 *  +---------------------------------------------------------------+
 *  |  Hash: Max Entries (capacity)                                 | 128
 *  |  Hash: Entry Count (kept by every process's puts and removes) | 136
 *  |  Hash: Key Type Hash (FNV-1a 64 of the class name)            | 144
 *  |  Hash: Value Type Hash                                        | 152
 *  |  Hash: Key Type Name Length | Key Type Name (up to 44 bytes) ... 160
 *  |  Hash: Value Type Name Length | Value Type Name (up to 44)   ... 208
 *  +---------------------------------------------------------------+ 256
 * </pre>
 *
 * States: EMPTY (0), INITIALIZING (1, the creator is running its init), READY (2), FAILED (3,
 * the creator's init threw). Offsets are relative to the entry's start.
 */
public final class ShmemIndexDescriptor
{
    /** Entries in the index; a segment holds at most this many labels. */
    public static final int CAPACITY = 1024;
    /** Longest label, in bytes. */
    public static final int MAX_LABEL_LENGTH = 63;

    public static final int STATE_EMPTY = 0;
    public static final int STATE_INITIALIZING = 1;
    public static final int STATE_READY = 2;
    public static final int STATE_FAILED = 3;

    public static final int KIND_STRUCT = 1;
    public static final int KIND_HASH = 2;

    public static final int STATE_OFFSET = 0;
    public static final int KIND_OFFSET = STATE_OFFSET + SIZE_OF_INT;
    public static final int LABEL_LENGTH_OFFSET = KIND_OFFSET + SIZE_OF_INT;
    public static final int LABEL_OFFSET = LABEL_LENGTH_OFFSET + 2 * SIZE_OF_INT;
    public static final int SEGMENT_OFFSET_OFFSET = LABEL_OFFSET + MAX_LABEL_LENGTH + 1;
    public static final int SIZE_OFFSET = SEGMENT_OFFSET_OFFSET + SIZE_OF_LONG;
    public static final int ALLOCATED_SIZE_OFFSET = SIZE_OFFSET + SIZE_OF_LONG;
    public static final int INITIALIZER_PID_OFFSET = ALLOCATED_SIZE_OFFSET + SIZE_OF_LONG;
    public static final int FLAGS_OFFSET = INITIALIZER_PID_OFFSET + SIZE_OF_LONG;
    /**
     * A hash's recovery generation: even while the hash is usable; made odd by the postmaster when
     * a process died inside an operation on it, and even again once Chronicle's recovery ran.
     */
    public static final int HASH_GENERATION_OFFSET = FLAGS_OFFSET + 2 * SIZE_OF_INT;
    /** Flag: a hash whose file lives with the segment and is recreated at every start. */
    public static final int FLAG_TRANSIENT = 1;

    public static final int HASH_MAX_ENTRIES_OFFSET = 128;
    public static final int HASH_ENTRY_COUNT_OFFSET = HASH_MAX_ENTRIES_OFFSET + SIZE_OF_LONG;
    public static final int HASH_KEY_TYPE_HASH_OFFSET = HASH_ENTRY_COUNT_OFFSET + SIZE_OF_LONG;
    public static final int HASH_VALUE_TYPE_HASH_OFFSET = HASH_KEY_TYPE_HASH_OFFSET + SIZE_OF_LONG;
    public static final int TYPE_NAME_LENGTH = 44;
    public static final int HASH_KEY_TYPE_NAME_OFFSET = HASH_VALUE_TYPE_HASH_OFFSET + SIZE_OF_LONG;
    public static final int HASH_VALUE_TYPE_NAME_OFFSET = HASH_KEY_TYPE_NAME_OFFSET + SIZE_OF_INT + TYPE_NAME_LENGTH;

    /** Length of one entry. */
    public static final int ENTRY_LENGTH = 256;
    /** Length of the whole index. */
    public static final int INDEX_LENGTH = CAPACITY * ENTRY_LENGTH;

    private ShmemIndexDescriptor()
    {
    }

    /** Offset of entry {@code slot} relative to the index start. */
    public static int entryOffset(final int slot)
    {
        return slot * ENTRY_LENGTH;
    }
}
