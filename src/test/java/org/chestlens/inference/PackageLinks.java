package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** A model package's files linked into another folder, so that a test can write its own model.json beside them. */
final class PackageLinks {

    private PackageLinks() {
    }

    /** Links every file of {@code from} but model.json into {@code to}; returns that model.json's text. */
    static String link(Path from, Path to) throws IOException {
        List<Path> files;
        try (Stream<Path> listing = Files.list(from)) {
            files = listing.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals("model.json"))
                    .toList();
        }
        for (Path file : files) {
            Files.createSymbolicLink(to.resolve(file.getFileName()), file.toAbsolutePath());
        }
        return Files.readString(from.resolve("model.json"));
    }

    /** {@code manifest} with the checksum that {@code file} of {@code packageDir} has replaced by zeros. */
    static String zeroChecksum(String manifest, Path packageDir, String file) {
        return manifest.replace(ModelPackageReader.sha256(packageDir.resolve(file)), "0".repeat(64));
    }

    /** Writes {@code manifest} as {@code dir}'s model.json: the reader must refuse the package, saying {@code says}. */
    static void assertRefused(Path dir, String manifest, String... says) throws IOException {
        Files.writeString(dir.resolve("model.json"), manifest);
        assertThatThrownBy(() -> ModelPackageReader.read(dir)).isInstanceOf(ModelPackageException.class)
                .hasMessageContainingAll(says);
    }
}
