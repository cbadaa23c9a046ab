package dev.vantage.site.internal.wan;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.vantage.site.WanLink;
import dev.vantage.site.WanLinks;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The control endpoint of a {@link WanLinks} set: {@code GET /links} lists the links with their conditions and
 * counters; {@code POST /links/NAME} (or PUT) with a JSON object changes the named fields of one link. Errors are
 * one-line JSON {@code {"error": "..."}} with status 400 or 404. Threading: one handler thread.
 */
public final class WanControlServer implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpServer server;
    private final ExecutorService executor;
    private final WanLinks links;

    private WanControlServer(HttpServer server, ExecutorService executor, WanLinks links) {
        this.server = server;
        this.executor = executor;
        this.links = links;
    }

    public static WanControlServer start(InetSocketAddress bind, WanLinks links) throws IOException {
        HttpServer server = HttpServer.create(bind, 16);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "wan-control");
            t.setDaemon(true);
            return t;
        });
        WanControlServer control = new WanControlServer(server, executor, links);
        server.createContext("/links", control::handle);
        server.setExecutor(executor);
        server.start();
        return control;
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body;
            try (InputStream in = exchange.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            try {
                if (path.equals("/links") || path.equals("/links/")) {
                    if (!method.equals("GET")) {
                        reply(exchange, 405, error("method: " + method + " (expected: GET on /links)"));
                        return;
                    }
                    ObjectNode answer = JSON.createObjectNode();
                    ArrayNode array = answer.putArray("links");
                    for (WanLink link : links.links()) {
                        array.add(WanLinks.toJson(link));
                    }
                    reply(exchange, 200, answer);
                    return;
                }
                String name = path.substring("/links/".length());
                WanLink link;
                try {
                    link = links.link(name);
                } catch (IllegalArgumentException e) {
                    reply(exchange, 404, error(e.getMessage()));
                    return;
                }
                if (method.equals("GET")) {
                    reply(exchange, 200, WanLinks.toJson(link));
                } else if (method.equals("POST") || method.equals("PUT")) {
                    JsonNode fields = body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
                    if (!fields.isObject()) {
                        reply(exchange, 400, error("body: " + body.strip() + " (expected: a JSON object)"));
                        return;
                    }
                    link.conditions(WanLinks.applyFields(link.conditions(), fields));
                    reply(exchange, 200, WanLinks.toJson(link));
                } else {
                    reply(exchange, 405, error("method: " + method + " (expected: GET, POST or PUT)"));
                }
            } catch (IllegalArgumentException e) {
                reply(exchange, 400, error(e.getMessage()));
            } catch (JacksonException e) {
                reply(exchange, 400, error("body: not JSON (" + e.getOriginalMessage() + ")"));
            }
        }
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static void reply(HttpExchange exchange, int status, JsonNode json) throws IOException {
        byte[] bytes = (JSON.writeValueAsString(json) + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
