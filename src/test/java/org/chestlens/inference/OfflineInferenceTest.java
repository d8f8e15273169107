package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DJL must open no network connection and download nothing: the PyTorch and ONNX Runtime natives come from
 * the Maven jars and are unpacked into an empty cache folder. A fresh JVM is used so no earlier test has
 * initialised the engine (its telemetry probe runs once per JVM, at engine start).
 */
class OfflineInferenceTest {

    @Test
    void djlLoadsAndRunsTheModelWithoutAnyNetworkAttempt(@TempDir Path emptyCache) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                OfflineProbe.class.getName(), "models/chestlens-demo-densenet121", emptyCache.toString())
                .redirectErrorStream(true);
        // Neither the parent's DJL settings nor a proxy from the environment may leak in.
        builder.environment().keySet().removeIf(k -> k.startsWith("DJL_") || k.equals("OPT_OUT_TRACKING")
                || k.toLowerCase().endsWith("_proxy") || k.equals("PYTORCH_VERSION"));
        Process process = builder.start();
        boolean finished = process.waitFor(3, TimeUnit.MINUTES);
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(finished).as(output).isTrue();
        assertThat(process.exitValue()).as(output).isZero();

        assertThat(output).contains("FORWARD OK OnnxRuntime folds=3", "FORWARD OK PyTorch folds=3",
                "NETWORK ATTEMPTS 0 []");
        // The natives were unpacked from the class path into the empty cache, not fetched; ONNX Runtime's too,
        // rather than into java.io.tmpdir.
        try (Stream<Path> files = Files.walk(emptyCache)) {
            List<String> names = files.map(Path::getFileName).map(Path::toString).toList();
            assertThat(names).anyMatch(n -> n.startsWith("libtorch")).contains("libonnxruntime.so");
        }
        assertThat(output).doesNotContain("Downloading");
    }

}
