package dev.vantage.proxy.internal;

import dev.vantage.config.Route;
import dev.vantage.proxy.EndpointGroup;
import dev.vantage.proxy.ProxyRequest;
import dev.vantage.proxy.Selection;
import dev.vantage.proxy.UpstreamEndpoint;
import dev.vantage.proxy.UpstreamSelector;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Default selector: two random available candidates, the one with fewer pending requests wins (ties: the first
 * draw). Stateless, thread-safe, allocation-free. When fewer than two candidates are available it takes the one
 * left; when none is available but some are merely excluded by earlier attempts it answers 502, else 503.
 */
public final class LeastPendingP2cSelector implements UpstreamSelector {

    public static final LeastPendingP2cSelector INSTANCE = new LeastPendingP2cSelector();

    private LeastPendingP2cSelector() {
    }

    @Override
    public void select(Route route, ProxyRequest request, Selection selection) {
        EndpointGroup group = selection.candidates();
        if (group == null || group.size() == 0) {
            selection.reject(503, "no upstream for this route at this site");
            return;
        }
        int size = group.size();
        int available = 0;
        for (int i = 0; i < size; i++) {
            UpstreamEndpoint endpoint = group.get(i);
            if (endpoint.available() && !selection.isExcluded(endpoint)) {
                available++;
            }
        }
        if (available == 0) {
            selection.reject(503, "no healthy upstream");
            return;
        }
        if (available == 1) {
            selection.forward(nthAvailable(group, selection, 0));
            return;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int firstIndex = random.nextInt(available);
        int secondIndex = random.nextInt(available - 1);
        if (secondIndex >= firstIndex) {
            secondIndex++;
        }
        UpstreamEndpoint first = nthAvailable(group, selection, firstIndex);
        UpstreamEndpoint second = nthAvailable(group, selection, secondIndex);
        selection.forward(second.pendingRequests() < first.pendingRequests() ? second : first);
    }

    private static UpstreamEndpoint nthAvailable(EndpointGroup group, Selection selection, int n) {
        int seen = 0;
        for (int i = 0; i < group.size(); i++) {
            UpstreamEndpoint endpoint = group.get(i);
            if (endpoint.available() && !selection.isExcluded(endpoint)) {
                if (seen == n) {
                    return endpoint;
                }
                seen++;
            }
        }
        throw new IllegalStateException("candidate " + n + " of " + seen);
    }
}
