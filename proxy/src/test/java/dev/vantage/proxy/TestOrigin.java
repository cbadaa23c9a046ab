package dev.vantage.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;

/**
 * A blocking HTTP/1.1 origin for tests (one thread per connection) whose behaviour is chosen by the path:
 * {@code /hello}, {@code /bytes?n=}, {@code /chunked?n=}, {@code /echo-crc} (reads the body, answers its length and
 * CRC32), {@code /stream-echo} (echoes the body back chunked while reading), {@code /head} (answers the raw request
 * head), {@code /status?code=}, {@code /delay?ms=}, {@code /close}, {@code /continue}, {@code /upgrade},
 * {@code /hop} (a response full of hop-by-hop fields), {@code /reset} (closes without answering).
 */
final class TestOrigin implements AutoCloseable {

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "test-origin");
        thread.setDaemon(true);
        return thread;
    });
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    final Map<String, String> lastHeads = new ConcurrentHashMap<>();
    private final List<Socket> sockets = new ArrayList<>();
    private final String name;

    TestOrigin(String name) throws IOException {
        this.name = name;
        server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                synchronized (sockets) {
                    sockets.add(socket);
                }
                threads.execute(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                requests.incrementAndGet();
                if (!handle(head, in, out)) {
                    return;
                }
            }
        } catch (IOException e) {
            // client went away
        }
    }

    private boolean handle(String head, InputStream in, OutputStream out) throws IOException {
        String[] lines = head.split("\r\n");
        String[] requestLine = lines[0].split(" ");
        String method = requestLine[0];
        String target = requestLine[1];
        String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
        String query = target.contains("?") ? target.substring(target.indexOf('?') + 1) : "";
        lastHeads.put(path, head);
        long contentLength = -1;
        boolean chunked = false;
        boolean expectContinue = false;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].toLowerCase(Locale.ROOT);
            if (line.startsWith("content-length:")) {
                contentLength = Long.parseLong(line.substring(15).trim());
            } else if (line.startsWith("transfer-encoding:") && line.contains("chunked")) {
                chunked = true;
            } else if (line.startsWith("expect:") && line.contains("100-continue")) {
                expectContinue = true;
            }
        }
        boolean headRequest = method.equals("HEAD");
        switch (path) {
            case "/continue": {
                if (expectContinue) {
                    out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                long[] result = consumeBody(in, contentLength, chunked);
                respond(out, 200, "text/plain", ("received=" + result[0]).getBytes(StandardCharsets.US_ASCII),
                        headRequest);
                return true;
            }
            case "/echo-crc": {
                long[] result = consumeBody(in, contentLength, chunked);
                respond(out, 200, "text/plain",
                        ("length=" + result[0] + " crc=" + result[1]).getBytes(StandardCharsets.US_ASCII), headRequest);
                return true;
            }
            case "/stream-echo":
                streamEcho(in, out, contentLength, chunked);
                return true;
            default:
                consumeBody(in, contentLength, chunked);
        }
        switch (path) {
            case "/hello":
                respond(out, 200, "text/plain", ("hello from " + name).getBytes(StandardCharsets.US_ASCII),
                        headRequest);
                return true;
            case "/head":
                respond(out, 200, "text/plain", head.getBytes(StandardCharsets.ISO_8859_1), headRequest);
                return true;
            case "/bytes": {
                long n = Long.parseLong(param(query, "n"));
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + n
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                if (!headRequest) {
                    writePattern(out, n);
                }
                out.flush();
                return true;
            }
            case "/chunked": {
                long n = Long.parseLong(param(query, "n"));
                out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                if (!headRequest) {
                    byte[] chunk = new byte[8192];
                    for (int i = 0; i < chunk.length; i++) {
                        chunk[i] = (byte) ('a' + i % 26);
                    }
                    long left = n;
                    while (left > 0) {
                        int size = (int) Math.min(chunk.length, left);
                        out.write((Integer.toHexString(size) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(chunk, 0, size);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        left -= size;
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.flush();
                return true;
            }
            case "/status": {
                int code = Integer.parseInt(param(query, "code"));
                out.write(("HTTP/1.1 " + code + " Status\r\nContent-Length: 5\r\nETag: \"x\"\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                if (code != 204 && code != 304 && !headRequest) {
                    out.write("body!".getBytes(StandardCharsets.US_ASCII));
                }
                out.flush();
                return true;
            }
            case "/delay": {
                try {
                    Thread.sleep(Long.parseLong(param(query, "ms")));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
                respond(out, 200, "text/plain", "late".getBytes(StandardCharsets.US_ASCII), headRequest);
                return true;
            }
            case "/close":
                out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return false;
            case "/hop":
                out.write(("HTTP/1.1 200 OK\r\nConnection: X-Secret, keep-alive\r\nX-Secret: 1\r\n"
                        + "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTrailer: X-T\r\n"
                        + "Upgrade: h2c\r\nX-Kept: yes\r\nContent-Length: 2\r\n\r\nok")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return true;
            case "/upgrade": {
                out.write(("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                byte[] buffer = new byte[8192];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
                return false;
            }
            case "/reset":
                return false;
            case "/bad-response":
                out.write("HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 2\r\n\r\nok"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return false;
            default:
                respond(out, 404, "text/plain", "not found".getBytes(StandardCharsets.US_ASCII), headRequest);
                return true;
        }
    }

    private static void streamEcho(InputStream in, OutputStream out, long contentLength, boolean chunked)
            throws IOException {
        out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] buffer = new byte[65536];
        if (!chunked) {
            long left = contentLength;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new SocketException("eof in body");
                }
                left -= n;
                out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(buffer, 0, n);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    static void writePattern(OutputStream out, long n) throws IOException {
        byte[] block = new byte[65536];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i * 31);
        }
        long left = n;
        while (left > 0) {
            int size = (int) Math.min(block.length, left);
            out.write(block, 0, size);
            left -= size;
        }
    }

    private static void respond(OutputStream out, int status, String type, byte[] body, boolean headRequest)
            throws IOException {
        out.write(("HTTP/1.1 " + status + " X\r\nContent-Type: " + type + "\r\nContent-Length: " + body.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        if (!headRequest) {
            out.write(body);
        }
        out.flush();
    }

    /** Reads the body (length or chunked) and returns {bytes, crc32}. */
    private static long[] consumeBody(InputStream in, long contentLength, boolean chunked) throws IOException {
        CRC32 crc = new CRC32();
        long total = 0;
        byte[] buffer = new byte[65536];
        if (chunked) {
            while (true) {
                String sizeLine = readLine(in);
                int semicolon = sizeLine.indexOf(';');
                long size = Long.parseLong((semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).trim(), 16);
                if (size == 0) {
                    while (!readLine(in).isEmpty()) {
                        // trailers
                    }
                    break;
                }
                long left = size;
                while (left > 0) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                    if (n < 0) {
                        throw new SocketException("eof in chunk");
                    }
                    crc.update(buffer, 0, n);
                    left -= n;
                    total += n;
                }
                readLine(in);
            }
        } else if (contentLength > 0) {
            long left = contentLength;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new SocketException("eof in body");
                }
                crc.update(buffer, 0, n);
                left -= n;
                total += n;
            }
        }
        return new long[] {total, crc.getValue()};
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                break;
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    /** The head up to and including the empty line, or null at end of stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        int matched = 0;
        while ((b = in.read()) >= 0) {
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static String param(String query, String name) {
        for (String pair : query.split("&")) {
            if (pair.startsWith(name + "=")) {
                return pair.substring(name.length() + 1);
            }
        }
        throw new IllegalArgumentException("query parameter " + name + " missing in " + query);
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (sockets) {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
        threads.shutdownNow();
    }
}
