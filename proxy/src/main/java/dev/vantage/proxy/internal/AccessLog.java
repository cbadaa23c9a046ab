package dev.vantage.proxy.internal;

import dev.vantage.proxy.AccessEvent;
import dev.vantage.proxy.AccessSink;
import dev.vantage.proxy.UserLocationSource;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * The access log: event loops offer one binary record per completed request to an Agrona many-to-one ring (never
 * blocking: a full ring counts a drop), and one writer thread turns records into JSON lines and
 * {@link AccessEvent}s for the registered {@link AccessSink}s.
 *
 * <p>Threading: {@link #offer} from any event loop; everything else on the writer thread; {@link #close} from the
 * owner. When there is neither a log destination nor a sink, {@link #enabled()} is false and nothing is offered.
 */
public final class AccessLog implements AutoCloseable {

    private static final int MSG_TYPE = 1;
    private static final int MAX_TEXT_BYTES = 1024;
    private static final int MAX_METHOD_BYTES = 64;
    private static final UserLocationSource[] SOURCES = UserLocationSource.values();

    private final ManyToOneRingBuffer ring;
    private final Writer writer;
    private final boolean stdout;
    private final List<AccessSink> sinks;
    private final String siteId;
    private final boolean enabled;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong sinkErrors = new AtomicLong();
    private volatile long written;
    private volatile boolean running = true;
    private final Thread thread;
    private final StringBuilder line = new StringBuilder(512);

    /**
     * @param destination file to append JSON lines to, {@code Path.of("-")} for standard output, or {@code null}
     * @param sinks       receivers of access events
     * @param ringBytes   ring capacity, a power of two
     */
    public AccessLog(Path destination, List<AccessSink> sinks, String siteId, int ringBytes) throws IOException {
        this.sinks = List.copyOf(sinks);
        this.siteId = siteId;
        stdout = destination != null && destination.toString().equals("-");
        if (destination == null) {
            writer = null;
        } else if (destination.toString().equals("-")) {
            writer = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 65536);
        } else {
            writer = Files.newBufferedWriter(destination, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        }
        enabled = writer != null || !this.sinks.isEmpty();
        ring = new ManyToOneRingBuffer(new UnsafeBuffer(
                ByteBuffer.allocateDirect(ringBytes + RingBufferDescriptor.TRAILER_LENGTH)));
        if (enabled) {
            thread = new Thread(this::run, "vantage-access-log");
            thread.setDaemon(true);
            thread.start();
        } else {
            thread = null;
        }
    }

    public boolean enabled() {
        return enabled;
    }

    /** Records dropped because the ring was full. */
    public long dropped() {
        return dropped.get();
    }

    /** Records written to the log / handed to the sinks. */
    public long written() {
        return written;
    }

    /** Exceptions thrown by sinks. */
    public long sinkErrors() {
        return sinkErrors.get();
    }

    /**
     * Offers one record; never blocks. Text arguments are copied; {@code method} and {@code target} are ranges of
     * {@code head}.
     *
     * @return false when the ring was full (the drop is counted)
     */
    boolean offer(long timeMillis, long latencyNanos, int status, long requestBytes, long responseBytes,
                  String route, String upstream, String resource, byte[] userKey, int userKeyLength,
                  byte[] clientIp, byte[] head, int headOffset, int methodEnd, int targetStart, int targetEnd,
                  double userLatitude, double userLongitude, UserLocationSource userLocationSource) {
        int targetLength = Math.min(targetEnd - targetStart, MAX_TEXT_BYTES);
        int methodLength = Math.min(methodEnd, MAX_METHOD_BYTES);
        int length = 8 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 7 * 2 + len(route) + len(upstream) + len(resource) + userKeyLength
                + clientIp.length + methodLength + targetLength;
        int index = ring.tryClaim(MSG_TYPE, length);
        if (index <= 0) {
            dropped.incrementAndGet();
            return false;
        }
        UnsafeBuffer b = (UnsafeBuffer) ring.buffer();
        int i = index;
        b.putLong(i, timeMillis);
        b.putLong(i + 8, latencyNanos);
        b.putInt(i + 16, status);
        b.putLong(i + 20, requestBytes);
        b.putLong(i + 28, responseBytes);
        b.putDouble(i + 36, userLatitude);
        b.putDouble(i + 44, userLongitude);
        b.putInt(i + 52, userLocationSource.ordinal());
        i += 56;
        i = putText(b, i, route);
        i = putText(b, i, upstream);
        i = putText(b, i, resource);
        b.putShort(i, (short) userKeyLength);
        b.putBytes(i + 2, userKey, 0, userKeyLength);
        i += 2 + userKeyLength;
        b.putShort(i, (short) clientIp.length);
        b.putBytes(i + 2, clientIp);
        i += 2 + clientIp.length;
        b.putShort(i, (short) methodLength);
        b.putBytes(i + 2, head, headOffset, methodLength);
        i += 2 + methodLength;
        b.putShort(i, (short) targetLength);
        b.putBytes(i + 2, head, headOffset + targetStart, targetLength);
        ring.commit(index);
        return true;
    }

    private static int len(String text) {
        return text == null ? 0 : Math.min(text.length(), MAX_TEXT_BYTES);
    }

    private static int putText(UnsafeBuffer b, int index, String text) {
        int length = len(text);
        b.putShort(index, (short) length);
        for (int c = 0; c < length; c++) {
            char ch = text.charAt(c);
            b.putByte(index + 2 + c, (byte) (ch < 128 ? ch : '?'));
        }
        return index + 2 + length;
    }

    private void run() {
        SleepingMillisIdleStrategy idle = new SleepingMillisIdleStrategy(1);
        while (running) {
            int read = ring.read(this::onRecord, 512);
            if (read == 0) {
                flush();
                idle.idle();
            }
        }
        while (ring.read(this::onRecord) > 0) {
            // drain what is left
        }
        flush();
    }

    private void flush() {
        if (writer != null) {
            try {
                writer.flush();
            } catch (IOException e) {
                sinkErrors.incrementAndGet();
            }
        }
    }

    private void onRecord(int msgTypeId, MutableDirectBuffer buffer, int index, int length) {
        DirectBuffer b = buffer;
        long timeMillis = b.getLong(index);
        long latencyNanos = b.getLong(index + 8);
        int status = b.getInt(index + 16);
        long requestBytes = b.getLong(index + 20);
        long responseBytes = b.getLong(index + 28);
        UserLocationSource source = SOURCES[b.getInt(index + 52)];
        double userLatitude = source == UserLocationSource.UNKNOWN ? Double.NaN : b.getDouble(index + 36);
        double userLongitude = source == UserLocationSource.UNKNOWN ? Double.NaN : b.getDouble(index + 44);
        int i = index + 56;
        String route = text(b, i);
        i += 2 + b.getShort(i);
        String upstream = text(b, i);
        i += 2 + b.getShort(i);
        String resource = text(b, i);
        i += 2 + b.getShort(i);
        String userKey = text(b, i);
        i += 2 + b.getShort(i);
        String client = text(b, i);
        i += 2 + b.getShort(i);
        String method = text(b, i);
        i += 2 + b.getShort(i);
        String path = text(b, i);
        if (userKey.isEmpty()) {
            userKey = client;
        }
        if (writer != null) {
            line.setLength(0);
            line.append("{\"time\":\"").append(Instant.ofEpochMilli(timeMillis)).append('"');
            field("site", siteId);
            field("client", client);
            field("user", userKey);
            field("method", method);
            field("path", path);
            line.append(",\"status\":").append(status);
            field("route", route);
            field("resource", resource);
            field("upstream", upstream);
            line.append(",\"latency_ms\":").append(latencyNanos / 1_000_000.0);
            line.append(",\"request_bytes\":").append(requestBytes);
            line.append(",\"response_bytes\":").append(responseBytes);
            if (source != UserLocationSource.UNKNOWN) {
                line.append(",\"user_lat\":").append(userLatitude).append(",\"user_lon\":").append(userLongitude);
                field("user_location", source.name().toLowerCase(java.util.Locale.ROOT));
            }
            line.append("}\n");
            try {
                writer.append(line);
            } catch (IOException e) {
                sinkErrors.incrementAndGet();
            }
        }
        if (!sinks.isEmpty()) {
            AccessEvent event = new AccessEvent(timeMillis, userKey, siteId, resource, route, upstream, method, path,
                    status, latencyNanos, requestBytes, responseBytes, client, userLatitude, userLongitude, source);
            for (AccessSink sink : sinks) {
                try {
                    sink.onAccess(event);
                } catch (RuntimeException e) {
                    sinkErrors.incrementAndGet();
                }
            }
        }
        written = written + 1;
    }

    private void field(String name, String value) {
        line.append(",\"").append(name).append("\":\"");
        JsonText.escape(value, line);
        line.append('"');
    }

    private static String text(DirectBuffer b, int index) {
        int length = b.getShort(index);
        return length == 0 ? "" : b.getStringWithoutLengthAscii(index + 2, length);
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (writer != null) {
            try {
                if (!stdout) {
                    writer.close();
                } else {
                    writer.flush();
                }
            } catch (IOException e) {
                sinkErrors.incrementAndGet();
            }
        }
    }

}
