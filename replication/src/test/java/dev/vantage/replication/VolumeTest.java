package dev.vantage.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumeTest {

    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    @Test
    void shouldKeepDirtyMarksOfAcknowledgedWritesAcrossReopen() throws IOException {
        Path file = TestData.write(dir.resolve("v.img"), TestData.random(10 * BLOCK, 1));
        try (Volume v = Volume.open(file, BLOCK, null)) {
            v.addPeer("mirror-a");
            for (long b = 0; b < v.blockCount(); b++) {
                v.clearDirty("mirror-a", b, v.writeGeneration(b));
            }
            v.forceDirty("mirror-a");
            assertThat(v.dirtyCount("mirror-a")).isZero();
            v.write(3L * BLOCK + 100, new byte[2 * BLOCK], 0, 2 * BLOCK);
        }
        // Reopening reads the bitmap from disk: the write's marks survived without any explicit force.
        try (Volume v = Volume.open(file, BLOCK, null)) {
            assertThat(v.dirtyCount("mirror-a")).isEqualTo(3);
            assertThat(v.isDirty("mirror-a", 3)).isTrue();
            assertThat(v.isDirty("mirror-a", 4)).isTrue();
            assertThat(v.isDirty("mirror-a", 5)).isTrue();
            assertThat(v.isDirty("mirror-a", 6)).isFalse();
        }
    }

    @Test
    void shouldStartANewPeerWithEveryBlockDirty() throws IOException {
        Path file = TestData.write(dir.resolve("v.img"), TestData.random(5 * BLOCK + 7, 2));
        try (Volume v = Volume.open(file, BLOCK, null)) {
            v.addPeer("new");
            assertThat(v.blockCount()).isEqualTo(6);
            assertThat(v.dirtyCount("new")).isEqualTo(6);
        }
    }

    @Test
    void shouldFindBlocksChangedBehindItsBack() throws IOException {
        Path file = TestData.write(dir.resolve("v.img"), TestData.random(16 * BLOCK, 3));
        try (Volume v = Volume.open(file, BLOCK, null)) {
            v.addPeer("p");
            ScanResult first = v.scan();
            assertThat(first.fullScan()).isTrue();
            for (long b = 0; b < v.blockCount(); b++) {
                v.clearDirty("p", b, v.writeGeneration(b));
            }
            v.forceDirty("p");
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(7L * BLOCK + 5);
            raf.write(new byte[] {1, 2, 3});
            raf.seek(12L * BLOCK);
            raf.write(new byte[] {9});
        }
        try (Volume v = Volume.open(file, BLOCK, null)) {
            ScanResult scan = v.scan();
            assertThat(scan.fullScan()).isTrue();
            assertThat(scan.blocksChanged()).isEqualTo(2);
            assertThat(v.isDirty("p", 7)).isTrue();
            assertThat(v.isDirty("p", 12)).isTrue();
            assertThat(v.dirtyCount("p")).isEqualTo(2);
            // Nothing changed since: the next scan only rehashes unknown blocks, and there are none.
            ScanResult again = v.scan();
            assertThat(again.fullScan()).isFalse();
            assertThat(again.blocksHashed()).isZero();
        }
    }

    @Test
    void shouldReadBackWhatWasWrittenAndGrow() throws IOException {
        try (Volume v = Volume.open(dir.resolve("new.img"), BLOCK, dir.resolve("state"))) {
            byte[] data = TestData.random(3 * BLOCK, 4);
            v.write(BLOCK, data, 0, data.length);
            v.force();
            assertThat(v.sizeBytes()).isEqualTo(4L * BLOCK);
            byte[] back = new byte[data.length];
            assertThat(v.read(BLOCK, back, 0, back.length)).isEqualTo(back.length);
            assertThat(back).isEqualTo(data);
            assertThat(Files.exists(dir.resolve("state/manifest.bin"))).isTrue();
        }
    }

    @Test
    void shouldKeepTheDirtyMarkWhenTheBlockWasWrittenAfterItWasRead() throws IOException {
        Path file = TestData.write(dir.resolve("v.img"), TestData.random(4 * BLOCK, 5));
        try (Volume v = Volume.open(file, BLOCK, null)) {
            v.addPeer("p");
            int generation = v.writeGeneration(2);
            v.write(2L * BLOCK, new byte[] {42}, 0, 1);
            v.clearDirty("p", 2, generation);
            assertThat(v.isDirty("p", 2)).isTrue();
        }
    }

    @Test
    void shouldRejectABlockSizeOutOfRange() {
        assertThatThrownBy(() -> Volume.open(dir.resolve("x"), 1000, null))
                .hasMessage("blockSizeBytes: 1000 (expected: a power of two in 4096..1048576)");
    }

    @Test
    void shouldNameTheBlocksThatDiffer() throws IOException {
        byte[] a = TestData.random(8 * BLOCK, 6);
        byte[] b = a.clone();
        b[3 * BLOCK + 1] ^= 1;
        b[6 * BLOCK] ^= (byte) 0x80;
        VerifyResult result = Volumes.verify(TestData.write(dir.resolve("a"), a), TestData.write(dir.resolve("b"), b),
                BLOCK);
        assertThat(result.identical()).isFalse();
        assertThat(result.differingBlocks()).containsExactly(3L, 6L);
        assertThat(Volumes.verify(dir.resolve("a"), dir.resolve("a"), BLOCK).identical()).isTrue();
    }

    @Test
    void shouldFindChangedBlocksWhenItHashesOnSeveralThreads() throws IOException {
        Path file = TestData.write(dir.resolve("v.img"), TestData.random(1000 * BLOCK + 10, 4));
        try (Volume v = Volume.open(file, BLOCK, null)) {
            v.addPeer("p");
            v.scan();
            for (long b = 0; b < v.blockCount(); b++) {
                v.clearDirty("p", b, v.writeGeneration(b));
            }
        }
        long[] changed = {0, 63, 64, 500, 999, 1000};
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            for (long b : changed) {
                raf.seek(b * BLOCK + (b == 1000 ? 3 : 100));
                raf.write(new byte[] {7, 7, 7});
            }
        }
        try (Volume v = Volume.open(file, BLOCK, null)) {
            ScanResult scan = v.scan();
            assertThat(scan.blocksHashed()).isEqualTo(1001);
            assertThat(scan.blocksChanged()).isEqualTo(changed.length);
            for (long b : changed) {
                assertThat(v.isDirty("p", b)).as("block %d", b).isTrue();
            }
            assertThat(v.dirtyCount("p")).isEqualTo(changed.length);
        }
    }

    @Test
    void shouldTrustAManifestHashedInFullOnlyWhileTheFileIsUnchanged() throws IOException {
        Path file = TestData.write(dir.resolve("v.img"), TestData.random(8 * BLOCK, 5));
        try (Volume v = Volume.open(file, BLOCK, null)) {
            long size = v.sizeBytes();
            long modified = v.modifiedNanos();
            long[] hash = new long[2];
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocateDirect(BLOCK);
            for (long b = 0; b < 8; b++) {
                v.readBlock(b, buffer, size);
                dev.vantage.replication.internal.BlockHasher.hash(buffer, 0, BLOCK, hash);
                v.recordHash(b, hash[0], hash[1], v.writeGeneration(b));
            }
            assertThat(v.trustIfUnchangedSince(size, modified)).isTrue();
        }
        try (Volume v = Volume.open(file, BLOCK, null)) {
            ScanResult scan = v.scan();
            assertThat(scan.fullScan()).isFalse();
            assertThat(scan.blocksHashed()).isZero();
            long modified = v.modifiedNanos();
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.seek(BLOCK);
                raf.write(new byte[] {1});
            }
            assertThat(v.trustIfUnchangedSince(v.sizeBytes(), modified)).isFalse();
        }
    }
}
