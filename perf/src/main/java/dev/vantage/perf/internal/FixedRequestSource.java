package dev.vantage.perf.internal;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/** The same request every time, encoded once; immutable, may be shared by workers. */
public final class FixedRequestSource implements RequestSource {

    private final byte[] encoded;

    private FixedRequestSource(byte[] encoded) {
        this.encoded = encoded;
    }

    /**
     * A request {@code method target} to {@code hostHeader} with extra header lines ({@code Name: value}) and a
     * body of {@code bodyBytes} bytes (with a Content-Length when positive or when the method usually has a body).
     */
    public static FixedRequestSource of(String method, String target, String hostHeader, List<String> headerLines,
                                        int bodyBytes) {
        StringBuilder head = new StringBuilder(128);
        head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        head.append("Host: ").append(hostHeader).append("\r\n");
        for (String line : headerLines) {
            head.append(line).append("\r\n");
        }
        if (bodyBytes > 0 || method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
            head.append("Content-Length: ").append(bodyBytes).append("\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[headBytes.length + bodyBytes];
        System.arraycopy(headBytes, 0, all, 0, headBytes.length);
        for (int i = headBytes.length; i < all.length; i++) {
            all[i] = 'x';
        }
        return new FixedRequestSource(all);
    }

    @Override
    public ByteBuf next(ByteBufAllocator alloc, long elapsedNanos) {
        return alloc.ioBuffer(encoded.length).writeBytes(encoded);
    }

    public int encodedBytes() {
        return encoded.length;
    }
}
