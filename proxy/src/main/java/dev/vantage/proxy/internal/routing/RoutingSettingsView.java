package dev.vantage.proxy.internal.routing;

import dev.vantage.proxy.RoutingSettings;

/** The settings the decision path reads, precomputed into plain fields (radians instead of kilometres). */
final class RoutingSettingsView {

    final double panicThreshold;
    final double overprovisioning;
    final int maxPendingPerTarget;
    final double toleranceRadians;

    RoutingSettingsView(RoutingSettings settings) {
        panicThreshold = settings.panicThreshold();
        overprovisioning = settings.overprovisioningFactor();
        maxPendingPerTarget = settings.maxPendingPerTarget();
        toleranceRadians = settings.localityToleranceKm() / RoutingSnapshot.EARTH_RADIUS_KM;
    }
}
