package org.chestlens;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;
import org.springframework.modulith.core.ApplicationModule;
import org.springframework.modulith.core.ApplicationModules;
import org.springframework.modulith.docs.Documenter;
import org.springframework.modulith.docs.Documenter.DiagramOptions;
import org.springframework.modulith.docs.Documenter.DiagramOptions.DiagramStyle;

/**
 * The feature modules and their allowed dependencies are declared in each module's {@code package-info.java};
 * this verifies the code against them and keeps the generated module documentation in {@code docs/modules}
 * current.
 */
class ModularityTest {

    private static final ApplicationModules MODULES = ApplicationModules.of(ChestlensApplication.class);
    private static final String ROOT_PACKAGE = ChestlensApplication.class.getPackageName();
    private static final Path COMMITTED = Path.of("docs/modules");
    /** Plain UML rather than C4, so the diagrams render with any PlantUML (Debian's has no C4 library). */
    private static final DiagramOptions UML = DiagramOptions.defaults().withStyle(DiagramStyle.UML);

    @Test
    void modulesDependOnlyOnWhatTheyDeclare() {
        MODULES.verify();
    }

    /** The model runtime stays swappable: DJL is an inference detail, never part of another module's code. */
    @Test
    void onlyInferenceTouchesDjl() {
        noClasses().that().resideOutsideOfPackage("org.chestlens.inference..")
                .should().dependOnClassesThat().resideInAPackage("ai.djl..")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages(ROOT_PACKAGE));
    }

    /**
     * Tests keep the boundaries of the code they test: a test in module A uses module B only where A's own code
     * may (A's allowed dependencies) and only through B's exposed types. Root-package helpers and the
     * process-level tests (durability, deploy) belong to no module and span them all.
     */
    @Test
    void testsUseOtherModulesOnlyThroughTheirApi() {
        JavaClasses tests = new ClassFileImporter().withImportOption(ImportOption.Predefined.ONLY_INCLUDE_TESTS)
                .importPackages(ROOT_PACKAGE);
        List<String> violations = new ArrayList<>();
        for (JavaClass test : tests) {
            Optional<ApplicationModule> home = test.getPackageName().equals(ROOT_PACKAGE) ? Optional.empty()
                    : MODULES.getModuleForPackage(test.getPackageName());
            if (home.isEmpty()) {
                continue;
            }
            for (Dependency dependency : test.getDirectDependenciesFromSelf()) {
                // By name: these classes come from another import than the modules' own.
                String target = dependency.getTargetClass().getBaseComponentType().getName();
                Optional<ApplicationModule> owner = MODULES.getModuleByType(target);
                if (owner.isEmpty() || owner.get().equals(home.get())) {
                    continue;
                }
                boolean allowed = home.get().getAllowedDependencies(MODULES).stream().anyMatch(allowedDependency ->
                        allowedDependency.getTargetModule().equals(owner.get())
                                && allowedDependency.getTargetNamedInterface().asJavaClasses()
                                        .anyMatch(exposed -> exposed.getName().equals(target)));
                if (!allowed) {
                    violations.add("Module '" + home.get().getIdentifier() + "' (test) depends on non-exposed or "
                            + "disallowed " + owner.get().getIdentifier() + " type: " + dependency.getDescription());
                }
            }
        }
        assertThat(violations).isEmpty();
    }

    /** Run with {@code -Dchestlens.docs.write=true} to rewrite docs/modules after a change of module structure. */
    @Test
    void committedModuleDocumentationIsCurrent() throws IOException {
        Path generated = Path.of("target/modulith-docs");
        new Documenter(MODULES, Documenter.Options.defaults().withOutputFolder(generated.toString()))
                .writeModulesAsPlantUml(UML)
                .writeIndividualModulesAsPlantUml(UML)
                .writeModuleCanvases();
        if (Boolean.getBoolean("chestlens.docs.write")) {
            copyReplacing(generated, COMMITTED);
        }
        // Documenter writes relationships in hash order, which differs between runs: compare the lines as sets.
        assertThat(sortedLines(contents(COMMITTED)))
                .as("docs/modules is stale: regenerate with ./mvnw test -Dtest=ModularityTest -Dchestlens.docs.write=true")
                .isEqualTo(sortedLines(contents(generated)));
    }

    private static Map<String, List<String>> sortedLines(Map<String, String> files) {
        Map<String, List<String>> sorted = new TreeMap<>();
        // So does it list a module's event listeners, in an AsciiDoc cell whose first item carries the "|".
        files.forEach((name, text) -> sorted.put(name, text.lines()
                .map(line -> line.startsWith("|* ") ? line.substring(1) : line).sorted().toList()));
        return sorted;
    }

    private static Map<String, String> contents(Path folder) throws IOException {
        Map<String, String> files = new TreeMap<>();
        if (Files.isDirectory(folder)) {
            try (Stream<Path> paths = Files.list(folder)) {
                for (Path file : paths.filter(p -> p.toString().endsWith(".puml") || p.toString().endsWith(".adoc")).toList()) {
                    files.put(file.getFileName().toString(), Files.readString(file));
                }
            }
        }
        return files;
    }

    private static void copyReplacing(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> stale = Files.list(to)) {
            for (Path file : stale.filter(p -> p.toString().endsWith(".puml") || p.toString().endsWith(".adoc")).toList()) {
                Files.delete(file);
            }
        }
        for (String name : contents(from).keySet()) {
            Files.copy(from.resolve(name), to.resolve(name));
        }
    }
}
