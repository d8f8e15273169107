package org.chestlens.inference;

import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What a client may know about a loaded model: identity, provenance and intended use, and what runs it:
 * {@code device} (cpu(), gpu(0), ...) and {@code engine} ({@code onnxruntime} or {@code pytorch}, with its
 * {@code engineVersion}).
 */
public record ModelInfo(
        String id,
        String version,
        boolean trained,
        boolean isDefault,
        String description,
        String architecture,
        String outputFormulation,
        List<ModelManifest.ClassEntry> classes,
        ModelManifest.Preprocessing preprocessing,
        List<ModelManifest.FoldFile> folds,
        String device,
        String engine,
        String engineVersion,
        String intendedUse,
        String limitations,
        String trainingData,
        @JsonInclude(JsonInclude.Include.NON_NULL) String notice) {

    static ModelInfo of(ModelManifest m, String device, String engine, boolean isDefault) {
        return new ModelInfo(m.id(), m.version(), m.trained(), isDefault, m.description(), m.architecture(),
                m.outputFormulation(), m.classes(), m.preprocessing(), m.folds(), device,
                engine.toLowerCase(Locale.ROOT), DjlRuntime.engineVersion(engine), m.intendedUse(), m.limitations(),
                m.trainingData(), m.notice());
    }

    public List<String> foldChecksums() {
        return folds.stream().map(ModelManifest.FoldFile::sha256).toList();
    }
}
