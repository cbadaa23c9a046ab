package dev.vantage.site;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.vantage.config.PolicyDiff;
import dev.vantage.config.PolicyLoadResult;
import dev.vantage.config.PolicyLoader;
import dev.vantage.config.PolicyProblem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vantage diff OLD NEW}: prints what a reload from OLD to NEW would change, or {@code no changes}
 * (exit 0 either way); exit 1 with every problem when either policy is invalid.
 */
@Command(name = "diff", description = "Print what a reload from OLD to NEW would change (exit 1 if either is invalid).")
public final class DiffCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "OLD", description = "The policy in force.")
    private Path oldFile;

    @Parameters(index = "1", paramLabel = "NEW", description = "The policy to compare with.")
    private Path newFile;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PolicyLoadResult before = PolicyLoader.load(oldFile);
        PolicyLoadResult after = PolicyLoader.load(newFile);
        if (!before.isValid() || !after.isValid()) {
            for (PolicyLoadResult result : new PolicyLoadResult[] {before, after}) {
                for (PolicyProblem problem : result.problems()) {
                    out.println(problem.message());
                }
            }
            out.flush();
            return VantageCli.EXIT_INVALID_INPUT;
        }
        PolicyDiff diff = PolicyDiff.between(before.policy(), after.policy());
        if (diff.isEmpty()) {
            out.println("no changes");
        } else {
            diff.lines().forEach(out::println);
        }
        out.flush();
        return VantageCli.EXIT_OK;
    }
}
