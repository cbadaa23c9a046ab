package dev.vantage.proxy.internal.routing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

import dev.vantage.config.AffinitySettings;
import dev.vantage.config.Policy;
import dev.vantage.proxy.MirrorStatus;
import dev.vantage.proxy.ProxyTopology;
import dev.vantage.proxy.RoutingEngine;
import dev.vantage.proxy.RoutingProbeView;
import dev.vantage.proxy.RoutingSelector;
import dev.vantage.proxy.RoutingSettings;
import dev.vantage.proxy.UpstreamSelector;
import dev.vantage.proxy.WeightSource;

/**
 * The {@link RoutingEngine}: owns the current {@link RoutingSnapshot} and {@link RoutingInputs} (one volatile
 * reference, swapped whole), the draining set, the affinity keys and the selectors it handed out (for metrics).
 *
 * <p>Threading: control methods are synchronized among themselves and publish through a volatile field; selectors
 * read that field once per call.
 */
public final class DefaultRoutingEngine implements RoutingEngine {

    private final String localSiteId;
    private final RoutingSettings settings;
    private final RoutingSettingsView view;
    private final WeightSource weights;
    private final MirrorStatus mirrorStatus;
    private final RoutingProbeView probes;
    private final LongSupplier nanoClock;
    private final Clock wallClock;
    private final byte[] processKey;
    private final Set<String> draining = ConcurrentHashMap.newKeySet();
    private final List<LoopRouter> selectors = new CopyOnWriteArrayList<>();
    private volatile RoutingInputs inputs;
    private volatile List<byte[]> cookieKeys;
    private volatile long wallOffsetNanos;
    private volatile ProxyTopology topology;
    private volatile RoutingUpstreamSelector upstreamSelector;
    private ShadowClient shadowClient;
    private long seeds;

    public DefaultRoutingEngine(Policy policy, String localSiteId, RoutingSettings settings, WeightSource weights,
                                MirrorStatus mirrorStatus, RoutingProbeView probes, LongSupplier nanoClock,
                                Clock wallClock) {
        this.localSiteId = localSiteId;
        this.settings = settings;
        this.view = new RoutingSettingsView(settings);
        this.weights = weights;
        this.mirrorStatus = mirrorStatus;
        this.probes = probes;
        this.nanoClock = nanoClock;
        this.wallClock = wallClock;
        this.processKey = new byte[32];
        SecureRandom random = new SecureRandom();
        random.nextBytes(processKey);
        this.seeds = random.nextLong();
        reload(policy);
    }

    RoutingSettings settings() {
        return settings;
    }

    RoutingSettingsView view() {
        return view;
    }

    RoutingInputs inputs() {
        return inputs;
    }

    long nanoTime() {
        return nanoClock.getAsLong();
    }

    /** Wall-clock seconds at monotonic time {@code nowNanos}, without reading the wall clock (see {@link #syncWallClock}). */
    long epochSeconds(long nowNanos) {
        return Math.floorDiv(nowNanos + wallOffsetNanos, 1_000_000_000L);
    }

    /** Re-reads the wall clock against the monotonic one; on every reload and input refresh. */
    private void syncWallClock() {
        wallOffsetNanos = wallClock.millis() * 1_000_000L - nanoTime();
    }

    List<LoopRouter> selectors() {
        return selectors;
    }

    AffinityCookieCodec newCookieCodec() {
        return new AffinityCookieCodec(cookieKeys);
    }

    boolean sameCookieKeys(RoutingSnapshot a, RoutingSnapshot b) {
        return a.policy.affinity().equals(b.policy.affinity());
    }

    @Override
    public synchronized RoutingSelector newSelector() {
        seeds = Hashing.mix(seeds + 0x9e3779b97f4a7c15L);
        LoopRouter selector = new LoopRouter(this, seeds);
        selectors.add(selector);
        return selector;
    }

    @Override
    public synchronized void reload(Policy policy) {
        RoutingInputs current = inputs;
        Map<String, TenantLimits> previous = new HashMap<>();
        if (current != null) {
            RoutingSnapshot old = current.snapshot;
            for (int t = 0; t < old.tenantIds.length; t++) {
                previous.put(old.tenantIds[t], old.tenantLimits[t]);
            }
        }
        List<byte[]> keys = readKeys(policy.affinity());
        RoutingSnapshot snapshot = new RoutingSnapshot(policy, localSiteId, settings, previous,
                nanoTime());
        cookieKeys = keys;
        syncWallClock();
        inputs = new RoutingInputs(snapshot, weights, mirrorStatus, probes, draining, topology);
    }

    /**
     * Binds the proxy's topology: reloads the policy when it changed and maps every target to the proxy endpoint
     * that reaches it.
     */
    synchronized void bindTopology(ProxyTopology next) {
        topology = next;
        if (next.policy() != inputs.snapshot.policy) {
            reload(next.policy());
        } else {
            refreshInputs();
        }
    }

    @Override
    public synchronized UpstreamSelector upstreamSelector() {
        if (upstreamSelector == null) {
            upstreamSelector = new RoutingUpstreamSelector(this);
        }
        return upstreamSelector;
    }

    String localSiteId() {
        return localSiteId;
    }

    /** The shadow sender, started on first use. */
    synchronized ShadowClient shadowClient() {
        if (shadowClient == null) {
            shadowClient = new ShadowClient(1_024);
        }
        return shadowClient;
    }

    @Override
    public synchronized void close() {
        if (shadowClient != null) {
            shadowClient.close();
            shadowClient = null;
        }
    }

    @Override
    public synchronized void refreshInputs() {
        syncWallClock();
        inputs = new RoutingInputs(inputs.snapshot, weights, mirrorStatus, probes, draining, topology);
    }

    @Override
    public synchronized void setDraining(String siteId, String endpoint, boolean drain) {
        String key = siteId + "|" + endpoint;
        if (drain) {
            draining.add(key);
        } else {
            draining.remove(key);
        }
        refreshInputs();
    }

    @Override
    public boolean tryOpenTenantConnection(String tenant) {
        TenantLimits limits = inputs.snapshot.tenantLimits(tenant);
        return limits == null || limits.tryOpenConnection();
    }

    @Override
    public void closeTenantConnection(String tenant) {
        TenantLimits limits = inputs.snapshot.tenantLimits(tenant);
        if (limits != null) {
            limits.closeConnection();
        }
    }

    @Override
    public String metricsText() {
        return RoutingViews.metrics(this);
    }

    @Override
    public String routesJson() {
        return RoutingViews.routes(this);
    }

    /** The configured secrets (inline, then files), newest first; a random per-process key when none. */
    private List<byte[]> readKeys(AffinitySettings affinity) {
        List<String> secrets = new ArrayList<>(affinity.secrets());
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < affinity.secretFiles().size(); i++) {
            Path file = affinity.secretFiles().get(i);
            try {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                String secret = lines.isEmpty() ? "" : lines.get(0).strip();
                if (secret.length() < 16) {
                    problems.add("affinity.secretFiles[" + i + "]: " + file + " first line has " + secret.length()
                            + " characters (expected: at least 16)");
                } else {
                    secrets.add(secret);
                }
            } catch (IOException e) {
                problems.add("affinity.secretFiles[" + i + "]: " + file + " cannot be read (" + e.getMessage() + ")");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", problems));
        }
        if (secrets.isEmpty()) {
            return List.of(processKey);
        }
        return AffinityCookieCodec.utf8(secrets);
    }
}
