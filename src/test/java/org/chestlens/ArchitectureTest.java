package org.chestlens;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * ARCHITECTURE.md: ingest -> inference -> prediction <- evaluation; interop reads prediction (and may call
 * ingest) and nothing depends on it; platform is used by all and uses none.
 */
class ArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.chestlens");

    @Test
    void featureDependenciesPointOneWay() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("ingest").definedBy("org.chestlens.ingest..")
                .layer("evaluation").definedBy("org.chestlens.evaluation..")
                .layer("inference").definedBy("org.chestlens.inference..")
                .layer("prediction").definedBy("org.chestlens.prediction..")
                .layer("platform").definedBy("org.chestlens.platform..")
                .layer("interop").definedBy("org.chestlens.interop..")
                .whereLayer("interop").mayNotBeAccessedByAnyLayer()
                .whereLayer("ingest").mayOnlyBeAccessedByLayers("interop")
                .whereLayer("evaluation").mayNotBeAccessedByAnyLayer()
                .whereLayer("inference").mayOnlyBeAccessedByLayers("ingest")
                .whereLayer("prediction").mayOnlyBeAccessedByLayers("ingest", "inference", "evaluation", "interop")
                .check(CLASSES);
    }

    @Test
    void platformUsesNoFeature() {
        noClasses().that().resideInAPackage("org.chestlens.platform..")
                .should().dependOnClassesThat().resideInAnyPackage("org.chestlens.ingest..", "org.chestlens.evaluation..",
                        "org.chestlens.inference..", "org.chestlens.prediction..", "org.chestlens.interop..")
                .check(CLASSES);
    }

    @Test
    void onlyTheInferencePackageTouchesDjl() {
        noClasses().that().resideOutsideOfPackage("org.chestlens.inference..")
                .should().dependOnClassesThat().resideInAPackage("ai.djl..")
                .check(CLASSES);
    }
}
