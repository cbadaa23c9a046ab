package dev.vantage.site;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** {@code vantage validate} and {@code vantage diff} on real files. */
class PolicyCommandsTest {

    private static final Path EXAMPLES = Path.of("..", "examples");

    private record Run(int exitCode, String out) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new VantageCli());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(new StringWriter(), true));
        int exitCode = cli.execute(args);
        return new Run(exitCode, out.toString().replace(System.lineSeparator(), "\n"));
    }

    @Test
    void shouldValidateTheExamples() {
        Path threeSite = EXAMPLES.resolve("three-site.yaml");
        Path minimal = EXAMPLES.resolve("minimal.yaml");

        Run run = run("validate", threeSite.toString(), minimal.toString());

        assertThat(run.exitCode()).isEqualTo(VantageCli.EXIT_OK);
        assertThat(run.out()).isEqualTo("OK " + threeSite + "\nOK " + minimal + "\n");
    }

    @Test
    void shouldPrintEveryProblemAndExitOneWhenAnyFileIsInvalid(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.yaml"), Files.readString(EXAMPLES.resolve("minimal.yaml"))
                .replace("port: 18090", "port: 0").replace("name: all", "name: all\n    mode: bounce"));

        Run run = run("validate", EXAMPLES.resolve("minimal.yaml").toString(), bad.toString());

        assertThat(run.exitCode()).isEqualTo(VantageCli.EXIT_INVALID_INPUT);
        assertThat(run.out()).isEqualTo("OK " + EXAMPLES.resolve("minimal.yaml") + "\n"
                + bad + ":8:48 sites[0].listeners[0].port: 0 (expected: 1..65535)\n"
                + bad + ":15:11 routes[0].mode: bounce (expected: one of proxy, redirect)\n"
                + "INVALID " + bad + ": 2 problems\n");
    }

    @Test
    void shouldPrintNoChangesForEqualPolicies() {
        Path threeSite = EXAMPLES.resolve("three-site.yaml");

        Run run = run("diff", threeSite.toString(), threeSite.toString());

        assertThat(run.exitCode()).isEqualTo(VantageCli.EXIT_OK);
        assertThat(run.out()).isEqualTo("no changes\n");
    }

    @Test
    void shouldPrintWhatAReloadWouldChange(@TempDir Path dir) throws Exception {
        Path before = EXAMPLES.resolve("three-site.yaml");
        // NEW lives elsewhere, so its relative paths are made absolute to mean the same files.
        String examples = before.toAbsolutePath().getParent() + "/";
        Path after = Files.writeString(dir.resolve("three-site.yaml"), Files.readString(before)
                .replace("shadowPercent: 5", "shadowPercent: 10")
                .replace("volumePath: data/", "volumePath: " + examples + "data/")
                .replace("tokenFile: secrets/", "tokenFile: " + examples + "secrets/"));

        Run run = run("diff", before.toString(), after.toString());

        assertThat(run.exitCode()).isEqualTo(VantageCli.EXIT_OK);
        assertThat(run.out()).isEqualTo("~ route desktop: shadowPercent: 5 -> 10\n");
    }

    @Test
    void shouldExitOneWithEveryProblemWhenEitherPolicyIsInvalid(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "sites: {}\n");

        Run run = run("diff", EXAMPLES.resolve("minimal.yaml").toString(), bad.toString());

        assertThat(run.exitCode()).isEqualTo(VantageCli.EXIT_INVALID_INPUT);
        assertThat(run.out()).isEqualTo(bad + ":1:8 sites: a mapping (expected: a list)\n");
    }
}
