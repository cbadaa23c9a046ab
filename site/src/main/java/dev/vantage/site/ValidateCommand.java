package dev.vantage.site;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import dev.vantage.config.PolicyLoadResult;
import dev.vantage.config.PolicyLoader;
import dev.vantage.config.PolicyProblem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vantage validate POLICY...}: prints {@code OK file} or every problem of each file; exit 1 if any is invalid. */
@Command(name = "validate", description = "Check policy files and print every problem (exit 1 if any is invalid).")
public final class ValidateCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "POLICY", description = "Policy YAML files.")
    private List<Path> files;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        boolean allValid = true;
        for (Path file : files) {
            PolicyLoadResult result = PolicyLoader.load(file);
            if (result.isValid()) {
                out.println("OK " + file);
                continue;
            }
            allValid = false;
            for (PolicyProblem problem : result.problems()) {
                out.println(problem.message());
            }
            int count = result.problems().size();
            out.println("INVALID " + file + ": " + count + (count == 1 ? " problem" : " problems"));
        }
        out.flush();
        return allValid ? VantageCli.EXIT_OK : VantageCli.EXIT_INVALID_INPUT;
    }
}
