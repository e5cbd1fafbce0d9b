package org.pgshmem.it;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.pgshmem.backend.Backend;
import org.pgshmem.ipc.MessageTypes;
import org.pgshmem.ipc.Messenger;

/**
 * Child JVMs of the messaging scenarios, each a backend of the cluster in {@code args[1]}:
 * <ul>
 *   <li>{@code sender DIR TARGET_PID SENDER_ID COUNT}: after "go", sends COUNT 32-byte messages
 *       (sender id, sequence) with the blocking send, then says "done";</li>
 *   <li>{@code receiver DIR SENDERS COUNT}: after "go", reads until SENDERS × COUNT messages
 *       arrived, checking each sender's sequence is 0, 1, 2, ...;</li>
 *   <li>{@code claimer DIR TARGET_PID}: claims space in the target's inbox and never commits it,
 *       as a producer killed between claim and commit leaves it.</li>
 * </ul>
 */
public final class InboxChild
{
    static final int TYPE = MessageTypes.FIRST_APPLICATION_TYPE;
    static final int LENGTH = 32;

    private InboxChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        try (Backend backend = Backend.attach(Path.of(args[1])))
        {
            final Messenger messenger = backend.messenger();
            System.out.println("ready " + backend.pid());
            System.out.flush();
            switch (args[0])
            {
                case "sender" ->
                {
                    final long target = Long.parseLong(args[2]);
                    final int id = Integer.parseInt(args[3]);
                    final int count = Integer.parseInt(args[4]);
                    final UnsafeBuffer msg = new UnsafeBuffer(new byte[LENGTH]);
                    in.readLine();
                    for (int seq = 0; seq < count; seq++)
                    {
                        msg.putInt(0, id);
                        msg.putLong(8, seq);
                        messenger.send(target, TYPE, msg, 0, LENGTH, TimeUnit.SECONDS.toNanos(60));
                    }
                    System.out.println("done");
                }
                case "receiver" ->
                {
                    final int senders = Integer.parseInt(args[2]);
                    final int count = Integer.parseInt(args[3]);
                    final long[] next = new long[senders];
                    final String[] error = new String[1];
                    final long[] total = new long[1];
                    in.readLine();
                    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                    while (total[0] < (long)senders * count && error[0] == null && System.nanoTime() < deadline)
                    {
                        messenger.poll((type, buffer, offset, length) ->
                        {
                            final int id = buffer.getInt(offset);
                            final long seq = buffer.getLong(offset + 8);
                            if (type != TYPE || length != LENGTH || seq != next[id])
                            {
                                error[0] = "sender " + id + " message " + seq + " arrived when " + next[id]
                                    + " was due (type " + type + ", length " + length + ")";
                            }
                            next[id] = seq + 1;
                            total[0]++;
                        }, 256);
                    }
                    System.out.println(error[0] != null ? "error: " + error[0] : "ok received=" + total[0]);
                }
                case "claimer" ->
                {
                    final int index = messenger.inboxOf(Long.parseLong(args[2])).tryClaim(TYPE, 16);
                    System.out.println("claimed " + index);
                    System.out.flush();
                    in.readLine();
                }
                default -> throw new IllegalArgumentException(args[0]);
            }
            System.out.flush();
        }
    }
}
