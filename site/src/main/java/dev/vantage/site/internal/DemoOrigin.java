package dev.vantage.site.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A small origin server for the demo: it stands for the application servers of one site. Every answer names
 * the server, so a user can see who served it; {@code /health} answers 200 for health checks. An optional
 * delay emulates a busy or distant server.
 */
public final class DemoOrigin implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor;
    private final String name;
    private final AtomicLong requests = new AtomicLong();
    private volatile long delayMillis;

    private DemoOrigin(HttpServer server, ExecutorService executor, String name) {
        this.server = server;
        this.executor = executor;
        this.name = name;
    }

    /** Starts an origin on {@code host:port} named {@code name} (e.g. {@code fra-app-1}). */
    public static DemoOrigin start(String host, int port, String name) throws IOException {
        // The JDK server writes head and body separately; without TCP_NODELAY, Nagle's algorithm and the peer's
        // delayed ACK add ~40 ms to every answer, which would drown the latencies the demo shows.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 128);
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "origin-" + name);
            t.setDaemon(true);
            return t;
        });
        DemoOrigin origin = new DemoOrigin(server, executor, name);
        server.createContext("/", origin::handle);
        server.setExecutor(executor);
        server.start();
        return origin;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            try (InputStream in = exchange.getRequestBody()) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            long delay = delayMillis;
            if (delay > 0) {
                try {
                    Thread.sleep(delay); // an origin thread, not an event loop: this is the emulated service time
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            requests.incrementAndGet();
            String path = exchange.getRequestURI().getPath();
            byte[] body = ("health".equals(path.replace("/", "")) ? "ok\n"
                    : "served by " + name + " for " + exchange.getRequestMethod() + " " + path + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.getResponseHeaders().set("X-Served-By", name);
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(200, head ? -1 : body.length);
            if (!head) {
                exchange.getResponseBody().write(body);
            }
        }
    }

    public void delayMillis(long millis) {
        this.delayMillis = millis;
    }

    public long requests() {
        return requests.get();
    }

    public String name() {
        return name;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
