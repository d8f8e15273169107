package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelPackageReaderTest {

    @TempDir
    Path dir;

    @Test
    void readsAVerifiedPackage() throws IOException {
        writePackage("fold-0.pt", "weights zero", "fold-1.pt", "weights one");
        ModelManifest manifest = ModelPackageReader.read(dir);
        assertThat(manifest.id()).isEqualTo("test-model");
        assertThat(manifest.folds()).hasSize(2);
        assertThat(OutputFormulation.fromId(manifest.outputFormulation())).isEqualTo(OutputFormulation.SOFTMAX4);
    }

    @Test
    void refusesAFoldWhoseChecksumDoesNotMatchAndNamesIt() throws IOException {
        writePackage("fold-0.pt", "weights zero", "fold-1.pt", "weights one");
        Files.writeString(dir.resolve("fold-1.pt"), "tampered weights");
        assertThatThrownBy(() -> ModelPackageReader.read(dir))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("Checksum mismatch")
                .hasMessageContaining("fold-1.pt");
    }

    @Test
    void refusesAMissingFold() throws IOException {
        writePackage("fold-0.pt", "weights zero", "fold-1.pt", "weights one");
        Files.delete(dir.resolve("fold-0.pt"));
        assertThatThrownBy(() -> ModelPackageReader.read(dir))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("fold-0.pt").hasMessageContaining("missing");
    }

    @Test
    void refusesFoldPathsOutsideThePackage() throws IOException {
        writePackage("../fold-0.pt", "x", "fold-1.pt", "y");
        assertThatThrownBy(() -> ModelPackageReader.read(dir)).hasMessageContaining("plain names");
    }

    @Test
    void refusesClassesInTheWrongOrder() throws IOException {
        writePackage("fold-0.pt", "a", "fold-1.pt", "b");
        Path manifest = dir.resolve("model.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"CVX0\"", "\"CVX9\""));
        assertThatThrownBy(() -> ModelPackageReader.read(dir)).hasMessageContaining("must have code CVX0");
    }

    @Test
    void refusesAFolderWithoutManifest() {
        assertThatThrownBy(() -> ModelPackageReader.read(dir)).hasMessageContaining("no model.json");
    }

    private void writePackage(String fold0, String content0, String fold1, String content1) throws IOException {
        Files.writeString(dir.resolve(fold0.replace("../", "")), content0);
        Files.writeString(dir.resolve(fold1), content1);
        String sha0 = ModelPackageReader.sha256(dir.resolve(fold0.replace("../", "")));
        String sha1 = ModelPackageReader.sha256(dir.resolve(fold1));
        Files.writeString(dir.resolve("model.json"), """
                {"id": "test-model", "version": "1", "trained": false, "architecture": "densenet121",
                 "outputFormulation": "softmax4", "output": "logits",
                 "classes": [{"index":0,"code":"CVX0","name":"normal"},{"index":1,"code":"CVX1","name":"a"},
                             {"index":2,"code":"CVX2","name":"b"},{"index":3,"code":"CVX3","name":"c"}],
                 "preprocessing": {"resize": 256, "centerCrop": 224, "channels": 3, "interpolation": "bilinear",
                                   "antialias": false},
                 "inputShape": [3, 224, 224],
                 "folds": [{"file": "%s", "sha256": "%s"}, {"file": "%s", "sha256": "%s"}]}
                """.formatted(fold0, sha0, fold1, sha1));
    }
}
