package dev.vantage.proxy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A raw-socket HTTP/1.1 client for tests: sends exact bytes, reads responses by their framing. */
final class RawClient implements AutoCloseable {

    /** One response: status, raw head, fields by lower-case name, body. */
    record Response(int status, String head, Map<String, List<String>> headers, byte[] body) {

        String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null ? null : values.get(0);
        }

        String text() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawClient(int port) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(15_000);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream(), 65536);
        out = socket.getOutputStream();
    }

    RawClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Reads raw bytes (for tunnels). */
    int inputRead(byte[] buffer, int offset, int length) throws IOException {
        return in.read(buffer, offset, length);
    }

    OutputStream output() {
        return out;
    }

    Response read() throws IOException {
        return read(false);
    }

    /** Reads one response (an interim 1xx counts as one). */
    Response read(boolean headRequest) throws IOException {
        String head = readHead();
        if (head == null) {
            throw new IOException("connection closed before a response");
        }
        String[] lines = head.split("\r\n");
        int status = Integer.parseInt(lines[0].substring(9, 12));
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    k -> new ArrayList<>()).add(lines[i].substring(colon + 1).trim());
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        List<String> length = headers.get("content-length");
        List<String> te = headers.get("transfer-encoding");
        boolean noBody = headRequest || status < 200 || status == 204 || status == 304;
        if (!noBody) {
            if (te != null && te.get(0).toLowerCase(Locale.ROOT).contains("chunked")) {
                readChunked(body);
            } else if (length != null) {
                readExactly(body, Long.parseLong(length.get(0)));
            } else {
                in.transferTo(body);
            }
        }
        return new Response(status, head, headers, body.toByteArray());
    }

    /** Reads a response and counts its body bytes without keeping them. */
    long readBodyLength() throws IOException {
        Response response = read();
        return response.body().length;
    }

    /** True when the peer closed the connection (end of stream or reset) within the read timeout. */
    boolean closedByPeer() {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private void readExactly(ByteArrayOutputStream body, long n) throws IOException {
        byte[] buffer = new byte[65536];
        long left = n;
        while (left > 0) {
            int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (read < 0) {
                throw new IOException("eof after " + (n - left) + " of " + n + " body bytes");
            }
            body.write(buffer, 0, read);
            left -= read;
        }
    }

    private void readChunked(ByteArrayOutputStream body) throws IOException {
        while (true) {
            String line = readLine();
            int semicolon = line.indexOf(';');
            long size = Long.parseLong(semicolon >= 0 ? line.substring(0, semicolon) : line, 16);
            if (size == 0) {
                while (!readLine().isEmpty()) {
                    // trailer fields
                }
                return;
            }
            readExactly(body, size);
            readLine();
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    private String readHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        int state = 0;
        while ((b = in.read()) >= 0) {
            head.write(b);
            if (b == '\r' && (state == 0 || state == 2)) {
                state++;
            } else if (b == '\n' && (state == 1 || state == 3)) {
                state++;
            } else {
                state = b == '\r' ? 1 : 0;
            }
            if (state == 4) {
                String text = head.toString(StandardCharsets.ISO_8859_1);
                return text.substring(0, text.length() - 4);
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
