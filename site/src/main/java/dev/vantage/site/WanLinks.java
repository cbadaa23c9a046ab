package dev.vantage.site;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.vantage.site.internal.wan.WanControlServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * A named set of {@link WanLink}s on one shared event loop group, optionally with a small HTTP control endpoint
 * ({@code GET /links}, {@code POST /links/NAME} with a JSON object of the fields to change) used by
 * {@code vantage wan set}. YAML form ({@link #fromYaml}):
 *
 * <pre>
 * control: 127.0.0.1:9901          # optional
 * links:
 *   - {name: fra-par, listen: 127.0.0.1:7001, target: 127.0.0.1:8001,
 *      delayMillis: 10, jitterMillis: 1, lossPercent: 0.1, retransmitTimeoutMillis: 200,
 *      bandwidth: 100mbit, partition: none}
 * </pre>
 *
 * <p>Threading: thread-safe (methods synchronize on the set; relaying runs on the event loops).
 */
public final class WanLinks implements AutoCloseable {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private final EventLoopGroup group;
    private final Map<String, WanLink> links = new LinkedHashMap<>();
    private WanControlServer control;

    /** An empty set whose links share {@code threads} event loops. */
    public WanLinks(int threads) {
        group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
    }

    public WanLinks() {
        this(Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())));
    }

    /** Starts the links of a YAML file (and its control endpoint when it names one). */
    public static WanLinks fromYaml(Path file) throws IOException {
        JsonNode root;
        try {
            root = YAMLMapper.builder().build().readTree(Files.readString(file));
        } catch (JacksonException e) {
            throw new IllegalArgumentException(file + ": " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.path("links").isArray() || root.path("links").isEmpty()) {
            throw new IllegalArgumentException(file + ": links: missing or empty (expected: a list of links)");
        }
        List<String> problems = new ArrayList<>();
        List<Object[]> specs = new ArrayList<>();
        int i = 0;
        for (JsonNode link : root.path("links")) {
            String at = "links[" + i++ + "]";
            try {
                String name = link.path("name").asString("");
                if (name.isEmpty()) {
                    throw new IllegalArgumentException("name: missing (expected: e.g. fra-par)");
                }
                InetSocketAddress listen = parseAddress("listen", link.path("listen").asString(""));
                InetSocketAddress target = parseAddress("target", link.path("target").asString(""));
                ObjectNode fields = ((ObjectNode) link).deepCopy();
                fields.remove("name");
                fields.remove("listen");
                fields.remove("target");
                specs.add(new Object[] {name, listen, target, applyFields(WanLinkConditions.none(), fields)});
            } catch (IllegalArgumentException | ClassCastException e) {
                problems.add(at + "." + e.getMessage());
            }
        }
        String controlText = root.path("control").asString("");
        InetSocketAddress controlAddress = null;
        if (!controlText.isEmpty()) {
            try {
                controlAddress = parseAddress("control", controlText);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(file + ": " + String.join("; ", problems));
        }
        WanLinks set = new WanLinks();
        try {
            for (Object[] spec : specs) {
                set.add((String) spec[0], (InetSocketAddress) spec[1], (InetSocketAddress) spec[2],
                        (WanLinkConditions) spec[3]);
            }
            if (controlAddress != null) {
                set.startControl(controlAddress);
            }
        } catch (RuntimeException | IOException e) {
            set.close();
            throw e;
        }
        return set;
    }

    /** Starts a link; {@code listen} may have port 0. */
    public synchronized WanLink add(String name, InetSocketAddress listen, InetSocketAddress target,
                                    WanLinkConditions conditions) {
        if (links.containsKey(name)) {
            throw new IllegalArgumentException("link " + name + ": already exists (expected: a unique name)");
        }
        WanLink link = WanLink.start(name, listen, target, conditions, group);
        links.put(name, link);
        return link;
    }

    /** The link named {@code name}. */
    public synchronized WanLink link(String name) {
        WanLink link = links.get(name);
        if (link == null) {
            throw new IllegalArgumentException("link: " + name + " (expected one of: " + String.join(", ", links.keySet()) + ")");
        }
        return link;
    }

    public synchronized List<WanLink> links() {
        return List.copyOf(links.values());
    }

    /** Changes the conditions of one link. */
    public void update(String name, WanLinkConditions conditions) {
        link(name).conditions(conditions);
    }

    /** Sets a partition on every link (the demo's "cut the WAN" switch). */
    public synchronized void partitionAll(WanLinkConditions.Partition partition) {
        for (WanLink link : links.values()) {
            link.conditions(link.conditions().withPartition(partition));
        }
    }

    /** Starts the HTTP control endpoint; returns its bound address (port 0 = any free port). */
    public synchronized InetSocketAddress startControl(InetSocketAddress bind) throws IOException {
        if (control != null) {
            throw new IllegalStateException("control endpoint already running on " + control.address());
        }
        control = WanControlServer.start(bind, this);
        return control.address();
    }

    /** The bound address of the control endpoint, or {@code null} when none runs. */
    public synchronized InetSocketAddress controlAddress() {
        return control == null ? null : control.address();
    }

    /** The link as JSON: name, listen, target, conditions and counters. */
    public static ObjectNode toJson(WanLink link) {
        WanLinkConditions c = link.conditions();
        ObjectNode node = JSON.createObjectNode();
        node.put("name", link.name());
        node.put("listen", link.listenAddress().getHostString() + ":" + link.listenAddress().getPort());
        node.put("target", link.target().getHostString() + ":" + link.target().getPort());
        node.put("delayMillis", c.delayMillis());
        node.put("jitterMillis", c.jitterMillis());
        node.put("lossPercent", c.lossPercent());
        node.put("retransmitTimeoutMillis", c.retransmitTimeoutMillis());
        node.put("bandwidthBytesPerSecond", c.bandwidthBytesPerSecond());
        node.put("partition", c.partition().name().toLowerCase(java.util.Locale.ROOT));
        node.put("bytesForwarded", link.bytesForwarded());
        node.put("connectionsAccepted", link.connectionsAccepted());
        node.put("openConnections", link.openConnections());
        return node;
    }

    /**
     * {@code base} with the fields present in {@code fields} replaced: {@code delayMillis}, {@code jitterMillis},
     * {@code lossPercent}, {@code retransmitTimeoutMillis}, {@code bandwidthBytesPerSecond} or {@code bandwidth}
     * (e.g. {@code 10mbit}), {@code partition}. Unknown fields are rejected.
     */
    public static WanLinkConditions applyFields(WanLinkConditions base, JsonNode fields) {
        long delay = base.delayMillis();
        long jitter = base.jitterMillis();
        double loss = base.lossPercent();
        long rto = base.retransmitTimeoutMillis();
        long bandwidth = base.bandwidthBytesPerSecond();
        WanLinkConditions.Partition partition = base.partition();
        for (String name : fields.propertyNames()) {
            JsonNode value = fields.path(name);
            switch (name) {
                case "delayMillis" -> delay = number(name, value);
                case "jitterMillis" -> jitter = number(name, value);
                case "lossPercent" -> loss = decimal(name, value);
                case "retransmitTimeoutMillis" -> rto = number(name, value);
                case "bandwidthBytesPerSecond" -> bandwidth = number(name, value);
                case "bandwidth" -> bandwidth = value.isNumber() ? value.asLong()
                        : WanLinkConditions.parseBandwidth(value.asString());
                case "partition" -> partition = WanLinkConditions.Partition.parse(value.asString());
                default -> throw new IllegalArgumentException(name + ": unknown field (expected: delayMillis,"
                        + " jitterMillis, lossPercent, retransmitTimeoutMillis, bandwidth, bandwidthBytesPerSecond,"
                        + " partition)");
            }
        }
        return new WanLinkConditions(delay, jitter, loss, rto, bandwidth, partition);
    }

    private static long number(String name, JsonNode value) {
        if (!value.isIntegralNumber()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: an integer)");
        }
        return value.asLong();
    }

    private static double decimal(String name, JsonNode value) {
        if (!value.isNumber()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: a number)");
        }
        return value.asDouble();
    }

    /** {@code host:port} with port 0..65535 (0 = any free port). */
    public static InetSocketAddress parseAddress(String what, String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException(what + ": '" + text + "' (expected: host:port)");
        }
        try {
            int port = Integer.parseInt(text.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException("out of range");
            }
            String host = text.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            return new InetSocketAddress(host, port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": '" + text + "' (expected: host:port with port 0..65535)", e);
        }
    }

    @Override
    public synchronized void close() {
        if (control != null) {
            control.close();
            control = null;
        }
        for (WanLink link : links.values()) {
            link.close();
        }
        links.clear();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
