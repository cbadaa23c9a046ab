package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.replication.internal.BlockHasher;

/** Block versions and the conflict store of a multi-master volume, on real files. */
class VolumeVersioningTest {

    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    private final AtomicLong wall = new AtomicLong(10_000);

    private Volume open(String site) throws IOException {
        Path file = dir.resolve("vol.img");
        if (!Files.exists(file)) {
            Files.write(file, new byte[8 * BLOCK]);
        }
        Volume v = Volume.open(file, BLOCK, null);
        v.enableMultiMaster(site, wall::get);
        return v;
    }

    private static ByteBuffer bytes(int seed) {
        return ByteBuffer.wrap(TestData.random(BLOCK, seed));
    }

    private static long[] hash(ByteBuffer b) {
        long[] out = new long[2];
        BlockHasher.hash(b.duplicate(), 0, b.remaining(), out);
        return out;
    }

    @Test
    void shouldVersionLocalWritesDurablyAcrossReopen() throws Exception {
        Hlc second;
        try (Volume v = open("eu")) {
            v.write(2L * BLOCK, TestData.random(100, 1), 0, 100);
            v.write(2L * BLOCK + 50, TestData.random(100, 2), 0, 100);
            second = v.version(2).hlc();
            assertThat(v.version(2).vector()).isEqualTo(VersionVector.of(Map.of("eu", 2L)));
            assertThat(v.version(2).siteId()).isEqualTo("eu");
            assertThat(v.version(3).vector()).isEqualTo(VersionVector.EMPTY);
        }
        wall.set(5_000); // the wall clock went backwards across the restart
        try (Volume v = open("eu")) {
            assertThat(v.version(2).vector()).isEqualTo(VersionVector.of(Map.of("eu", 2L)));
            assertThat(v.version(2).hlc()).isEqualTo(second);
            v.write(2L * BLOCK, TestData.random(10, 3), 0, 10);
            assertThat(v.version(2).hlc()).isGreaterThan(second);
            assertThat(v.version(2).vector().counter("eu")).isEqualTo(3);
        }
    }

    @Test
    void shouldSkipAReplicatedVersionItAlreadyIncludesAndApplyANewerOne() throws Exception {
        try (Volume v = open("us")) {
            ByteBuffer data = bytes(7);
            long[] h = hash(data);
            VersionVector fromEu = VersionVector.of(Map.of("eu", 1L));
            assertThat(v.applyVersioned(1, data, h[0], h[1], fromEu, new Hlc(9_000, 0), "eu", "eu"))
                    .isEqualTo(Volume.ApplyOutcome.APPLIED);
            assertThat(v.applyVersioned(1, data, h[0], h[1], fromEu, new Hlc(9_000, 0), "eu", "eu"))
                    .isEqualTo(Volume.ApplyOutcome.ALREADY_KNOWN);
            v.write(1L * BLOCK, TestData.random(10, 8), 0, 10);
            assertThat(v.version(1).vector()).isEqualTo(VersionVector.of(Map.of("eu", 1L, "us", 1L)));
            assertThat(v.applyVersioned(1, data, h[0], h[1], fromEu, new Hlc(9_000, 0), "eu", "eu"))
                    .isEqualTo(Volume.ApplyOutcome.ALREADY_KNOWN);
            assertThat(v.conflicts()).isEmpty();
        }
    }

    @Test
    void shouldKeepTheLosingVersionDurablyAcrossReopen() throws Exception {
        byte[] local = TestData.random(BLOCK, 21);
        try (Volume v = open("us")) {
            v.write(5L * BLOCK, local, 0, BLOCK);
            ByteBuffer remote = bytes(22);
            long[] h = hash(remote);
            Volume.ApplyOutcome outcome = v.applyVersioned(5, remote, h[0], h[1],
                    VersionVector.of(Map.of("eu", 1L)), new Hlc(wall.get() + 1_000, 0), "eu", "eu");
            assertThat(outcome).isEqualTo(Volume.ApplyOutcome.CONFLICT_TOOK_REMOTE);
            v.force();
        }
        try (Volume v = open("us")) {
            byte[] current = new byte[BLOCK];
            v.read(5L * BLOCK, current, 0, BLOCK);
            assertThat(current).isEqualTo(TestData.random(BLOCK, 22));
            assertThat(v.version(5).vector()).isEqualTo(VersionVector.of(Map.of("eu", 1L, "us", 1L)));
            assertThat(v.version(5).siteId()).isEqualTo("eu");
            assertThat(v.conflicts()).hasSize(1);
            ConflictRecord r = v.conflicts().get(0);
            assertThat(r.loser().siteId()).isEqualTo("us");
            assertThat(r.loser().vector()).isEqualTo(VersionVector.of(Map.of("us", 1L)));
            assertThat(r.detectedAtSite()).isEqualTo("us");
            assertThat(Files.readAllBytes(r.loserBytes())).isEqualTo(local);
            assertThat(r.toJson()).contains("\"loser\":{\"site\":\"us\"");
        }
    }

    @Test
    void shouldKeepTheSameLoserOnceWhenAResentFrameIsResolvedAgain() throws Exception {
        try (Volume v = open("us")) {
            v.write(0, TestData.random(BLOCK, 31), 0, BLOCK);
            ByteBuffer remote = bytes(32);
            long[] h = hash(remote);
            VersionVector eu = VersionVector.of(Map.of("eu", 1L));
            Hlc early = new Hlc(1, 0);
            assertThat(v.applyVersioned(0, remote, h[0], h[1], eu, early, "eu", "eu"))
                    .isEqualTo(Volume.ApplyOutcome.CONFLICT_KEPT_LOCAL);
            assertThat(v.applyVersioned(0, remote, h[0], h[1], eu, early, "eu", "eu"))
                    .isEqualTo(Volume.ApplyOutcome.ALREADY_KNOWN);
            assertThat(v.conflicts()).hasSize(1);
            assertThat(Files.readAllBytes(v.conflicts().get(0).loserBytes())).isEqualTo(TestData.random(BLOCK, 32));
        }
    }

    @Test
    void shouldTreatATornVersionRecordAsALocalWriteThatPeersMustReceive() throws Exception {
        try (Volume v = open("eu")) {
            v.addPeer("us");
            while (v.nextDirty("us", 0) >= 0) {
                long b = v.nextDirty("us", 0);
                v.clearDirty("us", b, v.writeGeneration(b));
            }
            v.write(3L * BLOCK, TestData.random(10, 1), 0, 10);
            v.clearDirty("us", 3, v.writeGeneration(3));
            v.forceDirty("us");
        }
        try (FileChannel ch = FileChannel.open(dir.resolve("vol.img.vantage/versions.bin"), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 3L * 152 + 20);
        }
        try (Volume v = open("eu")) {
            assertThat(v.version(3).siteId()).isEqualTo("eu");
            assertThat(v.version(3).vector().counter("eu")).isGreaterThan(1_000);
            assertThat(v.isDirty("us", 3)).isTrue();
        }
    }

    @Test
    void shouldRefuseToBecomeMultiMasterForASecondSite() throws Exception {
        try (Volume v = open("eu")) {
            assertThatThrownBy(() -> v.enableMultiMaster("us", wall::get))
                    .hasMessageContaining("siteId: us").hasMessageContaining("expected: eu");
        }
        try (Volume other = Volume.open(dir.resolve("other.img"), BLOCK, null)) {
            assertThatThrownBy(() -> other.enableMultiMaster("bad site", wall::get))
                    .hasMessageContaining("'bad site'");
            assertThat(other.isMultiMaster()).isFalse();
        }
    }

    @Test
    void shouldTakeAPeersContentIntoABlankBlockNobodyWroteWithoutAConflict() throws Exception {
        try (Volume v = open("sin")) {
            ByteBuffer seeded = bytes(41);
            long[] h = hash(seeded);
            assertThat(v.applyVersioned(6, seeded, h[0], h[1], VersionVector.EMPTY, Hlc.ZERO, "", "iad"))
                    .isEqualTo(Volume.ApplyOutcome.APPLIED);
            ByteBuffer zeros = ByteBuffer.allocate(BLOCK);
            long[] z = hash(zeros);
            assertThat(v.applyVersioned(6, zeros, z[0], z[1], VersionVector.EMPTY, Hlc.ZERO, "", "fra"))
                    .isEqualTo(Volume.ApplyOutcome.ALREADY_KNOWN);
            byte[] current = new byte[BLOCK];
            v.read(6L * BLOCK, current, 0, BLOCK);
            assertThat(current).isEqualTo(TestData.random(BLOCK, 41));
            assertThat(v.conflicts()).isEmpty();
        }
    }
}
