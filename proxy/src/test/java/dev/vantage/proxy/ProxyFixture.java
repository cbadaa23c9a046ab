package dev.vantage.proxy;

import dev.vantage.config.HostPort;
import dev.vantage.config.HttpLimits;
import dev.vantage.config.PoolSettings;
import dev.vantage.config.Policy;
import dev.vantage.config.RouteTimeouts;
import dev.vantage.config.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Starts a proxy on 127.0.0.1:0 (admin too) in front of test origins. */
final class ProxyFixture {

    private ProxyFixture() {
    }

    static Policy policy(Transport transport, HttpLimits limits, RouteTimeouts timeouts, PoolSettings pool,
                         int... originPorts) {
        List<HostPort> upstreams = new ArrayList<>();
        for (int port : originPorts) {
            upstreams.add(new HostPort("127.0.0.1", port));
        }
        return QuickStart.policy(new HostPort("127.0.0.1", 0), upstreams, transport, limits, timeouts, pool);
    }

    static ProxyServer start(Transport transport, HttpLimits limits, RouteTimeouts timeouts, PoolSettings pool,
                             Consumer<ProxyServer.Builder> customize, int... originPorts) throws InterruptedException {
        ProxyServer.Builder builder = ProxyServer.builder(policy(transport, limits, timeouts, pool, originPorts),
                        QuickStart.SITE_ID)
                .threads(1)
                .adminAddress(new HostPort("127.0.0.1", 0));
        customize.accept(builder);
        return builder.build().start();
    }

    static ProxyServer start(int... originPorts) throws InterruptedException {
        return start(Transport.AUTO, HttpLimits.defaults(), RouteTimeouts.defaults(), PoolSettings.defaults(),
                builder -> { }, originPorts);
    }

    static int port(ProxyServer proxy) {
        return proxy.listenAddresses().get(0).getPort();
    }

    static HttpLimits limits(long requestHeaderTimeoutMillis, long idleTimeoutMillis) {
        HttpLimits d = HttpLimits.defaults();
        return new HttpLimits(d.maxRequestLineBytes(), d.maxHeaderBytes(), d.maxHeaderCount(),
                requestHeaderTimeoutMillis, d.maxRequestBodyBytes(), idleTimeoutMillis, d.drainTimeoutMillis());
    }
}
