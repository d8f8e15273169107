package org.chestlens;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
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
    private static final Path COMMITTED = Path.of("docs/modules");
    /** Plain UML rather than C4, so the diagrams render with any PlantUML (Debian's has no C4 library). */
    private static final DiagramOptions UML = DiagramOptions.defaults().withStyle(DiagramStyle.UML);

    @Test
    void modulesDependOnlyOnWhatTheyDeclare() {
        MODULES.verify();
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
        assertThat(contents(COMMITTED))
                .as("docs/modules is stale: regenerate with ./mvnw test -Dtest=ModularityTest -Dchestlens.docs.write=true")
                .isEqualTo(contents(generated));
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
