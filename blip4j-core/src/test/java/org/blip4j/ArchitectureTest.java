package org.blip4j;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point one way (docs/architecture.md): engine and blocks below the networks, the networks below
 * generation and the facade, training on top. nanoGPT's {@code model.py} imports only torch; {@code train.py}
 * imports the model.
 */
class ArchitectureTest {
    private static final String[] OUTSIDE = {"java..", "org.bytedeco..", "com.fasterxml.jackson..", "org.slf4j.."};
    static JavaClasses core;

    @BeforeAll
    static void load() {
        core = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.blip4j");
    }

    private static String[] with(String... packages) {
        String[] all = new String[packages.length + OUTSIDE.length];
        System.arraycopy(packages, 0, all, 0, packages.length);
        System.arraycopy(OUTSIDE, 0, all, packages.length, OUTSIDE.length);
        return all;
    }

    @Test
    void engineBlocksAndConfigsKnowNoNetwork() {
        classes()
                .that()
                .resideInAnyPackage("org.blip4j.engine..", "org.blip4j.nn..", "org.blip4j.config..")
                .should()
                .onlyDependOnClassesThat()
                .resideInAnyPackage(
                        with("org.blip4j.engine..", "org.blip4j.nn..", "org.blip4j.config..", "org.blip4j.io.."))
                .check(core);
    }

    @Test
    void networksImportOnlyBlocksEngineAndConfig() {
        classes()
                .that()
                .resideInAPackage("org.blip4j.model..")
                .should()
                .onlyDependOnClassesThat()
                .resideInAnyPackage(with(
                        "org.blip4j.model..",
                        "org.blip4j.nn..",
                        "org.blip4j.engine..",
                        "org.blip4j.config..",
                        "org.blip4j.dist..",
                        "org.blip4j.io.."))
                .check(core);
    }

    @Test
    void generationSeesOnlyTheNetworks() {
        classes()
                .that()
                .resideInAPackage("org.blip4j.generate..")
                .should()
                .onlyDependOnClassesThat()
                .resideInAnyPackage(with("org.blip4j.generate..", "org.blip4j.model..", "org.blip4j.engine.."))
                .check(core);
    }

    @Test
    void weightLoadingKnowsNoNetworkClass() {
        noClasses()
                .that()
                .resideInAPackage("org.blip4j.weights..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("org.blip4j.model..", "org.blip4j.generate..", "org.blip4j.train..")
                .check(core);
    }

    @Test
    void onlyTrainingUsesTraining() {
        noClasses()
                .that()
                .resideOutsideOfPackage("org.blip4j.train..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.blip4j.train..")
                .check(core);
    }

    @Test
    void packagesHaveNoCycles() {
        slices().matching("org.blip4j.(*)..").should().beFreeOfCycles().check(core);
    }
}
