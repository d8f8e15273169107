package org.chestlens.inference;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import ai.onnxruntime.OrtEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unpacks ONNX Runtime's natives from its jar into DJL's cache folder and points ONNX Runtime at them. Left to
 * itself ONNX Runtime unpacks them into a fresh folder under {@code java.io.tmpdir} at every start, and loading a
 * library from there fails where {@code /tmp} is mounted {@code noexec} (docker-compose.yml's tmpfs, for one).
 * The cache folder is the persistent volume libtorch's natives are unpacked into already.
 */
final class OnnxRuntimeNatives {

    static final String PATH_PROPERTY = "onnxruntime.native.path";
    private static final List<String> LIBRARIES = List.of("libonnxruntime.so", "libonnxruntime4j_jni.so");
    private static final Logger log = LoggerFactory.getLogger(OnnxRuntimeNatives.class);

    private OnnxRuntimeNatives() {
    }

    /** Does nothing where the path is set already, or off Linux (where ONNX Runtime's own unpacking stays). */
    static synchronized void unpack(Path cacheDir) {
        String platform = platform();
        if (System.getProperty(PATH_PROPERTY) != null || platform == null) {
            return;
        }
        String version = OrtEnvironment.class.getPackage().getImplementationVersion();
        Path dir = cacheDir.resolve("onnxruntime").resolve((version == null ? "unknown" : version) + "-" + platform);
        try {
            Files.createDirectories(dir);
            for (String library : LIBRARIES) {
                copyIfChanged("/ai/onnxruntime/native/" + platform + "/" + library, dir.resolve(library));
            }
            System.setProperty(PATH_PROPERTY, dir.toAbsolutePath().toString());
        } catch (IOException e) {
            log.warn("Cannot unpack the ONNX Runtime natives into {} ({}); ONNX Runtime unpacks them into "
                    + "java.io.tmpdir instead", dir, e.toString());
        }
    }

    private static void copyIfChanged(String resource, Path target) throws IOException {
        try (InputStream in = OrtEnvironment.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("no " + resource + " on the class path");
            }
            byte[] bytes = in.readAllBytes();
            if (Files.isRegularFile(target) && Files.size(target) == bytes.length
                    && Arrays.equals(Files.readAllBytes(target), bytes)) {
                return;
            }
            // Written beside and moved into place, so a replica starting at the same time never loads half a file.
            Path partial = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
            Files.write(partial, bytes);
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** The jar's folder for this machine: linux-x64 or linux-aarch64; null elsewhere. */
    private static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux")) {
            return null;
        }
        return switch (arch) {
            case "amd64", "x86_64" -> "linux-x64";
            case "aarch64" -> "linux-aarch64";
            default -> null;
        };
    }
}
