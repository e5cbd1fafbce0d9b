package org.pgshmem.shmem;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;

import org.agrona.concurrent.AtomicBuffer;

/**
 * A child JVM for the multi-process shared-memory tests: attaches to the bare segment in
 * {@code args[1]} and does what {@code args[0]} says, reporting on stdout, one line a fact.
 */
public final class ShmemChild
{
    /** Gate structure: word 0 opens the gate, word 8 counts inits run by anyone. */
    static final String GATE = "test gate";

    private ShmemChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path dir = Path.of(args[1]);
        try (Shmem shmem = TestSegments.attach(dir))
        {
            switch (args[0])
            {
                case "race" -> race(shmem);
                case "attach" ->
                {
                    final ShmemStruct s = shmem.initStruct(args[2], Long.parseLong(args[3]), region ->
                        region.putLong(0, -1));
                    System.out.println("found=" + s.found() + " offset=" + s.offset() + " value=" + s.buffer().getLong(0));
                }
                case "hash" -> hash(shmem, args[2]);
                default -> throw new IllegalArgumentException(args[0]);
            }
        }
    }

    /** Waits at the gate, then asks for a new label at the same moment as the other children. */
    private static void race(final Shmem shmem)
    {
        final AtomicBuffer gate = shmem.findStruct(GATE).buffer();
        System.out.println("ready");
        System.out.flush();
        while (gate.getLongVolatile(0) == 0)
        {
            Thread.onSpinWait();
        }
        final long pid = ProcessHandle.current().pid();
        final ShmemStruct s = shmem.initStruct("raced label", 256, region ->
        {
            gate.getAndAddLong(8, 1);
            region.putLong(0, pid);
        });
        System.out.println("found=" + s.found() + " offset=" + s.offset() + " creator=" + s.buffer().getLong(0)
            + " pid=" + pid);
    }

    /** Puts then gets keys named on stdin lines ("put k v", "get k"), answering each. */
    private static void hash(final Shmem shmem, final String label) throws Exception
    {
        final SharedHash<String, String> h = shmem.initHash(label, String.class, String.class, 1000);
        System.out.println("ready");
        System.out.flush();
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null)
        {
            final String[] w = line.split(" ");
            if (w[0].equals("put"))
            {
                h.put(w[1], w[2]);
                System.out.println("ok");
            }
            else if (w[0].equals("get"))
            {
                System.out.println("ok " + h.get(w[1]));
            }
            else
            {
                break;
            }
            System.out.flush();
        }
    }
}
