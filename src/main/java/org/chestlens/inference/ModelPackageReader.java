package org.chestlens.inference;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import org.chestlens.prediction.ChestClass;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads and verifies a model package folder. Verification is strict on purpose: serving a fold
 * file that is not the one the manifest describes would break the provenance of every prediction.
 */
final class ModelPackageReader {

    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private static final Set<String> SUPPORTED_ARCHITECTURES = Set.of("densenet121");

    private ModelPackageReader() {
    }

    static ModelManifest read(Path packageDir) {
        Path manifestFile = packageDir.resolve("model.json");
        if (!Files.isRegularFile(manifestFile)) {
            throw new ModelPackageException("Model package " + packageDir.toAbsolutePath() + " has no model.json");
        }
        ModelManifest manifest;
        try {
            manifest = JSON.readValue(manifestFile.toFile(), ModelManifest.class);
        } catch (JacksonException e) {
            throw new ModelPackageException("Cannot read " + manifestFile + ": " + e.getOriginalMessage(), e);
        }
        validate(manifest, manifestFile);
        for (ModelManifest.FoldFile fold : manifest.folds()) {
            verifyChecksum(packageDir, fold);
        }
        if (manifest.onnx() != null) {
            for (ModelManifest.FoldFile fold : manifest.onnx().folds()) {
                verifyChecksum(packageDir, fold);
            }
        }
        if (manifest.outOfDistribution() != null) {
            for (ModelManifest.FoldFile statistics : manifest.outOfDistribution().statistics()) {
                verifyChecksum(packageDir, statistics);
            }
        }
        return manifest;
    }

    private static void validate(ModelManifest m, Path manifestFile) {
        require(m.id() != null && !m.id().isBlank(), manifestFile, "id is missing");
        require(m.version() != null && !m.version().isBlank(), manifestFile, "version is missing");
        require(m.architecture() != null && SUPPORTED_ARCHITECTURES.contains(m.architecture()), manifestFile,
                "architecture must be one of " + SUPPORTED_ARCHITECTURES);
        require(m.outputFormulation() != null, manifestFile, "outputFormulation is missing");
        try {
            OutputFormulation.fromId(m.outputFormulation());
        } catch (IllegalArgumentException e) {
            throw new ModelPackageException(manifestFile + ": " + e.getMessage());
        }
        require("logits".equals(m.output()), manifestFile, "output must be 'logits'");
        require(m.format() >= 1 && m.format() <= 3, manifestFile, "formatVersion must be 1, 2 or 3");
        if (m.explains()) {
            ModelManifest.Explanation e = m.explanation();
            int outputs = OutputFormulation.fromId(m.outputFormulation()).outputCount();
            require(e != null && "classActivationMap".equals(e.kind()) && "excluded".equals(e.bias())
                            && e.shape() != null && e.shape().size() == 3 && e.shape().get(0) == outputs
                            && e.shape().get(1) > 0 && e.shape().get(2) > 0, manifestFile,
                    "formatVersion 2 needs explanation {kind: classActivationMap, bias: excluded, shape: ["
                            + outputs + ", height, width]}");
        }
        if (m.hasFeatures()) {
            require(m.features() != null && m.features().size() > 0, manifestFile,
                    "formatVersion 3 needs features {size: n}");
        }
        validateOutOfDistribution(m, manifestFile);
        validateOnnx(m, manifestFile);
        validateOperatingPoints(m, manifestFile);
        require(m.classes() != null && m.classes().size() == 4, manifestFile, "classes must list CVX0..CVX3");
        for (ModelManifest.ClassEntry entry : m.classes()) {
            require(entry.index() >= 0 && entry.index() < 4
                            && ChestClass.ofIndex(entry.index()).code().equals(entry.code()), manifestFile,
                    "class " + entry.index() + " must have code " + (entry.index() >= 0 && entry.index() < 4
                            ? ChestClass.ofIndex(entry.index()).code() : "CVX0..CVX3"));
        }
        ModelManifest.Preprocessing pre = m.preprocessing();
        require(pre != null && pre.resize() >= pre.centerCrop() && pre.centerCrop() > 0 && pre.channels() == 3
                        && "bilinear".equals(pre.interpolation()) && !pre.antialias(), manifestFile,
                "preprocessing must be bilinear resize (no antialias) >= centre crop, 3 channels");
        require(List.of(3, pre.centerCrop(), pre.centerCrop()).equals(m.inputShape()), manifestFile,
                "inputShape must be [3, centerCrop, centerCrop]");
        require(m.folds() != null && !m.folds().isEmpty(), manifestFile, "folds must list at least one file");
        for (ModelManifest.FoldFile fold : m.folds()) {
            require(fold.file() != null && !fold.file().contains("/") && !fold.file().contains("\\")
                            && fold.file().endsWith(".pt"),
                    manifestFile, "fold file names must be plain names of TorchScript (.pt) files inside the package");
            require(fold.sha256() != null && fold.sha256().matches("[0-9a-f]{64}"), manifestFile,
                    "fold " + fold.file() + " needs a lower-case hex sha256");
        }
    }

    private static void validateOutOfDistribution(ModelManifest m, Path manifestFile) {
        ModelManifest.OutOfDistribution ood = m.outOfDistribution();
        if (ood == null) {
            return;
        }
        require(m.hasFeatures(), manifestFile, "outOfDistribution needs formatVersion 3 (folds that return features)");
        require("mahalanobis".equals(ood.method()), manifestFile, "outOfDistribution.method must be mahalanobis");
        require(Double.isFinite(ood.threshold()) && ood.threshold() > 0, manifestFile,
                "outOfDistribution.threshold must be a positive number");
        require(ood.statistics() != null && m.folds() != null && ood.statistics().size() == m.folds().size(),
                manifestFile, "outOfDistribution.statistics must list one file per fold");
        requirePlainFiles(ood.statistics(), ".f32", manifestFile, "outOfDistribution statistics");
    }

    private static void validateOnnx(ModelManifest m, Path manifestFile) {
        ModelManifest.Onnx onnx = m.onnx();
        if (onnx == null) {
            return;
        }
        List<String> outputs = ModelManifest.onnxOutputs(m.format());
        require(onnx.input() != null && !onnx.input().isBlank() && outputs.equals(onnx.outputs()), manifestFile,
                "onnx needs the input's name and outputs " + outputs + " (those of formatVersion " + m.format() + ")");
        require(onnx.folds() != null && m.folds() != null && onnx.folds().size() == m.folds().size(), manifestFile,
                "onnx.folds must list one file per fold, in fold order");
        requirePlainFiles(onnx.folds(), ".onnx", manifestFile, "onnx.folds");
    }

    private static void requirePlainFiles(List<ModelManifest.FoldFile> files, String extension, Path manifestFile,
                                          String what) {
        for (ModelManifest.FoldFile file : files) {
            require(file.file() != null && file.file().matches("[A-Za-z0-9._-]+" + Pattern.quote(extension))
                            && file.sha256() != null && file.sha256().matches("[0-9a-f]{64}"), manifestFile,
                    what + " must be plain " + extension + " file names with a lower-case hex sha256");
        }
    }

    private static void validateOperatingPoints(ModelManifest m, Path manifestFile) {
        if (m.operatingPoints() == null) {
            return;
        }
        for (ModelManifest.OperatingPoint point : m.operatingPoints()) {
            require(point.finding() != null && ChestClass.ofCode(point.finding()).isPresent(), manifestFile,
                    "operatingPoints: finding must be a class code CVX0..CVX3");
            require(point.threshold() >= 0 && point.threshold() <= 1, manifestFile,
                    "operatingPoints: threshold must lie in [0, 1]");
        }
    }

    private static void verifyChecksum(Path packageDir, ModelManifest.FoldFile fold) {
        Path file = packageDir.resolve(fold.file());
        if (!Files.isRegularFile(file)) {
            throw new ModelPackageException("Fold file " + file.toAbsolutePath() + " listed in model.json is missing");
        }
        String actual = sha256(file);
        if (!actual.equals(fold.sha256())) {
            throw new ModelPackageException("Checksum mismatch for " + file.toAbsolutePath() + ": model.json says "
                    + fold.sha256() + " but the file hashes to " + actual + "; refusing to serve it");
        }
    }

    static String sha256(Path file) {
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file),
                MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(in.getMessageDigest().digest());
        } catch (IOException e) {
            throw new ModelPackageException("Cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void require(boolean condition, Path manifestFile, String message) {
        if (!condition) {
            throw new ModelPackageException(manifestFile.toAbsolutePath() + ": " + message);
        }
    }
}
