package org.chestlens;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * dcmtk's storescu (Debian package dcmtk), the C-STORE sender most DICOM tools are tested against:
 * sends files in one association and reports the status the receiver answered for each.
 */
public final class StoreScu {

    public static final String INSTALL = "apt-get install -y --no-install-recommends dcmtk";
    private static final Path STORESCU = Path.of("/usr/bin/storescu");
    /** storescu -d prints each C-STORE-RSP as "DIMSE Status : 0xa700: Refused: OutOfResources". */
    private static final Pattern STATUS = Pattern.compile("DIMSE Status\\s*:\\s*0x([0-9A-Fa-f]{4})");

    /** What storescu reported: one status per file sent, in order, and its whole output. */
    public record Result(int exitCode, List<Integer> statuses, String output) {
    }

    private StoreScu() {
    }

    public static void requireInstalled() {
        if (!Files.isExecutable(STORESCU)) {
            fail("dcmtk's storescu is needed for this test and is not installed. Install it: " + INSTALL);
        }
    }

    /** {@code options}: further storescu options before the address, e.g. +tls key cert. */
    public static Result send(int port, String callingAe, String calledAe, List<Path> files, String... options)
            throws IOException, InterruptedException {
        return send(port, callingAe, calledAe, files, status -> { }, options);
    }

    /** {@code onStatus} sees each status as soon as storescu prints it (the association is still open). */
    public static Result send(int port, String callingAe, String calledAe, List<Path> files, Consumer<Integer> onStatus,
                              String... options) throws IOException, InterruptedException {
        requireInstalled();
        // By default storescu proposes each file's own transfer syntax and the uncompressed ones.
        List<String> command = new ArrayList<>(List.of(STORESCU.toString(), "-d", "-nh", "-aet", callingAe, "-aec", calledAe));
        command.addAll(List.of(options));
        command.addAll(List.of("127.0.0.1", Integer.toString(port)));
        files.forEach(file -> command.add(file.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder output = new StringBuilder();
        List<Integer> statuses = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                output.append(line).append('\n');
                Matcher status = STATUS.matcher(line);
                if (status.find()) {
                    int value = Integer.parseInt(status.group(1), 16);
                    statuses.add(value);
                    onStatus.accept(value);
                }
            }
        }
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("storescu did not finish within 120 s:\n" + output);
        }
        return new Result(process.exitValue(), statuses, output.toString());
    }
}
