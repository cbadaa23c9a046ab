package dev.vantage.replication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Test volumes with reproducible content. */
final class TestData {

    private TestData() {
    }

    /** Random (incompressible) bytes. */
    static byte[] random(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Text-like compressible bytes, different per seed. */
    static byte[] compressible(int length, long seed) {
        String[] words = {"alpha ", "beta ", "gamma ", "delta ", "mirror ", "site ", "block ", "epoch "};
        Random r = new Random(seed);
        byte[] b = new byte[length];
        int i = 0;
        while (i < length) {
            byte[] w = words[r.nextInt(words.length)].getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            for (int k = 0; k < w.length && i < length; k++) {
                b[i++] = w[k];
            }
        }
        return b;
    }

    static Path write(Path file, byte[] content) throws IOException {
        Files.write(file, content);
        return file;
    }
}
