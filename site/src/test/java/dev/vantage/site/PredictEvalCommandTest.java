package dev.vantage.site;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictEvalCommandTest {

    private String run(int expectedExit, String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try {
            assertThat(VantageCli.execute(args)).isEqualTo(expectedExit);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldPrintATableAndResultLinesForAnySequencesFile(@TempDir Path dir) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            lines.add("1 2 3 " + (4 + i % 3) + " 7");
        }
        Path seq = dir.resolve("toy.seq");
        Files.write(seq, lines);
        String output = run(VantageCli.EXIT_OK, "predict-eval", "--sequences", seq.toString());
        assertThat(output).contains("toy\n");
        assertThat(output).contains("RESULT model=ppm metric=top1 value=");
        assertThat(output).contains("RESULT model=markov-2 metric=top3 value=");
        assertThat(output).contains("RESULT model=most-frequent metric=ece value=");
    }

    @Test
    void shouldRejectMissingFilesWithExitCodeOne(@TempDir Path dir) {
        String output = run(VantageCli.EXIT_INVALID_INPUT, "predict-eval", "--places", dir.resolve("none.csv").toString(),
                "--anomalies", dir.resolve("s.csv").toString());
        assertThat(output).contains("none.csv: no such file (expected: a readable file)");
        assertThat(output).contains("--windows: missing (expected: anomaly windows CSV for");
    }
}
