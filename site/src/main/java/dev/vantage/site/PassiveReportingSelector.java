package dev.vantage.site;

import dev.vantage.config.Route;
import dev.vantage.probe.LatencyProbes;
import dev.vantage.probe.PassiveOutcome;
import dev.vantage.probe.ProbeTable;
import dev.vantage.proxy.AttemptOutcome;
import dev.vantage.proxy.ProxyRequest;
import dev.vantage.proxy.ProxyTopology;
import dev.vantage.proxy.Selection;
import dev.vantage.proxy.UpstreamEndpoint;
import dev.vantage.proxy.UpstreamSelector;

/**
 * Routing's selector, plus the passive half of health checking: every attempt's outcome (5xx, connect failure,
 * reset, timeout) is reported to the latency probes, whose outlier ejection then takes a failing upstream out of
 * rotation between active probes.
 *
 * <p>Threading: called on the proxy's event loops; the probe table lookup is lock-free and allocation-free and the
 * report is an offer to the probe thread's ring.
 */
final class PassiveReportingSelector implements UpstreamSelector {

    private final UpstreamSelector delegate;
    private final LatencyProbes probes;

    PassiveReportingSelector(UpstreamSelector delegate, LatencyProbes probes) {
        this.delegate = delegate;
        this.probes = probes;
    }

    @Override
    public void select(Route route, ProxyRequest request, Selection selection) {
        delegate.select(route, request, selection);
    }

    @Override
    public boolean onAttemptEnd(Route route, ProxyRequest request, UpstreamEndpoint upstream, AttemptOutcome outcome,
                                int status, long latencyNanos) {
        report(upstream, outcome, status);
        return delegate.onAttemptEnd(route, request, upstream, outcome, status, latencyNanos);
    }

    @Override
    public boolean admitTenantConnection(String tenantId) {
        return delegate.admitTenantConnection(tenantId);
    }

    @Override
    public void releaseTenantConnection(String tenantId) {
        delegate.releaseTenantConnection(tenantId);
    }

    @Override
    public long hedgeDelayNanos(Route route, ProxyRequest request) {
        return delegate.hedgeDelayNanos(route, request);
    }

    @Override
    public void selectHedge(Route route, ProxyRequest request, Selection selection) {
        delegate.selectHedge(route, request, selection);
    }

    @Override
    public void onShadowEnd(Route route, UpstreamEndpoint shadow, AttemptOutcome outcome, int status, long bodyBytes,
                            long latencyNanos) {
        report(shadow, outcome, status);
        delegate.onShadowEnd(route, shadow, outcome, status, bodyBytes, latencyNanos);
    }

    @Override
    public void onExchangeEnd(Route route, ProxyRequest request, UpstreamEndpoint upstream, int status,
                              long bodyBytes) {
        delegate.onExchangeEnd(route, request, upstream, status, bodyBytes);
    }

    @Override
    public void onTopology(ProxyTopology topology) {
        delegate.onTopology(topology);
    }

    private void report(UpstreamEndpoint upstream, AttemptOutcome outcome, int status) {
        if (upstream == null || outcome == AttemptOutcome.CANCELLED) {
            return; // a hedge's loser did not fail, it was only slower
        }
        ProbeTable table = probes.table();
        int index = table.indexOf(upstream.host(), upstream.port());
        if (index < 0) {
            return; // another site's ingress: its own site probes it
        }
        PassiveOutcome passive = switch (outcome) {
            case RESPONSE -> PassiveOutcome.ofStatus(status);
            case CONNECT_FAILURE -> PassiveOutcome.CONNECT_FAILURE;
            case RESET, TIMEOUT, CANCELLED -> PassiveOutcome.RESET;
        };
        probes.reportOutcome(index, passive);
    }
}
