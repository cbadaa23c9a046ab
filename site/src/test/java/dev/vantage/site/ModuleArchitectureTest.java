package dev.vantage.site;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.library.Architectures;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps the module arrows of ARCHITECTURE.md true: config &lt;- latency-probe &lt;- proxy, config &lt;- predictor,
 * config &lt;- replication, all &lt;- site, and no module reaches into another module's {@code internal} package.
 */
class ModuleArchitectureTest {

    private static final List<String> MODULES = List.of("config", "probe", "predictor", "replication", "proxy", "site");

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.vantage");
    }

    @Test
    void shouldKeepModuleDependenciesAlongTheArchitectureArrows() {
        ArchRule layers = Architectures.layeredArchitecture()
                .consideringOnlyDependenciesInAnyPackage("dev.vantage..")
                .layer("config").definedBy("dev.vantage.config..")
                .layer("probe").definedBy("dev.vantage.probe..")
                .layer("predictor").definedBy("dev.vantage.predictor..")
                .layer("replication").definedBy("dev.vantage.replication..")
                .layer("proxy").definedBy("dev.vantage.proxy..")
                .layer("site").definedBy("dev.vantage.site..")
                .whereLayer("site").mayNotBeAccessedByAnyLayer()
                .whereLayer("proxy").mayOnlyBeAccessedByLayers("site")
                .whereLayer("replication").mayOnlyBeAccessedByLayers("site")
                .whereLayer("predictor").mayOnlyBeAccessedByLayers("site")
                .whereLayer("probe").mayOnlyBeAccessedByLayers("proxy", "site")
                .whereLayer("config").mayOnlyBeAccessedByLayers("probe", "predictor", "replication", "proxy", "site")
                .allowEmptyShould(true);
        assertHolds(layers);
    }

    @Test
    void shouldNotLetAnyModuleUseAnotherModulesInternalPackage() {
        for (String module : MODULES) {
            String base = "dev.vantage." + module;
            assertHolds(noClasses().that().resideOutsideOfPackage(base + "..")
                    .should().dependOnClassesThat().resideInAPackage(base + ".internal..")
                    .allowEmptyShould(true)
                    .because(module + " keeps its internal package to itself"));
        }
    }

    @Test
    void shouldKeepThePredictorFreeOfNetty() {
        assertHolds(noClasses().that().resideInAPackage("dev.vantage.predictor..")
                .should().dependOnClassesThat().resideInAPackage("io.netty..")
                .allowEmptyShould(true));
    }

    /** Every module's classes were imported (else the rules would hold vacuously) and {@code rule} holds for them. */
    private static void assertHolds(ArchRule rule) {
        for (String module : MODULES) {
            assertThat(classes.stream().anyMatch(c -> c.getPackageName().startsWith("dev.vantage." + module)))
                    .as("classes of dev.vantage.%s imported", module).isTrue();
        }
        EvaluationResult result = rule.evaluate(classes);
        assertThat(result.hasViolation()).as("%s", result.getFailureReport()).isFalse();
    }
}
