package dev.vantage.proxy.internal.routing;

import java.util.Arrays;
import java.util.List;

import dev.vantage.config.MirrorRole;
import dev.vantage.config.Route;

/**
 * One route compiled for routing: its members (targets that may serve it, in mirror order), the configured role of
 * each, the sites they are grouped into for locality, and the consistent-hashing ring over them.
 *
 * <p>Threading: immutable.
 */
final class RoutePlan {

    final int index;
    final Route route;
    /** The resource id, or the upstream group name for plain group routes. */
    final String resourceOrGroup;
    final boolean isResource;
    final int tenantIndex;
    /** Global target index per member. */
    final int[] members;
    final MirrorRole[] configuredRoles;
    /** Site slot (index into {@link #sites}) per member. */
    final int[] memberSlot;
    /** Global site index per slot. */
    final int[] sites;
    /** Members per slot. */
    final int[][] slotMembers;
    /** Member index per global target index, -1 when the target is not a member. */
    final int[] memberOfTarget;
    final ConsistentHashRing ring;
    final double shadowFraction;
    final boolean hedges;

    RoutePlan(int index, Route route, String resourceOrGroup, boolean isResource, int tenantIndex, int[] members,
              MirrorRole[] configuredRoles, int[] targetSite, int targetCount, List<String> memberKeys,
              int virtualNodes) {
        this.index = index;
        this.route = route;
        this.resourceOrGroup = resourceOrGroup;
        this.isResource = isResource;
        this.tenantIndex = tenantIndex;
        this.members = members;
        this.configuredRoles = configuredRoles;
        int[] siteOfSlot = new int[members.length];
        int slots = 0;
        memberSlot = new int[members.length];
        for (int m = 0; m < members.length; m++) {
            int site = targetSite[members[m]];
            int slot = -1;
            for (int s = 0; s < slots; s++) {
                if (siteOfSlot[s] == site) {
                    slot = s;
                }
            }
            if (slot < 0) {
                slot = slots;
                siteOfSlot[slots++] = site;
            }
            memberSlot[m] = slot;
        }
        sites = Arrays.copyOf(siteOfSlot, slots);
        slotMembers = new int[slots][];
        for (int s = 0; s < slots; s++) {
            int count = 0;
            for (int m = 0; m < members.length; m++) {
                if (memberSlot[m] == s) {
                    count++;
                }
            }
            slotMembers[s] = new int[count];
            count = 0;
            for (int m = 0; m < members.length; m++) {
                if (memberSlot[m] == s) {
                    slotMembers[s][count++] = m;
                }
            }
        }
        memberOfTarget = new int[targetCount];
        Arrays.fill(memberOfTarget, -1);
        for (int m = 0; m < members.length; m++) {
            memberOfTarget[members[m]] = m;
        }
        ring = new ConsistentHashRing(memberKeys, virtualNodes);
        shadowFraction = Math.max(0, Math.min(100, route.shadowPercent())) / 100.0;
        hedges = route.retry().hedgeReads();
    }
}
