package org.pgshmem.crypto;

/** Searching bytes for bytes, for tests that check what a file or buffer must not contain. */
final class Bytes
{
    private Bytes()
    {
    }

    /** Where {@code needle} first occurs in {@code haystack}, or -1. */
    static int indexOf(final byte[] haystack, final byte[] needle)
    {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
