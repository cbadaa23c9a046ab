package dev.vantage.proxy.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class ConsistentHashRingTest {

    private static final int USERS = 20_000;

    private static int[] assign(ConsistentHashRing ring, List<String> members) {
        boolean[] eligible = new boolean[members.size()];
        Arrays.fill(eligible, true);
        int[] load = new int[members.size()];
        int[] owner = new int[USERS];
        for (int u = 0; u < USERS; u++) {
            owner[u] = ring.select(Hashing.hash("user-" + u), eligible, load, Double.POSITIVE_INFINITY);
        }
        return owner;
    }

    @Test
    void shouldMoveAboutAQuarterOfUsersWhenAFourthMemberIsAdded() {
        List<String> three = List.of("a|10.0.0.1:80", "a|10.0.0.2:80", "b|10.0.0.3:80");
        List<String> four = List.of("a|10.0.0.1:80", "a|10.0.0.2:80", "b|10.0.0.3:80", "c|10.0.0.4:80");
        int[] before = assign(new ConsistentHashRing(three, 160), three);
        int[] after = assign(new ConsistentHashRing(four, 160), four);

        int moved = 0;
        for (int u = 0; u < USERS; u++) {
            if (before[u] != after[u]) {
                moved++;
                assertThat(after[u]).as("a moved user goes to the new member").isEqualTo(3);
            }
        }
        assertThat(moved / (double) USERS).isBetween(0.18, 0.32);
    }

    @Test
    void shouldMoveOnlyTheUsersOfARemovedMember() {
        List<String> three = List.of("a|10.0.0.1:80", "a|10.0.0.2:80", "b|10.0.0.3:80");
        List<String> two = List.of("a|10.0.0.1:80", "b|10.0.0.3:80");
        int[] before = assign(new ConsistentHashRing(three, 160), three);
        int[] after = assign(new ConsistentHashRing(two, 160), two);

        for (int u = 0; u < USERS; u++) {
            String was = three.get(before[u]);
            String is = two.get(after[u]);
            if (!was.equals("a|10.0.0.2:80")) {
                assertThat(is).isEqualTo(was);
            }
        }
    }

    @Test
    void shouldSkipIneligibleMembersAndKeepTheOthersUsersInPlace() {
        List<String> members = List.of("m0", "m1", "m2", "m3");
        ConsistentHashRing ring = new ConsistentHashRing(members, 160);
        int[] before = assign(ring, members);
        boolean[] eligible = {true, false, true, true};
        int[] load = new int[4];
        for (int u = 0; u < USERS; u++) {
            int now = ring.select(Hashing.hash("user-" + u), eligible, load, Double.POSITIVE_INFINITY);
            if (before[u] != 1) {
                assertThat(now).isEqualTo(before[u]);
            } else {
                assertThat(now).isNotEqualTo(1);
            }
        }
    }

    @Test
    void shouldKeepEveryMembersLoadUnderTheBound() {
        List<String> members = List.of("m0", "m1", "m2", "m3");
        ConsistentHashRing ring = new ConsistentHashRing(members, 160);
        boolean[] eligible = {true, true, true, true};
        int[] load = new int[4];
        double factor = 1.25;
        for (int u = 0; u < 4_000; u++) {
            int total = Arrays.stream(load).sum();
            int chosen = ring.select(Hashing.hash("hot-user-" + (u % 7)), eligible, load, factor);
            assertThat(load[chosen]).isLessThan((int) Math.ceil(factor * (total + 1) / 4.0));
            load[chosen]++;
        }
        assertThat(Arrays.stream(load).max().getAsInt()).isLessThanOrEqualTo((int) Math.ceil(1.25 * 4_000 / 4.0));
    }

    @Test
    void shouldFindTheHomeMemberRegardlessOfLoad() {
        List<String> members = List.of("m0", "m1", "m2");
        ConsistentHashRing ring = new ConsistentHashRing(members, 160);
        boolean[] all = {true, true, true};
        long key = Hashing.hash("user-1");
        int home = ring.home(key, all);
        int[] load = new int[3];
        load[home] = 1_000;

        assertThat(ring.select(key, all, load, Double.POSITIVE_INFINITY)).isEqualTo(home);
        assertThat(ring.select(key, all, load, 1.25)).isNotEqualTo(home);
        assertThat(ring.home(key, all)).isEqualTo(home);
    }

    @Test
    void shouldAnswerMinusOneWhenNoMemberIsEligible() {
        ConsistentHashRing ring = new ConsistentHashRing(List.of("m0", "m1"), 10);

        assertThat(ring.select(7, new boolean[] {false, false}, new int[2], 1.25)).isEqualTo(-1);
        assertThat(ring.home(7, new boolean[] {false, false})).isEqualTo(-1);
    }
}
