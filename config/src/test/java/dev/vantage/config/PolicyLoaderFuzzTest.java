package dev.vantage.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Damaged policies never make the loader throw, and every problem points inside the file. */
class PolicyLoaderFuzzTest {

    private static final Path EXAMPLE = PolicyLoaderTest.EXAMPLES.resolve("three-site.yaml");
    private static final String TEXT = read();

    private static String read() {
        try {
            return Files.readString(EXAMPLE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Provide
    Arbitrary<String> damaged() {
        Arbitrary<Integer> position = Arbitraries.integers().between(0, TEXT.length() - 1);
        Arbitrary<String> junk = Arbitraries.of("", ":", "-", " ", "\n", "{", "]", "x", "0", "-5", "&a", "*a", "\t",
                "'", "\"", "#", "~", "null", "!!int", "999999999999999999999");
        return position.flatMap(start -> Arbitraries.integers().between(0, 40).flatMap(length -> junk.map(
                insert -> TEXT.substring(0, start) + insert + TEXT.substring(Math.min(TEXT.length(), start + length)))));
    }

    @Property(tries = 100)
    void shouldNeverThrowAndPointEveryProblemIntoTheFile(@ForAll("damaged") String yaml) {
        PolicyLoadResult result = PolicyLoader.parse(yaml, "fuzz.yaml", EXAMPLE.toAbsolutePath().getParent());

        long lines = yaml.lines().count() + 1;
        assertThat(result.isValid()).isEqualTo(result.problems().isEmpty());
        for (PolicyProblem problem : result.problems()) {
            assertThat(problem.line()).isBetween(1, (int) lines + 1);
            assertThat(problem.column()).isPositive();
            assertThat(problem.message()).startsWith("fuzz.yaml:" + problem.line() + ":" + problem.column() + " ")
                    .contains("(expected: ");
        }
    }
}
