package org.chestlens.interop.pacs;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * David Clunie's DICOM validator dciodvfy (Debian package dicom3tools): checks a file against the IOD its
 * SOP Class names, module by module, and every attribute's VR, VM and defined terms. Its report has one
 * line per finding, starting "Error -" or "Warning -".
 */
public final class Dciodvfy {

    static final String INSTALL = "apt-get install -y --no-install-recommends dicom3tools";
    private static final Path DCIODVFY = Path.of("/usr/bin/dciodvfy");

    /** What dciodvfy said about one file. */
    public record Report(List<String> errors, List<String> warnings, String output) {
    }

    private Dciodvfy() {
    }

    public static Report check(byte[] part10, String name) throws IOException, InterruptedException {
        if (!Files.isExecutable(DCIODVFY)) {
            fail("dicom3tools' dciodvfy is needed for this test and is not installed. Install it: " + INSTALL);
        }
        Path file = Files.createTempFile("chestlens-" + name + "-", ".dcm");
        try {
            Files.write(file, part10);
            Process process = new ProcessBuilder(DCIODVFY.toString(), file.toString()).redirectErrorStream(true)
                    .start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("dciodvfy did not finish within 60 s on " + name);
            }
            List<String> lines = output.lines().map(String::strip).toList();
            return new Report(lines.stream().filter(l -> l.startsWith("Error")).toList(),
                    lines.stream().filter(l -> l.startsWith("Warning")).toList(), output);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
