package dev.vantage.config.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import dev.vantage.config.AdminSettings;
import dev.vantage.config.AffinitySettings;
import dev.vantage.config.CidrLocation;
import dev.vantage.config.Compression;
import dev.vantage.config.ConflictPolicy;
import dev.vantage.config.Consistency;
import dev.vantage.config.ConsistencyMode;
import dev.vantage.config.GeoPoint;
import dev.vantage.config.HostPort;
import dev.vantage.config.HttpLimits;
import dev.vantage.config.InterSiteTls;
import dev.vantage.config.Listener;
import dev.vantage.config.LocationSettings;
import dev.vantage.config.Mirror;
import dev.vantage.config.MirrorRole;
import dev.vantage.config.Policy;
import dev.vantage.config.PoolSettings;
import dev.vantage.config.PredictorSettings;
import dev.vantage.config.ProbeSettings;
import dev.vantage.config.ReplicationMode;
import dev.vantage.config.ReplicationSettings;
import dev.vantage.config.Resource;
import dev.vantage.config.RetryOn;
import dev.vantage.config.RetryPolicy;
import dev.vantage.config.Route;
import dev.vantage.config.RouteMatch;
import dev.vantage.config.RouteMode;
import dev.vantage.config.RouteTarget;
import dev.vantage.config.RouteTimeouts;
import dev.vantage.config.Schedule;
import dev.vantage.config.ScheduleKind;
import dev.vantage.config.Selection;
import dev.vantage.config.Site;
import dev.vantage.config.Stickiness;
import dev.vantage.config.StickinessMode;
import dev.vantage.config.Tenant;
import dev.vantage.config.Throttle;
import dev.vantage.config.TimeWindow;
import dev.vantage.config.TlsFiles;
import dev.vantage.config.Transport;
import dev.vantage.config.Upstream;
import dev.vantage.config.UpstreamGroup;

/**
 * Turns a positioned YAML tree into {@link Policy} records, checking every field's type and range (the ranges are
 * those in each record's javadoc) and reporting every problem. Cross-references are checked afterwards by
 * {@link PolicyValidator}. Single-threaded, one instance per load.
 */
public final class PolicyBinder {

    static final Pattern SITE_ID = Pattern.compile("[a-z0-9][a-z0-9-]*");
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Z-]+");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final long DAY_MILLIS = 86_400_000L;
    private static final long HOUR_MILLIS = 3_600_000L;

    private final BindContext context;

    public PolicyBinder(BindContext context) {
        this.context = context;
    }

    public Policy bind(YamlNode root) {
        Fields top = Fields.of(root, "", context);
        String localSite = top.string("localSite", null);
        List<Site> sites = new ArrayList<>();
        List<YamlNode> siteNodes = top.list("sites");
        for (int i = 0; i < siteNodes.size(); i++) {
            add(sites, site(Fields.item(siteNodes.get(i), "sites[" + i + "]", context)));
        }
        requireItems(top, "sites", siteNodes, "at least one site");
        List<Tenant> tenants = new ArrayList<>();
        List<YamlNode> tenantNodes = top.list("tenants");
        for (int i = 0; i < tenantNodes.size(); i++) {
            add(tenants, tenant(Fields.item(tenantNodes.get(i), "tenants[" + i + "]", context)));
        }
        List<Route> routes = new ArrayList<>();
        List<YamlNode> routeNodes = top.list("routes");
        for (int i = 0; i < routeNodes.size(); i++) {
            add(routes, route(Fields.item(routeNodes.get(i), "routes[" + i + "]", context)));
        }
        List<Resource> resources = new ArrayList<>();
        List<YamlNode> resourceNodes = top.list("resources");
        for (int i = 0; i < resourceNodes.size(); i++) {
            add(resources, resource(Fields.item(resourceNodes.get(i), "resources[" + i + "]", context)));
        }
        ProbeSettings probes = probes(top.object("probes"));
        PredictorSettings predictor = predictor(top.object("predictor"));
        AdminSettings admin = admin(top.object("admin"));
        HttpLimits httpLimits = httpLimits(top.object("httpLimits"));
        LocationSettings location = location(top.object("location"));
        AffinitySettings affinity = affinity(top.object("affinity"));
        // Top-level x- keys are free for operators, typically to hold YAML anchors (&name) reused below.
        top.ignoreKeysStartingWith("x-");
        top.finish();
        return new Policy(localSite, sites, tenants, routes, resources, probes, predictor, admin, httpLimits, location,
                affinity);
    }

    /** Reports a required list that is absent (at its mapping) or empty (at the list). */
    private void requireItems(Fields f, String key, List<YamlNode> items, String expected) {
        if (!f.has(key)) {
            f.missing(key, expected);
        } else if (items.isEmpty() && f.node(key) instanceof YamlNode.Sequence) {
            context.problem(f.child(key), "an empty list", expected);
        }
    }

    private static <T> void add(List<T> list, T item) {
        if (item != null) {
            list.add(item);
        }
    }

    // ---- sites ----

    private Site site(Fields f) {
        String id = id(f, "id", SITE_ID, "a site id matching [a-z0-9][a-z0-9-]*");
        String region = f.string("region", null);
        GeoPoint location = geoPoint(f, "location", true);
        HostPort replicationAddress = hostPort(f, "replicationAddress", true);
        HostPort adminAddress = hostPort(f, "adminAddress", true);
        String publicUrl = url(f, "publicUrl");
        double costPerGb = f.decimal("costPerGb", 0, 0, false, Double.POSITIVE_INFINITY);
        double costPerInstanceHour = f.decimal("costPerInstanceHour", 0, 0, false, Double.POSITIVE_INFINITY);
        int capacity = f.int32("capacityRequestsPerSecond", 1_000, 1, Integer.MAX_VALUE);
        int spot = f.int32("spotCapacityInstances", 0, 0, Integer.MAX_VALUE);
        List<Listener> listeners = new ArrayList<>();
        List<YamlNode> listenerNodes = f.list("listeners");
        for (int i = 0; i < listenerNodes.size(); i++) {
            add(listeners, listener(Fields.item(listenerNodes.get(i), f.child("listeners") + "[" + i + "]", context)));
        }
        List<UpstreamGroup> groups = new ArrayList<>();
        List<YamlNode> groupNodes = f.list("upstreamGroups");
        for (int i = 0; i < groupNodes.size(); i++) {
            add(groups, upstreamGroup(Fields.item(groupNodes.get(i), f.child("upstreamGroups") + "[" + i + "]", context)));
        }
        InterSiteTls replicationTls = f.has("replicationTls") ? interSiteTls(f.object("replicationTls")) : null;
        f.finish();
        if (id == null || !f.isValid()) {
            return null;
        }
        return context.built(new Site(id, region, location, replicationAddress, adminAddress, publicUrl, costPerGb,
                costPerInstanceHour, capacity, spot, listeners, groups, replicationTls), f.path());
    }

    /** The three PEM files must exist; mutual TLS unless turned off. */
    private InterSiteTls interSiteTls(Fields t) {
        Path certificate = existingFile(t, "certificateFile", true);
        Path key = existingFile(t, "privateKeyFile", true);
        Path trusted = existingFile(t, "trustedCertificatesFile", true);
        boolean mutual = t.bool("requireClientCertificate", true);
        t.finish();
        if (certificate == null || key == null || trusted == null || !t.isValid()) {
            return null;
        }
        return new InterSiteTls(certificate, key, trusted, mutual);
    }

    private Listener listener(Fields f) {
        String name = id(f, "name", NAME, "a listener name");
        String address = f.string("address", Listener.DEFAULT_ADDRESS);
        int port = port(f, "port", true);
        Transport transport = f.enumValue("transport", Transport.class, Transport.AUTO);
        TlsFiles tls = null;
        if (f.has("tls")) {
            Fields t = f.object("tls");
            Path certificate = existingFile(t, "certificateFile", true);
            Path key = existingFile(t, "privateKeyFile", true);
            t.finish();
            if (certificate != null && key != null) {
                tls = new TlsFiles(certificate, key);
            }
        }
        f.finish();
        if (name == null || !f.isValid()) {
            return null;
        }
        return context.built(new Listener(name, address, port, transport, tls), f.path());
    }

    private UpstreamGroup upstreamGroup(Fields f) {
        String name = id(f, "name", NAME, "an upstream group name");
        List<Upstream> upstreams = new ArrayList<>();
        List<YamlNode> nodes = f.list("upstreams");
        for (int i = 0; i < nodes.size(); i++) {
            add(upstreams, upstream(nodes.get(i), f.child("upstreams") + "[" + i + "]"));
        }
        requireItems(f, "upstreams", nodes, "at least one upstream (host:port)");
        PoolSettings pool = pool(f.object("pool"));
        String healthCheckPath = f.string("healthCheckPath", null);
        if (healthCheckPath != null && !healthCheckPath.startsWith("/")) {
            context.problem(f.child("healthCheckPath"), healthCheckPath, "a path starting with /");
        }
        f.finish();
        if (name == null || !f.isValid()) {
            return null;
        }
        return context.built(new UpstreamGroup(name, upstreams, pool, healthCheckPath), f.path());
    }

    private Upstream upstream(YamlNode node, String path) {
        if (node instanceof YamlNode.Scalar scalar && scalar.kind() == YamlNode.Kind.STRING) {
            HostPort address = parseHostPort(node, path);
            return address == null ? null : context.built(Upstream.of(address.host(), address.port()), path);
        }
        if (Fields.isNull(node)) {
            context.problems().add(node, path, "host:port or {address: host:port, weight: W}");
            return null;
        }
        Fields f = Fields.of(node, path, context);
        HostPort address = hostPort(f, "address", true);
        double weight = f.decimal("weight", Upstream.DEFAULT_WEIGHT, 0, true, 1_000_000);
        f.finish();
        if (address == null || !f.isValid()) {
            return null;
        }
        return context.built(new Upstream(address.host(), address.port(), weight), path);
    }

    private PoolSettings pool(Fields f) {
        int max = f.int32("maxConnectionsPerUpstream", PoolSettings.DEFAULT_MAX_CONNECTIONS_PER_UPSTREAM, 1, 65_536);
        long connect = f.millis("connectTimeoutMillis", PoolSettings.DEFAULT_CONNECT_TIMEOUT_MILLIS, 1, 600_000);
        long idle = f.millis("idleTimeoutMillis", PoolSettings.DEFAULT_IDLE_TIMEOUT_MILLIS, 1, DAY_MILLIS);
        int warm = f.int32("warmConnections", PoolSettings.DEFAULT_WARM_CONNECTIONS, 0, max);
        f.finish();
        return new PoolSettings(max, connect, idle, warm);
    }

    // ---- tenants ----

    private Tenant tenant(Fields f) {
        String id = id(f, "id", NAME, "a tenant id");
        double rps = f.decimal("maxRequestsPerSecond", Double.POSITIVE_INFINITY, 0, true, Double.POSITIVE_INFINITY);
        int connections = f.int32("maxConnections", Integer.MAX_VALUE, 1, Integer.MAX_VALUE);
        f.finish();
        if (id == null || !f.isValid()) {
            return null;
        }
        return context.built(new Tenant(id, rps, connections), f.path());
    }

    // ---- routes ----

    private Route route(Fields f) {
        String name = id(f, "name", NAME, "a route name");
        String tenant = f.string("tenant", Tenant.DEFAULT_ID);
        RouteMatch match = match(f.object("match"));
        RouteTarget target = target(f);
        RouteMode mode = f.enumValue("mode", RouteMode.class, RouteMode.PROXY);
        RouteTimeouts timeouts = timeouts(f.object("timeouts"));
        RetryPolicy retry = retry(f.object("retry"));
        Stickiness stickiness = stickiness(f.object("stickiness"));
        double shadowPercent = f.decimal("shadowPercent", 0, 0, false, 100);
        long maxLag = f.millis("maxReplicationLagMillis", Route.DEFAULT_MAX_REPLICATION_LAG_MILLIS, 0, DAY_MILLIS);
        f.finish();
        if (name == null || target == null || !f.isValid()) {
            return null;
        }
        return context.built(new Route(name, tenant, match, target, mode, timeouts, retry, stickiness, shadowPercent,
                maxLag), f.path());
    }

    private RouteMatch match(Fields f) {
        List<String> hosts = f.strings("hosts", "a host name or *.suffix");
        for (int i = 0; i < hosts.size(); i++) {
            String host = hosts.get(i);
            String bare = host.startsWith("*.") ? host.substring(2) : host;
            if (bare.isEmpty() || bare.contains("*") || bare.contains("/") || bare.contains(" ")) {
                context.problem(f.child("hosts") + "[" + i + "]", host, "a host name or *.suffix");
            }
        }
        String pathPrefix = f.string("pathPrefix", RouteMatch.DEFAULT_PATH_PREFIX);
        if (!pathPrefix.startsWith("/")) {
            context.problem(f.child("pathPrefix"), pathPrefix, "a path starting with /");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        Fields headerFields = f.object("headers");
        for (YamlNode.Entry entry : headerFields.entries()) {
            String at = headerFields.child(entry.key());
            if (!HEADER_NAME.matcher(entry.key()).matches()) {
                context.problem(at, entry.key(), "a header name (RFC 9110 token)");
            }
            if (entry.value() instanceof YamlNode.Scalar scalar && scalar.kind() != YamlNode.Kind.NULL) {
                headers.put(entry.key(), scalar.text());
            } else {
                context.problems().add(entry.value(), at, "a header value");
            }
        }
        List<String> methods = f.strings("methods", "an HTTP method");
        Set<String> methodSet = new LinkedHashSet<>();
        for (int i = 0; i < methods.size(); i++) {
            String method = methods.get(i);
            if (!TOKEN.matcher(method).matches()) {
                context.problem(f.child("methods") + "[" + i + "]", method, "an upper-case HTTP method such as GET");
            }
            methodSet.add(method);
        }
        f.finish();
        return new RouteMatch(hosts, pathPrefix, headers, methodSet);
    }

    private RouteTarget target(Fields route) {
        YamlNode node = route.node("target");
        if (node == null) {
            route.missing("target", "resource: ID or upstreamGroup: NAME");
            return null;
        }
        Fields f = Fields.of(node, route.child("target"), context);
        String resource = f.string("resource", null);
        String group = f.string("upstreamGroup", null);
        f.finish();
        if (!f.isValid()) {
            return null;
        }
        if ((resource == null) == (group == null)) {
            context.problems().add(node.line(), node.column(), f.path(),
                    resource == null ? "neither resource nor upstreamGroup" : "both resource and upstreamGroup",
                    "exactly one of resource or upstreamGroup");
            return null;
        }
        return resource != null ? RouteTarget.resource(resource) : RouteTarget.upstreamGroup(group);
    }

    private RouteTimeouts timeouts(Fields f) {
        long connect = f.millis("connectTimeoutMillis", RouteTimeouts.DEFAULT_CONNECT_TIMEOUT_MILLIS, 1, 600_000);
        long response = f.millis("responseTimeoutMillis", RouteTimeouts.DEFAULT_RESPONSE_TIMEOUT_MILLIS, 1, DAY_MILLIS);
        long idle = f.millis("idleTimeoutMillis", RouteTimeouts.DEFAULT_IDLE_TIMEOUT_MILLIS, 1, DAY_MILLIS);
        f.finish();
        return new RouteTimeouts(connect, response, idle);
    }

    private RetryPolicy retry(Fields f) {
        int maxRetries = f.int32("maxRetries", RetryPolicy.DEFAULT_MAX_RETRIES, 0, 10);
        long perTry = f.millis("perTryTimeoutMillis", RetryPolicy.DEFAULT_PER_TRY_TIMEOUT_MILLIS, 0, DAY_MILLIS);
        Set<RetryOn> retryOn = RetryPolicy.DEFAULT_RETRY_ON;
        if (f.has("retryOn")) {
            EnumSet<RetryOn> conditions = EnumSet.noneOf(RetryOn.class);
            List<YamlNode> items = f.list("retryOn");
            for (int i = 0; i < items.size(); i++) {
                RetryOn condition = Fields.enumOf(items.get(i), f.child("retryOn") + "[" + i + "]", RetryOn.class,
                        null, context);
                if (condition != null) {
                    conditions.add(condition);
                }
            }
            retryOn = conditions;
        }
        double budget = f.decimal("budgetRatio", RetryPolicy.DEFAULT_BUDGET_RATIO, 0, false, 1);
        int minPerSecond = f.int32("minRetriesPerSecond", RetryPolicy.DEFAULT_MIN_RETRIES_PER_SECOND, 0, 100_000);
        boolean hedge = f.bool("hedgeReads", false);
        f.finish();
        return new RetryPolicy(maxRetries, perTry, retryOn, budget, minPerSecond, hedge);
    }

    private Stickiness stickiness(Fields f) {
        StickinessMode mode = f.enumValue("mode", StickinessMode.class, StickinessMode.OFF);
        boolean strict = f.bool("strict", false);
        String cookieName = f.string("cookieName", Stickiness.DEFAULT_COOKIE_NAME);
        if (!HEADER_NAME.matcher(cookieName).matches()) {
            context.problem(f.child("cookieName"), cookieName, "a cookie name (RFC 6265 token)");
        }
        String headerName = f.string("headerName", Stickiness.DEFAULT_HEADER_NAME);
        if (!HEADER_NAME.matcher(headerName).matches()) {
            context.problem(f.child("headerName"), headerName, "a header name (RFC 9110 token)");
        }
        long ttl = f.seconds("cookieTtlSeconds", Stickiness.DEFAULT_COOKIE_TTL_SECONDS, 1, 31_536_000);
        double loadFactor = f.decimal("loadFactor", Stickiness.DEFAULT_LOAD_FACTOR, 1.0, false, 10.0);
        f.finish();
        return new Stickiness(mode, strict, cookieName, headerName, ttl, loadFactor);
    }

    // ---- resources ----

    private Resource resource(Fields f) {
        String id = id(f, "id", NAME, "a resource id");
        String tenant = f.string("tenant", Tenant.DEFAULT_ID);
        Path volumePath = null;
        String volume = f.requiredString("volumePath", "the volume file path");
        if (volume != null) {
            volumePath = context.resolve(volume);
        }
        int blockSize = (int) f.bytes("blockSizeBytes", Resource.DEFAULT_BLOCK_SIZE_BYTES,
                Resource.MIN_BLOCK_SIZE_BYTES, Resource.MAX_BLOCK_SIZE_BYTES, false);
        if (Integer.bitCount(blockSize) != 1) {
            context.problem(f.child("blockSizeBytes"), YamlNode.describe(f.node("blockSizeBytes")),
                    "a power of two in 4096..1048576 (4KiB..1MiB)");
        }
        String primarySite = f.requiredString("primarySite", "the site id of the initial primary");
        List<Mirror> mirrors = new ArrayList<>();
        List<YamlNode> mirrorNodes = f.list("mirrors");
        for (int i = 0; i < mirrorNodes.size(); i++) {
            add(mirrors, mirror(Fields.item(mirrorNodes.get(i), f.child("mirrors") + "[" + i + "]", context)));
        }
        requireItems(f, "mirrors", mirrorNodes, "at least one mirror");
        ReplicationSettings replication = replication(f.object("replication"));
        Consistency consistency = consistency(f.object("consistency"), mirrorNodes.size());
        ConflictPolicy conflictPolicy = f.enumValue("conflictPolicy", ConflictPolicy.class,
                ConflictPolicy.LAST_WRITER_WINS);
        f.finish();
        if (id == null || !f.isValid()) {
            return null;
        }
        return context.built(new Resource(id, tenant, volumePath, blockSize, primarySite, mirrors, replication,
                consistency, conflictPolicy), f.path());
    }

    private Mirror mirror(Fields f) {
        String site = f.requiredString("site", "a site id");
        MirrorRole role = f.enumValue("role", MirrorRole.class, MirrorRole.SHADOW);
        String group = f.requiredString("upstreamGroup", "an upstream group at the mirror's site");
        f.finish();
        if (site == null || group == null || !f.isValid()) {
            return null;
        }
        return context.built(new Mirror(site, role, group), f.path());
    }

    private ReplicationSettings replication(Fields f) {
        ReplicationMode mode = f.enumValue("mode", ReplicationMode.class, ReplicationMode.DELTA);
        List<Selection> selections = new ArrayList<>();
        List<YamlNode> nodes = f.list("selections");
        for (int i = 0; i < nodes.size(); i++) {
            add(selections, selection(Fields.item(nodes.get(i), f.child("selections") + "[" + i + "]", context)));
        }
        if (mode == ReplicationMode.SELECTIVE && nodes.isEmpty()) {
            context.problem(f.child("mode"), "selective", "at least one entry in selections for selective mode");
        } else if (mode != ReplicationMode.SELECTIVE && !nodes.isEmpty()) {
            context.problem(f.child("selections"), nodes.size() + " selections",
                    "selections only with mode: selective (mode is " + mode.name().toLowerCase(Locale.ROOT) + ")");
        }
        Schedule schedule = schedule(f.object("schedule"));
        Throttle throttle = throttle(f.object("throttle"));
        Compression compression = f.enumValue("compression", Compression.class, Compression.LZ4);
        f.finish();
        return new ReplicationSettings(mode, selections, schedule, throttle, compression);
    }

    private Selection selection(Fields f) {
        boolean isFile = f.has("file");
        String file = f.string("file", null);
        boolean hasRange = f.has("firstBlock") || f.has("lastBlock");
        long first = f.integer("firstBlock", -1, 0, Long.MAX_VALUE);
        long last = f.integer("lastBlock", -1, 0, Long.MAX_VALUE);
        f.finish();
        if (!f.isValid()) {
            return null;
        }
        if (isFile == hasRange) {
            context.problem(f.path(), isFile ? "both file and a block range" : "neither file nor a block range",
                    "either file: PATH or firstBlock and lastBlock");
            return null;
        }
        if (isFile) {
            if (file == null || file.isBlank()) {
                context.problem(f.child("file"), "'" + (file == null ? "" : file) + "'",
                        "a path inside the volume's ext2/3/4 filesystem or bytes:START-END");
                return null;
            }
            return context.built(Selection.file(file), f.path());
        }
        if (first < 0 || last < 0) {
            if (!f.has("firstBlock")) {
                f.missing("firstBlock", "a block index >= 0");
            }
            if (!f.has("lastBlock")) {
                f.missing("lastBlock", "a block index >= firstBlock");
            }
            return null;
        }
        if (last < first) {
            context.problem(f.child("lastBlock"), Long.toString(last), ">= firstBlock (" + first + ")");
            return null;
        }
        return context.built(Selection.blocks(first, last), f.path());
    }

    private Schedule schedule(Fields f) {
        ScheduleKind kind = f.enumValue("kind", ScheduleKind.class, ScheduleKind.INTERVAL);
        long interval = f.millis("intervalMillis", Schedule.DEFAULT_INTERVAL_MILLIS, 10, DAY_MILLIS);
        List<TimeWindow> windows = windows(f, "windows");
        if (kind == ScheduleKind.OFF_PEAK && windows.isEmpty() && f.isValid()) {
            context.problem(f.child("kind"), "off_peak", "at least one entry in windows for off_peak");
        }
        f.finish();
        return new Schedule(kind, interval, windows);
    }

    private Throttle throttle(Fields f) {
        long rate = f.bytes("bytesPerSecond", 0, 0, Long.MAX_VALUE, true);
        long peakRate = f.bytes("peakBytesPerSecond", 0, 0, Long.MAX_VALUE, true);
        List<TimeWindow> peakHours = windows(f, "peakHours");
        if (peakRate > 0 && peakHours.isEmpty() && f.isValid()) {
            context.problem(f.child("peakBytesPerSecond"), YamlNode.describe(f.node("peakBytesPerSecond")),
                    "0, or peakHours with at least one window for the peak limit to apply in");
        }
        f.finish();
        return new Throttle(rate, peakRate, peakHours);
    }

    private List<TimeWindow> windows(Fields f, String key) {
        List<TimeWindow> windows = new ArrayList<>();
        List<YamlNode> nodes = f.list(key);
        for (int i = 0; i < nodes.size(); i++) {
            add(windows, window(Fields.item(nodes.get(i), f.child(key) + "[" + i + "]", context)));
        }
        return windows;
    }

    private TimeWindow window(Fields f) {
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        List<String> dayNames = f.strings("days", "a day such as mon, or a range such as mon-fri");
        for (int i = 0; i < dayNames.size(); i++) {
            if (!addDays(dayNames.get(i), days)) {
                context.problem(f.child("days") + "[" + i + "]", dayNames.get(i),
                        "a day (mon..sun or monday..sunday) or a range such as mon-fri");
            }
        }
        LocalTime start = time(f, "start");
        LocalTime end = time(f, "end");
        ZoneId zone = ZoneId.of("UTC");
        String zoneName = f.string("zone", null);
        if (zoneName != null) {
            try {
                zone = ZoneId.of(zoneName);
            } catch (DateTimeException e) {
                context.problem(f.child("zone"), zoneName, "a time zone such as UTC or Europe/Berlin");
            }
        }
        f.finish();
        if (start == null || end == null || !f.isValid()) {
            return null;
        }
        if (start.equals(end)) {
            context.problem(f.child("end"), end.toString(), "a time different from start (" + start + ")");
            return null;
        }
        return context.built(new TimeWindow(days, start, end, zone), f.path());
    }

    private LocalTime time(Fields f, String key) {
        String text = f.requiredString(key, "a local time HH:MM");
        if (text == null) {
            return null;
        }
        try {
            return LocalTime.parse(text.length() == 4 ? "0" + text : text);
        } catch (DateTimeParseException e) {
            context.problem(f.child(key), text, "a local time HH:MM");
            return null;
        }
    }

    private static boolean addDays(String text, Set<DayOfWeek> days) {
        String lower = text.strip().toLowerCase(Locale.ROOT);
        int dash = lower.indexOf('-');
        if (dash < 0) {
            DayOfWeek day = day(lower);
            if (day != null) {
                days.add(day);
            }
            return day != null;
        }
        DayOfWeek from = day(lower.substring(0, dash).strip());
        DayOfWeek to = day(lower.substring(dash + 1).strip());
        if (from == null || to == null) {
            return false;
        }
        for (DayOfWeek day = from; ; day = day.plus(1)) {
            days.add(day);
            if (day == to) {
                return true;
            }
        }
    }

    private static DayOfWeek day(String text) {
        for (DayOfWeek day : DayOfWeek.values()) {
            String full = day.name().toLowerCase(Locale.ROOT);
            if (full.equals(text) || full.substring(0, 3).equals(text)) {
                return day;
            }
        }
        return null;
    }

    private Consistency consistency(Fields f, int mirrorCount) {
        ConsistencyMode mode = f.enumValue("mode", ConsistencyMode.class, ConsistencyMode.ASYNC);
        int majority = Math.max(1, mirrorCount / 2 + 1);
        int writeQuorum = f.int32("writeQuorum", mode == ConsistencyMode.QUORUM ? majority : 1, 1, Integer.MAX_VALUE);
        if (writeQuorum > Math.max(1, mirrorCount)) {
            context.problem(f.child("writeQuorum"), Integer.toString(writeQuorum),
                    "1.." + Math.max(1, mirrorCount) + " (the number of mirrors)");
            writeQuorum = majority;
        } else if (mode == ConsistencyMode.ASYNC && writeQuorum != 1) {
            context.problem(f.child("writeQuorum"), Integer.toString(writeQuorum),
                    "1, or mode: quorum (writeQuorum only applies to quorum mode)");
        }
        f.finish();
        return new Consistency(mode, writeQuorum);
    }

    // ---- settings ----

    private ProbeSettings probes(Fields f) {
        long interval = f.millis("intervalMillis", ProbeSettings.DEFAULT_INTERVAL_MILLIS, 10, HOUR_MILLIS);
        long timeout = f.millis("timeoutMillis", Math.min(ProbeSettings.DEFAULT_TIMEOUT_MILLIS, interval), 1,
                interval);
        double jitter = f.decimal("jitterRatio", ProbeSettings.DEFAULT_JITTER_RATIO, 0, false, 1);
        int rise = f.int32("rise", ProbeSettings.DEFAULT_RISE, 1, 100);
        int fall = f.int32("fall", ProbeSettings.DEFAULT_FALL, 1, 100);
        long degradedRtt = f.millis("degradedRttMillis", ProbeSettings.DEFAULT_DEGRADED_RTT_MILLIS, 1, 600_000);
        double degradedLoss = f.decimal("degradedLossRatio", ProbeSettings.DEFAULT_DEGRADED_LOSS_RATIO, 0, false, 1);
        long ejectionBase = f.millis("ejectionBaseMillis", ProbeSettings.DEFAULT_EJECTION_BASE_MILLIS, 1, HOUR_MILLIS);
        double maxEjected = f.decimal("maxEjectedRatio", ProbeSettings.DEFAULT_MAX_EJECTED_RATIO, 0, false, 1);
        int failures = f.int32("consecutiveFailuresToEject", ProbeSettings.DEFAULT_CONSECUTIVE_FAILURES_TO_EJECT, 1,
                1_000);
        boolean reuseConnection = f.bool("reuseConnection", ProbeSettings.DEFAULT_REUSE_CONNECTION);
        f.finish();
        return new ProbeSettings(interval, timeout, jitter, rise, fall, degradedRtt, degradedLoss, ejectionBase,
                maxEjected, failures, reuseConnection);
    }

    private PredictorSettings predictor(Fields f) {
        long horizon = f.millis("horizonMillis", PredictorSettings.DEFAULT_HORIZON_MILLIS, 1_000, 604_800_000L);
        double soft = f.decimal("softThreshold", PredictorSettings.DEFAULT_SOFT_THRESHOLD, 0, false, 1);
        double firm = f.decimal("firmThreshold", Math.max(soft, PredictorSettings.DEFAULT_FIRM_THRESHOLD), soft, false,
                1);
        int order = f.int32("markovMaxOrder", PredictorSettings.DEFAULT_MARKOV_MAX_ORDER, 1, 8);
        int maxUsers = f.int32("maxUsers", PredictorSettings.DEFAULT_MAX_USERS, 1, 10_000_000);
        double benefit = f.decimal("benefitPerHit", PredictorSettings.DEFAULT_BENEFIT_PER_HIT, 0, false,
                Double.POSITIVE_INFINITY);
        long decisionInterval = f.millis("decisionIntervalMillis", PredictorSettings.DEFAULT_DECISION_INTERVAL_MILLIS,
                10, HOUR_MILLIS);
        double zScore = f.decimal("anomalyZScore", PredictorSettings.DEFAULT_ANOMALY_Z_SCORE, 1, false, 100);
        double shadowRatio = f.decimal("maxShadowTrafficRatio", PredictorSettings.DEFAULT_MAX_SHADOW_TRAFFIC_RATIO, 0,
                false, 1);
        f.finish();
        return new PredictorSettings(horizon, soft, firm, order, maxUsers, benefit, decisionInterval, zScore,
                shadowRatio);
    }

    private AdminSettings admin(Fields f) {
        Path tokenFile = existingFile(f, "tokenFile", false);
        f.finish();
        return new AdminSettings(tokenFile);
    }

    private HttpLimits httpLimits(Fields f) {
        int requestLine = (int) f.bytes("maxRequestLineBytes", HttpLimits.DEFAULT_MAX_REQUEST_LINE_BYTES, 256,
                1_048_576, false);
        int headerBytes = (int) f.bytes("maxHeaderBytes", HttpLimits.DEFAULT_MAX_HEADER_BYTES, 1_024, 1_048_576,
                false);
        int headerCount = f.int32("maxHeaderCount", HttpLimits.DEFAULT_MAX_HEADER_COUNT, 1, 10_000);
        long headerTimeout = f.millis("requestHeaderTimeoutMillis", HttpLimits.DEFAULT_REQUEST_HEADER_TIMEOUT_MILLIS, 1,
                600_000);
        long body = f.bytes("maxRequestBodyBytes", HttpLimits.DEFAULT_MAX_REQUEST_BODY_BYTES, 0, 1L << 62, false);
        long idle = f.millis("idleTimeoutMillis", HttpLimits.DEFAULT_IDLE_TIMEOUT_MILLIS, 1, DAY_MILLIS);
        long drain = f.millis("drainTimeoutMillis", HttpLimits.DEFAULT_DRAIN_TIMEOUT_MILLIS, 0, HOUR_MILLIS);
        f.finish();
        return new HttpLimits(requestLine, headerBytes, headerCount, headerTimeout, body, idle, drain);
    }

    private LocationSettings location(Fields f) {
        String header = f.string("deviceLocationHeader", LocationSettings.DEFAULT_DEVICE_LOCATION_HEADER);
        if (!HEADER_NAME.matcher(header).matches()) {
            context.problem(f.child("deviceLocationHeader"), header, "a header name (RFC 9110 token)");
        }
        List<CidrLocation> blocks = new ArrayList<>();
        List<YamlNode> nodes = f.list("cidrLocations");
        for (int i = 0; i < nodes.size(); i++) {
            Fields c = Fields.item(nodes.get(i), f.child("cidrLocations") + "[" + i + "]", context);
            String cidr = c.requiredString("cidr", "an address block such as 10.1.0.0/16");
            if (cidr != null && !Cidr.isValid(cidr)) {
                context.problem(c.child("cidr"), cidr, "an address block such as 10.1.0.0/16 or 2001:db8::/32");
                cidr = null;
            }
            GeoPoint point = geoPoint(c, "location", true);
            String region = c.string("region", null);
            c.finish();
            if (cidr != null && point != null && c.isValid()) {
                blocks.add(context.built(new CidrLocation(cidr, point, region), c.path()));
            }
        }
        Path csv = existingFile(f, "cidrCsvFile", false);
        f.finish();
        return new LocationSettings(header, blocks, csv);
    }

    private AffinitySettings affinity(Fields f) {
        List<String> secrets = f.strings("secrets", "a secret of at least 16 characters");
        for (int i = 0; i < secrets.size(); i++) {
            if (secrets.get(i).length() < 16) {
                context.problem(f.child("secrets") + "[" + i + "]", "a secret of " + secrets.get(i).length()
                        + " characters", "at least 16 characters");
            }
        }
        List<Path> files = new ArrayList<>();
        List<String> names = f.strings("secretFiles", "a file path");
        for (int i = 0; i < names.size(); i++) {
            Path file = context.resolve(names.get(i));
            if (!Files.isRegularFile(file)) {
                context.problem(f.child("secretFiles") + "[" + i + "]", names.get(i),
                        "an existing file (resolved to " + file + ")");
            }
            files.add(file);
        }
        f.finish();
        return new AffinitySettings(secrets, files);
    }

    // ---- shared value types ----

    private String id(Fields f, String key, Pattern pattern, String expected) {
        String id = f.requiredString(key, expected);
        if (id != null && !pattern.matcher(id).matches()) {
            context.problem(f.child(key), id, expected + " matching " + pattern.pattern());
            return null;
        }
        return id;
    }

    private GeoPoint geoPoint(Fields parent, String key, boolean required) {
        if (!parent.has(key)) {
            if (required && parent.isValid()) {
                parent.missing(key, "latitude and longitude");
            }
            return null;
        }
        Fields f = parent.object(key);
        if (!f.has("latitude")) {
            f.missing("latitude", "-90..90");
        }
        if (!f.has("longitude")) {
            f.missing("longitude", "-180..180");
        }
        double latitude = f.decimal("latitude", Double.NaN, -90, false, 90);
        double longitude = f.decimal("longitude", Double.NaN, -180, false, 180);
        f.finish();
        if (Double.isNaN(latitude) || Double.isNaN(longitude)) {
            return null;
        }
        return new GeoPoint(latitude, longitude);
    }

    private HostPort hostPort(Fields f, String key, boolean required) {
        YamlNode node = f.node(key);
        if (node == null) {
            if (required && f.isValid()) {
                f.missing(key, "host:port");
            }
            return null;
        }
        return parseHostPort(node, f.child(key));
    }

    private HostPort parseHostPort(YamlNode node, String path) {
        if (node instanceof YamlNode.Scalar scalar && scalar.kind() == YamlNode.Kind.STRING) {
            try {
                HostPort address = HostPort.parse(scalar.text());
                if (!address.host().isEmpty()) {
                    return context.built(address, path);
                }
            } catch (IllegalArgumentException e) {
                // reported below with the position
            }
        }
        context.problems().add(node, path, "host:port with a port in 1..65535");
        return null;
    }

    private int port(Fields f, String key, boolean required) {
        if (!f.has(key)) {
            if (required && f.isValid()) {
                f.missing(key, "1..65535");
            }
            return 0;
        }
        return f.int32(key, 0, 1, 65_535);
    }

    private String url(Fields f, String key) {
        String text = f.string(key, null);
        if (text == null) {
            return null;
        }
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme();
            if (("http".equals(scheme) || "https".equals(scheme)) && uri.getHost() != null && uri.getQuery() == null) {
                return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
            }
        } catch (URISyntaxException e) {
            // reported below with the position
        }
        context.problem(f.child(key), text, "an http:// or https:// URL with a host and no query");
        return null;
    }

    private Path existingFile(Fields f, String key, boolean required) {
        String name = required ? f.requiredString(key, "a file path") : f.string(key, null);
        if (name == null) {
            return null;
        }
        Path file = context.resolve(name);
        if (!Files.isRegularFile(file)) {
            context.problem(f.child(key), name, "an existing file (resolved to " + file + ")");
        }
        return file;
    }
}
