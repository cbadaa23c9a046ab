package dev.vantage.site;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vantage demo}: the multi-site demo on one machine with an embedded coordinator; exit 1 if a check fails. */
@Command(name = "demo", description = "Run every site of the demo policy on loopback and walk through the story.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--policy", paramLabel = "FILE", defaultValue = "examples/three-site.yaml",
            description = "Policy with the sites to run (default: ${DEFAULT-VALUE}).")
    private Path policyFile;

    @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default: a new temporary one).")
    private Path dataDirectory;

    @Option(names = "--wan-scale", paramLabel = "X", defaultValue = "1.0",
            description = "Multiplies every emulated WAN delay (default: ${DEFAULT-VALUE}, real distances).")
    private double wanScale;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(policyFile)) {
            System.err.println("--policy: " + policyFile + " (expected: an existing policy file; run from the"
                    + " repository root or pass --policy)");
            return VantageCli.EXIT_USAGE;
        }
        Path data = dataDirectory != null ? dataDirectory : Files.createTempDirectory("vantage-demo-");
        int failed = Demo.run(policyFile, data, wanScale, System.out);
        System.out.flush();
        return failed == 0 ? VantageCli.EXIT_OK : VantageCli.EXIT_INVALID_INPUT;
    }
}
