package dev.vantage.proxy;

import java.time.Clock;
import java.util.Objects;
import java.util.function.LongSupplier;

import dev.vantage.config.Policy;
import dev.vantage.proxy.internal.routing.DefaultRoutingEngine;

/**
 * The routing brain of one site: compiles the policy's routes, resources and mirrors into targets, keeps the live
 * inputs (predicted weights, mirror roles and lag, probe RTT and health, draining) and hands each event loop its
 * own {@link RoutingSelector}.
 *
 * <p>Threading: {@link #reload}, {@link #refreshInputs} and {@link #setDraining} are called from a control thread
 * (one at a time) and publish immutable snapshots; selectors read them without locks. Tenant limits are shared
 * lock-free by all loops.
 */
public interface RoutingEngine extends AutoCloseable {

    /** A selector for one event loop. */
    RoutingSelector newSelector();

    /**
     * The engine as the proxy's {@link UpstreamSelector} (one instance per engine): pass it to
     * {@code ProxyServer.Builder#selector}. It follows the proxy's topology (policy reloads included), keeps one
     * selector per event loop, adds the hop header when forwarding to a peer site, the affinity {@code Set-Cookie},
     * 307 redirects, 429 with Retry-After, and asks for retries on another mirror within the retry budget.
     */
    UpstreamSelector upstreamSelector();

    /** Swaps in a new policy; selectors pick it up on their next request and keep what they learned per target. */
    void reload(Policy policy);

    /** Re-reads the weight source, mirror status and probe view (call every {@link RoutingSettings#refreshIntervalMillis()}). */
    void refreshInputs();

    /**
     * Drains or undrains every target at {@code siteId} with endpoint {@code host:port}: in-flight requests finish,
     * new ones (sticky users included) go elsewhere; with strict stickiness its users get 503.
     */
    void setDraining(String siteId, String endpoint, boolean draining);

    /** Admits a client connection for {@code tenant}; false when the tenant is at its connection limit. */
    boolean tryOpenTenantConnection(String tenant);

    /** Releases a connection admitted by {@link #tryOpenTenantConnection}. */
    void closeTenantConnection(String tenant);

    /** Serves {@link #routesJson()} at {@code GET /routes} and adds {@link #metricsText()} to {@code /metrics}. */
    default void installAdmin(AdminServer admin) {
        admin.register("GET", "/routes", request -> AdminServer.Response.json(routesJson() + "\n"));
        admin.addMetricsSource(out -> out.append(metricsText()));
    }

    /** Prometheus text exposition of the routing metrics, tenant-labelled. */
    String metricsText();

    /** JSON for the admin {@code /routes} view: per route and target the score inputs and the share of traffic. */
    String routesJson();

    /** Stops the shadow sender thread, if one was started. */
    @Override
    void close();

    /** A builder for the site with id {@code localSiteId} in {@code policy}. */
    static Builder builder(Policy policy, String localSiteId) {
        return new Builder(policy, localSiteId);
    }

    /** Collects the collaborators of an engine; only the policy and the local site are required. */
    final class Builder {
        private final Policy policy;
        private final String localSiteId;
        private RoutingSettings settings = RoutingSettings.defaults();
        private WeightSource weights = WeightSource.uniform();
        private MirrorStatus mirrorStatus = MirrorStatus.configured();
        private RoutingProbeView probes = RoutingProbeView.none();
        private LongSupplier nanoClock = System::nanoTime;
        private Clock wallClock = Clock.systemUTC();

        private Builder(Policy policy, String localSiteId) {
            this.policy = Objects.requireNonNull(policy, "policy");
            this.localSiteId = Objects.requireNonNull(localSiteId, "localSiteId");
        }

        public Builder settings(RoutingSettings value) {
            settings = Objects.requireNonNull(value, "settings");
            return this;
        }

        public Builder weightSource(WeightSource value) {
            weights = Objects.requireNonNull(value, "weightSource");
            return this;
        }

        public Builder mirrorStatus(MirrorStatus value) {
            mirrorStatus = Objects.requireNonNull(value, "mirrorStatus");
            return this;
        }

        public Builder probeView(RoutingProbeView value) {
            probes = Objects.requireNonNull(value, "probeView");
            return this;
        }

        /** The monotonic clock for latencies and ages, in nanoseconds (default {@link System#nanoTime()}). */
        public Builder nanoClock(LongSupplier value) {
            nanoClock = Objects.requireNonNull(value, "nanoClock");
            return this;
        }

        /** The wall clock for cookie expiry (default UTC system clock). */
        public Builder wallClock(Clock value) {
            wallClock = Objects.requireNonNull(value, "wallClock");
            return this;
        }

        /**
         * Builds the engine.
         *
         * @throws IllegalArgumentException when the local site is not in the policy, a secret file cannot be read or
         *                                  the CIDR table is malformed (all problems in one message)
         */
        public RoutingEngine build() {
            return new DefaultRoutingEngine(policy, localSiteId, settings, weights, mirrorStatus, probes, nanoClock,
                    wallClock);
        }
    }
}
