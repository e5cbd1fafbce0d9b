package org.pgshmem.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgshmem.wal.WalPageHeaderDescriptor.LENGTH;
import static org.pgshmem.wal.WalPageHeaderDescriptor.PAGE_SIZE;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

class AesCtrPageCipherTest
{
    private static final byte[] TEXT = "a distinctive plaintext logged into the WAL ".getBytes(StandardCharsets.US_ASCII);

    private final byte[] key = WalKeyFileTest.randomKey();
    private final AesCtrPageCipher cipher = new AesCtrPageCipher(key);

    /** A page with a recognizable header and the text repeated over the rest. */
    private static byte[] page()
    {
        final byte[] page = new byte[PAGE_SIZE];
        for (int i = 0; i < LENGTH; i++)
        {
            page[i] = (byte)(0xA0 + i);
        }
        for (int i = LENGTH; i < PAGE_SIZE; i++)
        {
            page[i] = TEXT[(i - LENGTH) % TEXT.length];
        }
        return page;
    }

    @Test
    void aPageRoundTripsWithItsHeaderInTheClear()
    {
        for (final boolean direct : new boolean[] {false, true})
        {
            final byte[] plain = page();
            final ByteBuffer buf = direct ? ByteBuffer.allocateDirect(PAGE_SIZE) : ByteBuffer.allocate(PAGE_SIZE);
            buf.put(plain).clear();
            cipher.encrypt(0x1_0000_2000L, 0, buf, PAGE_SIZE);
            assertEquals(0, buf.position(), "position kept");
            assertEquals(PAGE_SIZE, buf.limit(), "limit kept");
            final byte[] encrypted = new byte[PAGE_SIZE];
            buf.get(0, encrypted);
            assertArrayEquals(Arrays.copyOf(plain, LENGTH), Arrays.copyOf(encrypted, LENGTH), "header in the clear");
            assertEquals(-1, Bytes.indexOf(encrypted, Arrays.copyOf(TEXT, 12)), "no plaintext left");
            cipher.decrypt(0x1_0000_2000L, 0, buf, PAGE_SIZE);
            final byte[] decrypted = new byte[PAGE_SIZE];
            buf.get(0, decrypted);
            assertArrayEquals(plain, decrypted, direct ? "direct" : "heap");
        }
    }

    @Test
    void itIsAesCtrWithThePageAddressAsTheCounterBlock() throws Exception
    {
        final long address = 0x0123_4567_89AB_E000L;
        final byte[] plain = page();
        final ByteBuffer buf = ByteBuffer.wrap(plain.clone());
        cipher.encrypt(address, 0, buf, PAGE_SIZE);
        // what another implementation of the documented format computes
        final Cipher reference = Cipher.getInstance("AES/CTR/NoPadding");
        final byte[] iv = new byte[16];
        ByteBuffer.wrap(iv).putLong(address);
        reference.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
        final byte[] expected = reference.doFinal(plain, LENGTH, PAGE_SIZE - LENGTH);
        assertArrayEquals(expected, Arrays.copyOfRange(buf.array(), LENGTH, PAGE_SIZE));
    }

    @Test
    void pagesAtOtherAddressesGetOtherKeyStreams()
    {
        final ByteBuffer a = ByteBuffer.wrap(page());
        final ByteBuffer b = ByteBuffer.wrap(page());
        final ByteBuffer c = ByteBuffer.wrap(page());
        cipher.encrypt(0x2000, 0, a, PAGE_SIZE);
        cipher.encrypt(0x4000, 0, b, PAGE_SIZE);
        // a page's 512 counter values must not run into the next page's
        cipher.encrypt(0x2001, 0, c, PAGE_SIZE);
        final byte[] body = Arrays.copyOfRange(a.array(), LENGTH, PAGE_SIZE);
        assertFalse(Arrays.equals(body, Arrays.copyOfRange(b.array(), LENGTH, PAGE_SIZE)));
        // the same address written in another epoch (after a restart) gets another key stream
        final ByteBuffer d = ByteBuffer.wrap(page());
        cipher.encrypt(0x2000, 7, d, PAGE_SIZE);
        assertFalse(Arrays.equals(body, Arrays.copyOfRange(d.array(), LENGTH, PAGE_SIZE)));
        assertFalse(Arrays.equals(body, Arrays.copyOfRange(c.array(), LENGTH, PAGE_SIZE)));
        for (int block = 0; block < (PAGE_SIZE - LENGTH) / 16; block++)
        {
            final byte[] one = Arrays.copyOfRange(a.array(), LENGTH + 16 * block, LENGTH + 16 * block + 16);
            assertEquals(-1, Bytes.indexOf(Arrays.copyOfRange(b.array(), LENGTH, PAGE_SIZE), one), "block " + block);
        }
        final ByteBuffer otherKey = ByteBuffer.wrap(page());
        new AesCtrPageCipher(WalKeyFileTest.randomKey()).encrypt(0x2000, 0, otherKey, PAGE_SIZE);
        assertFalse(Arrays.equals(body, Arrays.copyOfRange(otherKey.array(), LENGTH, PAGE_SIZE)), "another key");
    }

    @Test
    void aPartlyWrittenPageIsTransformedUpToItsEndOnlyAndAtItsPosition()
    {
        final byte[] plain = page();
        final ByteBuffer buf = ByteBuffer.allocate(3 * PAGE_SIZE);
        buf.position(PAGE_SIZE).put(plain).position(PAGE_SIZE);
        cipher.encrypt(0x6000, 0, buf, 100);
        assertEquals(PAGE_SIZE, buf.position());
        final byte[] after = Arrays.copyOfRange(buf.array(), PAGE_SIZE, 2 * PAGE_SIZE);
        assertArrayEquals(Arrays.copyOfRange(plain, 100, PAGE_SIZE), Arrays.copyOfRange(after, 100, PAGE_SIZE),
            "bytes past the end untouched");
        assertFalse(Arrays.equals(Arrays.copyOfRange(plain, LENGTH, 100), Arrays.copyOfRange(after, LENGTH, 100)));
        // a page written again with more records keeps the bytes it had: the key stream is the page's
        final ByteBuffer full = ByteBuffer.wrap(plain.clone());
        cipher.encrypt(0x6000, 0, full, PAGE_SIZE);
        assertArrayEquals(Arrays.copyOfRange(full.array(), 0, 100), Arrays.copyOfRange(after, 0, 100));
        cipher.decrypt(0x6000, 0, buf, 100);
        assertArrayEquals(plain, Arrays.copyOfRange(buf.array(), PAGE_SIZE, 2 * PAGE_SIZE));
        cipher.encrypt(0x6000, 0, buf, LENGTH);
        assertArrayEquals(plain, Arrays.copyOfRange(buf.array(), PAGE_SIZE, 2 * PAGE_SIZE), "nothing to encrypt");
        assertThrows(IllegalArgumentException.class, () -> cipher.encrypt(0, 0, ByteBuffer.allocate(PAGE_SIZE), PAGE_SIZE + 1));
        assertThrows(IllegalArgumentException.class, () -> cipher.encrypt(0, 0, ByteBuffer.allocate(PAGE_SIZE), LENGTH - 1));
    }

    @Test
    void threadsShareOneCipherObject() throws Exception
    {
        final ExecutorService pool = Executors.newFixedThreadPool(4);
        try
        {
            final List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++)
            {
                final long base = t * 0x100_0000L;
                results.add(pool.submit(() ->
                {
                    for (int i = 0; i < 500; i++)
                    {
                        final long address = base + (long)i * PAGE_SIZE;
                        final ByteBuffer buf = ByteBuffer.wrap(page());
                        cipher.encrypt(address, 0, buf, PAGE_SIZE);
                        cipher.decrypt(address, 0, buf, PAGE_SIZE);
                        if (!Arrays.equals(page(), buf.array()))
                        {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (final Future<Boolean> r : results)
            {
                assertTrue(r.get(60, TimeUnit.SECONDS));
            }
        }
        finally
        {
            pool.shutdownNow();
        }
    }
}
