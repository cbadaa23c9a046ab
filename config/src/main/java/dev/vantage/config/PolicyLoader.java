package dev.vantage.config;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import dev.vantage.config.internal.BindContext;
import dev.vantage.config.internal.PolicyBinder;
import dev.vantage.config.internal.PolicyValidator;
import dev.vantage.config.internal.Problems;
import dev.vantage.config.internal.YamlNode;
import dev.vantage.config.internal.YamlTreeReader;

/**
 * Loads and validates a YAML policy (the format is described in {@code docs/policy.md}). Every problem (syntax,
 * unknown or duplicate keys, wrong types, out-of-range values, bad enum values, dangling references, duplicate
 * ids, overlapping sockets) is collected and reported at once as {@code file:line:column path: value (expected:
 * ...)}. Relative paths in the policy resolve against the directory of the policy file.
 *
 * <p>Stateless and thread-safe.
 */
public final class PolicyLoader {

    private PolicyLoader() {
    }

    /** Loads {@code file}; problems name the file as given. */
    public static PolicyLoadResult load(Path file) {
        String name = file.toString();
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            Problems problems = new Problems(name);
            problems.add(1, 1, "", "cannot read file: " + describe(e), "a readable UTF-8 YAML file");
            return new PolicyLoadResult(file, null, problems.sorted());
        }
        Path directory = file.toAbsolutePath().getParent();
        return parse(file, name, text, directory);
    }

    /** Loads {@code file}, or throws with every problem. */
    public static Policy loadOrThrow(Path file) throws PolicyException {
        return load(file).orThrow();
    }

    /**
     * Parses policy text that did not come from a file (tests, admin uploads).
     *
     * @param fileName      how problems name the source
     * @param baseDirectory where relative paths resolve
     */
    public static PolicyLoadResult parse(String yaml, String fileName, Path baseDirectory) {
        return parse(Path.of(fileName), fileName, yaml, baseDirectory.toAbsolutePath());
    }

    private static PolicyLoadResult parse(Path file, String name, String text, Path baseDirectory) {
        Problems problems = new Problems(name);
        YamlNode root;
        try (Reader reader = new StringReader(text)) {
            root = YamlTreeReader.read(reader, problems);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (root == null) {
            if (problems.isEmpty()) {
                problems.add(1, 1, "", "empty document", "a policy with at least one site");
            }
            return new PolicyLoadResult(file, null, problems.sorted());
        }
        BindContext context = new BindContext(problems, baseDirectory, root);
        Policy policy = new PolicyBinder(context).bind(root);
        new PolicyValidator(context).validate(policy);
        return problems.isEmpty()
                ? new PolicyLoadResult(file, policy, problems.sorted())
                : new PolicyLoadResult(file, null, problems.sorted());
    }

    private static String describe(IOException e) {
        if (e instanceof MalformedInputException) {
            return "not UTF-8";
        }
        String kind = e instanceof NoSuchFileException ? "no such file" : e.getClass().getSimpleName();
        return e.getMessage() == null ? kind : kind + " " + e.getMessage();
    }
}
