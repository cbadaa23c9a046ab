package dev.vantage.replication;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP relay between a sender and a receiver that injects faults into the sender-to-receiver direction:
 * it flips one bit in the middle of chosen frames (counted over all connections), or cuts the first connection
 * after a number of bytes. Frames are delimited by the protocol's 4-byte length prefix.
 */
final class FaultyRelay implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Set<Integer> framesToCorrupt;
    private final long cutFirstConnectionAfterBytes;
    private final AtomicInteger frameCounter = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger corrupted = new AtomicInteger();
    final AtomicLong forwardedBytes = new AtomicLong();
    private final CopyOnWriteArrayList<Socket> sockets = new CopyOnWriteArrayList<>();

    FaultyRelay(InetSocketAddress target, Set<Integer> framesToCorrupt, long cutFirstConnectionAfterBytes)
            throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.target = target;
        this.framesToCorrupt = framesToCorrupt;
        this.cutFirstConnectionAfterBytes = cutFirstConnectionAfterBytes;
        Thread acceptor = new Thread(this::acceptLoop, "faulty-relay");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    int connections() {
        return connections.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(target.getAddress(), target.getPort());
                sockets.add(client);
                sockets.add(upstream);
                boolean first = connections.incrementAndGet() == 1;
                long cut = first ? cutFirstConnectionAfterBytes : Long.MAX_VALUE;
                start(() -> forwardFrames(client, upstream, cut));
                start(() -> copy(upstream, client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void start(Runnable r) {
        Thread t = new Thread(r, "faulty-relay-pump");
        t.setDaemon(true);
        t.start();
    }

    private void forwardFrames(Socket from, Socket to, long cutAfterBytes) {
        long forwarded = 0;
        try (DataInputStream in = new DataInputStream(from.getInputStream());
             DataOutputStream out = new DataOutputStream(to.getOutputStream())) {
            while (true) {
                int length = in.readInt();
                byte[] body = new byte[length];
                in.readFully(body);
                int n = frameCounter.incrementAndGet();
                if (framesToCorrupt.contains(n) && length > 200) {
                    body[length / 2] ^= 0x10;
                    corrupted.incrementAndGet();
                }
                if (forwarded + 4 + length > cutAfterBytes) {
                    out.writeInt(length);
                    out.write(body, 0, length / 3);
                    out.flush();
                    break;
                }
                out.writeInt(length);
                out.write(body);
                out.flush();
                forwarded += 4 + length;
                forwardedBytes.addAndGet(4 + length);
            }
        } catch (IOException e) {
            // Either side closed: close both below.
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void copy(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            // Either side closed.
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // Already closed.
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }
}
