package dev.vantage.replication.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BlockCompressorTest {

    @ParameterizedTest
    @EnumSource(value = Codec.class, names = {"LZ4", "ZSTD"})
    void shouldRoundTripACompressibleBlock(Codec codec) {
        int length = 65_536;
        ByteBuffer src = ByteBuffer.allocateDirect(length);
        for (int i = 0; i < length; i++) {
            src.put((byte) ("mirror site block ".charAt(i % 18)));
        }
        ByteBuffer compressed = ByteBuffer.allocateDirect(BlockCompressor.maxCompressedLength(length));
        BlockCompressor compressor = new BlockCompressor();
        int n = compressor.compress(codec, src, length, compressed);
        assertThat(n).isPositive().isLessThan(length / 10);
        ByteBuffer back = ByteBuffer.allocateDirect(1 << 20);
        assertThat(compressor.decompress(codec, compressed, n, back)).isEqualTo(length);
        for (int i = 0; i < length; i++) {
            assertThat(back.get(i)).isEqualTo(src.get(i));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Codec.class, names = {"LZ4", "ZSTD"})
    void shouldDeclineABlockThatDoesNotShrink(Codec codec) {
        int length = 16_384;
        byte[] random = new byte[length];
        new Random(1).nextBytes(random);
        ByteBuffer src = ByteBuffer.allocateDirect(length).put(random);
        ByteBuffer compressed = ByteBuffer.allocateDirect(BlockCompressor.maxCompressedLength(length));
        assertThat(new BlockCompressor().compress(codec, src, length, compressed)).isEqualTo(-1);
    }
}
