package org.pgshmem.crypto;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;
import static org.agrona.BitUtil.SIZE_OF_SHORT;

/**
 * Layout of {@code DATA/keys/wal.key}: the cluster's WAL data key, wrapped by the key encryption
 * key of {@code encryption_key_file} with AES key wrap (RFC 3394), never in the clear.
 * Little-endian; the last four bytes are a CRC-32C of all the bytes before them, so that a
 * damaged file is told apart from a wrong key (which only the key wrap's integrity check finds).
 *
 * <pre>
 *  +-------------------------------+---------------+---------------+
 *  |  Magic ("PGWK")               |  Version      |  Algorithm    |   0
 *  +-------------------------------+---------------+---------------+
 *  |  System identifier of the cluster                             |   8
 *  +-------------------------------+-------------------------------+
 *  |  Wrapped key length (40)      |  zeros                        |  16
 *  +-------------------------------+-------------------------------+
 *  |  Wrapped key: RFC 3394 of the 32-byte data key (40 bytes)     |  24
 *  |  ...                                                          |
 *  +-------------------------------+-------------------------------+
 *  |  CRC-32C of bytes 0 .. 63     |                                  64
 *  +-------------------------------+
 * </pre>
 */
public final class WalKeyFileDescriptor
{
    /** "PGWK" as a little-endian int. */
    public static final int MAGIC = 0x4B574750;
    /** Bumped whenever this layout changes. */
    public static final short VERSION = 1;
    /**
     * Algorithm 1: a 256-bit AES data key wrapped with AES-256 key wrap (RFC 3394, the JDK's
     * "AESWrap"); WAL pages encrypted with AES-256 in CTR mode, the initial counter block being
     * the page address (big-endian) followed by eight zero bytes.
     */
    public static final short ALGORITHM_AES256_KW_CTR = 1;
    /** Bytes of a data key wrapped by RFC 3394: the key plus the 8-byte integrity check value. */
    public static final int WRAPPED_KEY_LENGTH = EncryptionKeyFile.KEY_LENGTH + SIZE_OF_LONG;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = MAGIC_OFFSET + SIZE_OF_INT;
    public static final int ALGORITHM_OFFSET = VERSION_OFFSET + SIZE_OF_SHORT;
    public static final int SYSTEM_IDENTIFIER_OFFSET = ALGORITHM_OFFSET + SIZE_OF_SHORT;
    public static final int WRAPPED_KEY_LENGTH_OFFSET = SYSTEM_IDENTIFIER_OFFSET + SIZE_OF_LONG;
    public static final int WRAPPED_KEY_OFFSET = WRAPPED_KEY_LENGTH_OFFSET + 2 * SIZE_OF_INT;
    public static final int CRC_OFFSET = WRAPPED_KEY_OFFSET + WRAPPED_KEY_LENGTH;
    /** Bytes of the file. */
    public static final int FILE_SIZE = CRC_OFFSET + SIZE_OF_INT;

    private WalKeyFileDescriptor()
    {
    }
}
