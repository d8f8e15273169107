package org.chestlens.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code bash bench/run.sh dicom}: decode time of one 2000 x 2500 image per supported transfer
 * syntax, chestlens ({@link DicomDecoder#decode} + {@code innerEyeValues()}, in a warm JVM, from the
 * bytes in memory) against Debian's native tool on the same file (dcmdjpeg, dcmdrle, gdcmconv --raw,
 * dcmconv +te; a whole process that reads the file and writes the decoded one to /tmp). The native
 * time therefore includes process start and file I/O; the "process + IO floor" (dcmconv +te of a
 * file that is already explicit VR little endian, timed in every row alongside) estimates that part,
 * and the "ratio vs native − floor" column divides by the native time less that floor. Prints a
 * Markdown table; ratio = chestlens ms / native ms, so below 1 means chestlens is faster.
 *
 * <p>The files come from {@code src/test/resources/dicom/make-fixtures.sh --large target/bench-dicom}
 * (made when missing). Knobs: {@code -Dbench.dicom.runs=11} timed runs per syntax and tool (median),
 * {@code -Dbench.dicom.warmup=3} untimed decodes per syntax first, {@code -Dbench.dicom.dir}.
 */
public final class DicomDecodeBench {

    static final int RUNS = Integer.getInteger("bench.dicom.runs", 11);
    static final int WARMUP = Integer.getInteger("bench.dicom.warmup", 3);
    /** Only the rows whose syntax name contains one of these comma-separated words (all rows when unset). */
    static final String ONLY = System.getProperty("bench.dicom.only", "");
    static final Path DIR = Path.of(System.getProperty("bench.dicom.dir", "target/bench-dicom")).toAbsolutePath();
    static final long MAX_PIXELS = 40_000_000L; // the service's default chestlens.ingest.max-pixels
    static final String FLOOR_FILE = "explicit-le.dcm";

    /**
     * One supported syntax: its large file, the reference it must equal ({@code lossless}: exactly; else
     * approximately), the native command.
     */
    record Case(String syntax, String file, String reference, boolean lossless, String... nativeTool) {
    }

    /** Marks the case whose native tool is opj_decompress on the frame's codestream (-i in.j2c -o out.raw). */
    static final String OPJ_DECOMPRESS = "opj_decompress";

    static final List<Case> CASES = List.of(
            new Case("Implicit VR Little Endian", "implicit-le.dcm", "explicit-le.dcm", true, "dcmconv", "+te"),
            new Case("Explicit VR Little Endian", "explicit-le.dcm", "explicit-le.dcm", true, "dcmconv", "+te"),
            new Case("Explicit VR Big Endian", "explicit-be.dcm", "explicit-le.dcm", true, "dcmconv", "+te"),
            new Case("Deflated Explicit VR Little Endian", "deflated.dcm", "explicit-le.dcm", true, "dcmconv", "+te"),
            new Case("JPEG Baseline (8-bit)", "jpeg-baseline-8bit.dcm", "explicit-le-8bit.dcm", false, "dcmdjpeg"),
            new Case("JPEG Lossless, Process 14 (SV 6)", "jpeg-lossless-p14.dcm", "explicit-le.dcm", true, "dcmdjpeg"),
            new Case("JPEG Lossless, Process 14, SV1", "jpeg-lossless-sv1.dcm", "explicit-le.dcm", true, "dcmdjpeg"),
            new Case("RLE Lossless", "rle.dcm", "explicit-le.dcm", true, "dcmdrle"),
            new Case("JPEG 2000 (Lossless Only)", "j2k-lossless.dcm", "explicit-le.dcm", true, "gdcmconv", "--raw"),
            new Case("JPEG 2000 (lossy, ratio 10)", "j2k-lossy.dcm", "explicit-le.dcm", false, "gdcmconv", "--raw"),
            new Case("JPEG-LS Lossless", "jpeg-ls-lossless.dcm", "explicit-le.dcm", true, "dcmdjpls"),
            new Case("JPEG-LS Near-Lossless (NEAR 3)", "jpeg-ls-near-lossless.dcm", "explicit-le.dcm", false,
                    "dcmdjpls"),
            // opj_decompress reads a bare codestream, not DICOM: the bench extracts the frame for it
            new Case("HTJ2K (Lossless Only)", "htj2k-lossless.dcm", "explicit-le.dcm", true, OPJ_DECOMPRESS),
            // lossy, but the reference is dcmdjpeg's own decode of the same file: it must be equal ("exact")
            new Case("JPEG Extended (12-bit)", "jpeg-extended-12bit.dcm", "jpeg-extended-12bit-dcmdjpeg.dcm", true,
                    "dcmdjpeg"),
            new Case("JPEG Extended (12-bit progressive)", "jpeg-progressive-12bit.dcm",
                    "jpeg-progressive-12bit-dcmdjpeg.dcm", true, "dcmdjpeg"));


    private DicomDecodeBench() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Locale.setDefault(Locale.ROOT);
        ensureFiles();
        Path scratch = Files.createTempDirectory(Path.of("/tmp"), "chestlens-dicom-bench-");
        try {
            run(scratch);
        } finally {
            try (var files = Files.list(scratch)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(scratch);
        }
    }

    private static void run(Path scratch) throws Exception {
        System.out.println("machine: " + Runtime.getRuntime().availableProcessors() + " cores, "
                + firstLine("/proc/cpuinfo", "model name") + ", java " + System.getProperty("java.version")
                + ", max heap " + (Runtime.getRuntime().maxMemory() >> 20) + " MB");
        System.out.println("tools: " + toolVersion("dcmdjpeg", "--version") + "; " + toolVersion("gdcmconv", "--version")
                + "; " + toolVersion("opj_decompress", "-h").replaceAll("\\s+", " "));
        System.out.println("uptime before: " + command("uptime"));
        System.out.printf("files: %s (2000 x 2500); %d warm-up + median of %d runs per syntax and tool%n", DIR,
                WARMUP, RUNS);

        List<String> rows = new ArrayList<>();
        List<Double> floors = new ArrayList<>();
        Path out = scratch.resolve("out.dcm");
        List<String> floorArgv = argv(List.of("dcmconv", "+te"), DIR.resolve(FLOOR_FILE), out);
        for (Case c : CASES) {
            if (!ONLY.isBlank() && Arrays.stream(ONLY.split(",")).noneMatch(word -> c.syntax().contains(word.trim()))) {
                continue;
            }
            byte[] bytes = Files.readAllBytes(DIR.resolve(c.file()));
            String check = check(c, bytes);
            List<String> tool = List.of(c.nativeTool());
            Timings t;
            if (c.nativeTool()[0].equals(OPJ_DECOMPRESS)) {
                Path codestream = scratch.resolve("frame.j2c");
                Files.write(codestream, firstFrameCodestream(bytes));
                Path raw = scratch.resolve("out.raw");
                t = measure(bytes, c.file(), List.of(OPJ_DECOMPRESS, "-i", codestream.toString(), "-o", raw.toString()),
                        raw, floorArgv, out);
            } else {
                t = measure(bytes, c.file(), argv(tool, DIR.resolve(c.file()), out), out, floorArgv, out);
            }
            floors.add(t.floor());
            double net = t.theirs() - t.floor();
            String row = String.format("| %s | %s | %.1f | %.1f | `%s` | %.1f | %.2f | %.1f | %s | %s |", c.syntax(),
                    DicomPreCheck.check(bytes, c.file(), MAX_PIXELS).syntax().uid(), bytes.length / 1e6, t.ours(),
                    String.join(" ", tool), t.theirs(), t.ours() / t.theirs(), t.floor(),
                    net > 1 ? String.format("%.2f", t.ours() / net) : "n/a (within the floor)", check);
            rows.add(row);
            System.out.println("measured: " + row);
        }

        System.out.println();
        System.out.println("| syntax | UID | file MB | chestlens ms | native tool | native ms | ratio | floor ms | "
                + "ratio vs native − floor | chestlens pixels |");
        System.out.println("|---|---|--:|--:|---|--:|--:|--:|--:|---|");
        rows.forEach(System.out::println);
        double[] f = floors.stream().mapToDouble(Double::doubleValue).toArray();
        System.out.printf("| process + IO floor: `dcmconv +te` of %s (already explicit VR LE), measured in every row"
                + " | 1.2.840.10008.1.2.1 | %.1f | | `dcmconv +te` | median of the rows %.1f (%.1f-%.1f) | | | | |%n",
                FLOOR_FILE, Files.size(DIR.resolve(FLOOR_FILE)) / 1e6, median(f), Arrays.stream(f).min().orElse(0),
                Arrays.stream(f).max().orElse(0));
        System.out.println();
        System.out.println("uptime after: " + command("uptime"));
    }

    /** Decodes once, outside the timing, and compares the pixels with the uncompressed reference. */
    private static String check(Case c, byte[] bytes) throws IOException {
        int[] got = DicomDecoder.decode(bytes, c.file(), MAX_PIXELS).innerEyeValues().samples();
        int[] want = DicomDecoder.decode(Files.readAllBytes(DIR.resolve(c.reference())), c.reference(), MAX_PIXELS)
                .innerEyeValues().samples();
        if (got.length != want.length) {
            throw new IllegalStateException(c.file() + ": " + got.length + " pixels, reference " + want.length);
        }
        if (c.lossless()) {
            if (!Arrays.equals(got, want)) {
                throw new IllegalStateException(c.file() + ": lossless decode differs from " + c.reference());
            }
            return "= " + c.reference();
        }
        long maxDiff = 0;
        double sumDiff = 0;
        for (int i = 0; i < got.length; i++) {
            int d = Math.abs(got[i] - want[i]);
            maxDiff = Math.max(maxDiff, d);
            sumDiff += d;
        }
        return String.format("lossy: mean abs diff %.1f, max %d vs %s", sumDiff / got.length, maxDiff, c.reference());
    }

    /** Medians in ms: chestlens, the native tool, the process + IO floor. */
    record Timings(double ours, double theirs, double floor) {
    }

    /**
     * After warming up, runs chestlens (decode + innerEyeValues() in this JVM, from the bytes in
     * memory), the native tool and the floor command in turn, RUNS times, rotating their order, so
     * that a change in background load hits all three alike. The native tool and the floor are
     * whole processes: start, read, decode, write to /tmp, exit (wall clock).
     */
    static Timings measure(byte[] bytes, String label, List<String> tool, Path toolOut, List<String> floor, Path out)
            throws IOException, InterruptedException {
        long sink = 0;
        for (int i = 0; i < WARMUP; i++) {
            sink += DicomDecoder.decode(bytes, label, MAX_PIXELS).innerEyeValues().samples()[0];
        }
        exec(tool, toolOut); // the page cache and the tools' shared libraries
        exec(floor, out);
        double[][] times = new double[3][RUNS];
        for (int r = 0; r < RUNS; r++) {
            for (int k = 0; k < 3; k++) {
                int which = (r + k) % 3;
                if (which == 0) {
                    System.gc(); // the previous decode's garbage is not charged to this one
                    long start = System.nanoTime();
                    int[] samples = DicomDecoder.decode(bytes, label, MAX_PIXELS).innerEyeValues().samples();
                    times[0][r] = (System.nanoTime() - start) / 1e6;
                    sink += samples[samples.length / 2];
                } else {
                    times[which][r] = which == 1 ? exec(tool, toolOut) : exec(floor, out);
                }
            }
        }
        if (sink == Long.MIN_VALUE) {
            System.out.println(sink); // keeps the results alive
        }
        return new Timings(median(times[0]), median(times[1]), median(times[2]));
    }

    /** The one fragment of a single-frame encapsulated file: from its SOC marker to the sequence delimiter. */
    private static byte[] firstFrameCodestream(byte[] file) {
        for (int i = 0; i + 4 <= file.length; i++) {
            if ((file[i] & 0xFF) == 0xFF && (file[i + 1] & 0xFF) == 0x4F && (file[i + 2] & 0xFF) == 0xFF
                    && (file[i + 3] & 0xFF) == 0x51) {
                return Arrays.copyOfRange(file, i, file.length - 8);
            }
        }
        throw new IllegalStateException("no JPEG 2000 codestream");
    }

    private static List<String> argv(List<String> tool, Path in, Path out) {
        List<String> argv = new ArrayList<>(tool);
        argv.add(in.toString());
        argv.add(out.toString());
        return argv;
    }

    /** Wall-clock ms of one run of {@code argv}, which must write a decoded image to {@code out}. */
    private static double exec(List<String> argv, Path out) throws IOException, InterruptedException {
        Files.deleteIfExists(out);
        long start = System.nanoTime();
        exec(argv);
        double millis = (System.nanoTime() - start) / 1e6;
        if (Files.size(out) < 2000L * 2500L) {
            throw new IllegalStateException(argv + " wrote only " + Files.size(out) + " bytes");
        }
        Files.deleteIfExists(out);
        return millis;
    }

    private static void exec(List<String> argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(argv + " failed");
        }
    }

    private static double median(double[] times) {
        double[] sorted = times.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static void ensureFiles() throws IOException, InterruptedException {
        boolean complete = true;
        for (Case c : CASES) {
            complete &= Files.isRegularFile(DIR.resolve(c.file())) && Files.isRegularFile(DIR.resolve(c.reference()));
        }
        if (complete) {
            System.out.println("reusing " + DIR);
            return;
        }
        System.out.println("making the 2000 x 2500 files in " + DIR);
        Process p = new ProcessBuilder("bash", "src/test/resources/dicom/make-fixtures.sh", "--large", DIR.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("make-fixtures.sh --large failed (needs dcmtk, libgdcm-tools, "
                    + "python3-pydicom, python3-numpy)");
        }
    }

    private static String command(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        return text;
    }

    private static String toolVersion(String tool, String flag) throws IOException, InterruptedException {
        return command(tool, flag).lines().filter(l -> !l.isBlank()).findFirst().orElse(tool).replace("$Date$", "").replace("$", "").trim();
    }

    private static String firstLine(String file, String prefix) throws IOException {
        return Files.readAllLines(Path.of(file)).stream().filter(l -> l.startsWith(prefix))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
    }
}
