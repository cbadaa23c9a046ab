package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

class ConflictResolutionTest {

    @Test
    void shouldNeverGoBackwardsWhenTheWallClockDoes() {
        long[] wall = {1_000};
        HybridLogicalClock clock = new HybridLogicalClock(() -> wall[0]);
        Hlc a = clock.now();
        wall[0] = 900;
        Hlc b = clock.now();
        assertThat(b).isGreaterThan(a);
        assertThat(b.physicalMillis()).isEqualTo(1_000);
    }

    @Test
    void shouldMovePastATimestampFromASiteWhoseClockIsAhead() {
        HybridLogicalClock clock = new HybridLogicalClock(() -> 1_000);
        Hlc remote = new Hlc(5_000, 3);
        Hlc received = clock.update(remote);
        assertThat(received).isGreaterThan(remote);
        assertThat(clock.now()).isGreaterThan(received);
    }

    @Test
    void shouldOrderVersionVectors() {
        VersionVector a = VersionVector.EMPTY.increment("eu");
        VersionVector b = a.increment("us");
        VersionVector c = a.increment("eu");
        assertThat(a.compare(b)).isEqualTo(VersionVector.Order.BEFORE);
        assertThat(b.compare(a)).isEqualTo(VersionVector.Order.AFTER);
        assertThat(b.compare(c)).isEqualTo(VersionVector.Order.CONCURRENT);
        assertThat(b.merge(c)).isEqualTo(VersionVector.of(Map.of("eu", 2L, "us", 1L)));
        assertThat(a.compare(VersionVector.of(Map.of("eu", 1L)))).isEqualTo(VersionVector.Order.EQUAL);
    }

    @Test
    void shouldTakeTheLaterVersionWithoutAConflict() {
        ConflictResolver resolver = new ConflictResolver();
        VersionVector base = VersionVector.EMPTY.increment("eu");
        var older = new ConflictResolver.BlockVersion(7, base, new Hlc(2_000, 0), "eu", 1, 1);
        var newer = new ConflictResolver.BlockVersion(7, base.increment("us"), new Hlc(1_000, 0), "us", 2, 2);
        ConflictResolver.Resolution r = resolver.resolve(older, newer);
        assertThat(r.conflict()).isFalse();
        assertThat(r.winner()).isEqualTo(newer);
        assertThat(resolver.conflicts()).isEmpty();
    }

    @Test
    void shouldResolveConcurrentWritesByHlcThenSiteIdAndKeepTheLoser() {
        ConflictResolver resolver = new ConflictResolver();
        VersionVector base = VersionVector.EMPTY.increment("eu");
        var eu = new ConflictResolver.BlockVersion(7, base.increment("eu"), new Hlc(5_000, 1), "eu", 1, 1);
        var us = new ConflictResolver.BlockVersion(7, base.increment("us"), new Hlc(5_000, 2), "us", 2, 2);
        ConflictResolver.Resolution r = resolver.resolve(eu, us);
        assertThat(r.conflict()).isTrue();
        assertThat(r.winner()).isEqualTo(us);
        assertThat(r.loser()).isEqualTo(eu);
        assertThat(r.merged()).isEqualTo(VersionVector.of(Map.of("eu", 2L, "us", 1L)));

        var tieA = new ConflictResolver.BlockVersion(8, base.increment("ap"), new Hlc(6_000, 0), "ap", 3, 3);
        var tieB = new ConflictResolver.BlockVersion(8, base.increment("us"), new Hlc(6_000, 0), "us", 4, 4);
        assertThat(resolver.resolve(tieA, tieB).winner()).isEqualTo(tieB);
        assertThat(resolver.conflicts()).hasSize(2).extracting(ConflictResolver.Resolution::loser)
                .containsExactly(eu, tieA);
    }

    @Test
    void shouldLetThePreferredSiteWinAConflictUnderPrimaryWins() {
        VersionVector base = VersionVector.EMPTY.increment("eu");
        var eu = new ConflictResolver.BlockVersion(7, base.increment("eu"), new Hlc(5_000, 0), "eu", 1, 1);
        var us = new ConflictResolver.BlockVersion(7, base.increment("us"), new Hlc(9_000, 0), "us", 2, 2);
        assertThat(ConflictResolver.decide(eu, us).winner()).isEqualTo(us);
        assertThat(ConflictResolver.decide(eu, us, "eu").winner()).isEqualTo(eu);
        assertThat(ConflictResolver.decide(us, eu, "eu").winner()).isEqualTo(eu);
        assertThat(ConflictResolver.decide(eu, us, "ap").winner()).as("neither is preferred").isEqualTo(us);
        var later = new ConflictResolver.BlockVersion(7, us.vector().increment("us"), new Hlc(9_500, 0), "us", 3, 3);
        assertThat(ConflictResolver.decide(us, later, "eu").conflict()).as("a later write is no conflict").isFalse();
    }

    @Test
    void shouldTreatEqualVectorsWithDifferentContentAsAConflictBothSidesResolveAlike() {
        var a = new ConflictResolver.BlockVersion(1, VersionVector.EMPTY, Hlc.ZERO, "", 5, 5);
        var b = new ConflictResolver.BlockVersion(1, VersionVector.EMPTY, Hlc.ZERO, "", 9, 9);
        ConflictResolver.Resolution atA = ConflictResolver.decide(a, b);
        ConflictResolver.Resolution atB = ConflictResolver.decide(b, a);
        assertThat(atA.conflict()).isTrue();
        assertThat(atA.winner()).isEqualTo(atB.winner()).isEqualTo(b);
        assertThat(ConflictResolver.decide(a, a).conflict()).isFalse();
    }
}
