package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.chestlens.platform.ApiProblem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutations of valid files: truncation, flipped bytes, altered lengths (element, item and
 * fragment lengths), altered VRs, inserted and deleted bytes. Each case must end within the time
 * limit in either a decoded image or a 4xx problem: no other exception, no hang, no
 * OutOfMemoryError (the decoder turns one into a 422 saying so, which this test refuses), and
 * bounded allocation per case. Reproduce a failure from the seed it prints.
 */
class DicomFuzzTest {

    /** More with -Ddicom.fuzz.cases=N (surefire passes system properties through). */
    static final int CASES = Integer.getInteger("dicom.fuzz.cases", 600);
    static final long SEED = 20240603L;
    private static final Duration PER_CASE = Duration.ofSeconds(5);
    /** Decoding a valid fixture allocates a few MB; a case that allocates this much followed a declared length. */
    private static final long MAX_ALLOCATED_PER_CASE = 256L << 20;
    private static final List<String> VRS = List.of("AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS",
            "LO", "LT", "OB", "OD", "OF", "OL", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "TM", "UC", "UI", "UL",
            "UN", "UR", "US", "UT", "--", "\0\0", "zz", "ZZ");
    private static final long[] INTERESTING_LENGTHS = {0, 1, 2, 3, 4, 7, 8, 0x7FFF, 0xFFFF, 0x10000, 0x7FFFFFFF,
        0x80000000L, 0xFFFFFFFEL, 0xFFFFFFFFL};

    private static final List<String> FIXTURES = List.of("explicit-le.dcm", "implicit-le.dcm", "explicit-be.dcm",
            "deflated.dcm", "jpeg-lossless-sv1.dcm", "rle.dcm", "j2k-lossless.dcm", "j2k-lossy.dcm",
            "jpeg-baseline-8bit.dcm", "multiframe-3-rle.dcm", "signed16-jpeg-lossless.dcm",
            "signed16-j2k-lossless.dcm", "pydicom-MR_small.dcm", "pydicom-MR_small_RLE.dcm",
            "pydicom-MR_small_jp2klossless.dcm", "pydicom-MR_small_bigendian.dcm", "pydicom-MR_small_implicit.dcm",
            "pydicom-CT_small.dcm", "pydicom-image_dfl.dcm",
            // native codecs (CharLS, OpenJPEG): mutated JPEG-LS and HTJ2K codestreams
            "jpeg-ls-lossless.dcm", "jpeg-ls-near-lossless.dcm", "signed16-jpeg-ls.dcm",
            "pydicom-MR_small_jpeg_ls_lossless.dcm", "htj2k-lossless.dcm", "signed16-htj2k-lossless.dcm",
            // 12-bit lossy JPEG (gdcm's IJG library through the chestlens-jpeg12 shim)
            "jpeg-extended-12bit.dcm", "jpeg-progressive-12bit.dcm", "pydicom-JPGExtended.dcm");
    /**
     * One-fragment JPEG files whose codestream {@link #mutateCodestream} damages: 12-bit lossy (gdcm's IJG
     * library through the chestlens-jpeg12 shim) and lossless ({@link LosslessJpeg}).
     */
    private static final List<String> JPEG_CODESTREAMS = List.of("jpeg-extended-12bit.dcm",
            "jpeg-progressive-12bit.dcm", "pydicom-JPGExtended.dcm", "jpeg-lossless-sv1.dcm", "jpeg-lossless-p14.dcm",
            "signed16-jpeg-lossless.dcm", "mono1-jpeg-lossless.dcm");
    private static final int CODESTREAM_CASES = Integer.getInteger("dicom.fuzz.jpeg.cases", 600);

    @BeforeAll
    static void warmUp() {
        DicomPreCheckTest.warmUp();
    }

    record Mutant(String fixture, String mutation, byte[] bytes) {
    }

    @Test
    void everyMutationIsDecodedOrRejectedWithA4xxInTime() {
        List<byte[]> originals = FIXTURES.stream().map(DicomDecoderTest::fixture).toList();
        Map<String, Integer> outcomes = new TreeMap<>();
        long worstAllocation = 0;
        for (int i = 0; i < CASES; i++) {
            long seed = SEED + i;
            Random random = new Random(seed);
            int which = random.nextInt(FIXTURES.size());
            Mutant mutant = mutate(FIXTURES.get(which), originals.get(which), random);
            String label = "case " + i + " (seed " + seed + ", " + mutant.fixture() + ", " + mutant.mutation() + ")";
            long[] allocated = new long[1];
            String outcome = assertTimeoutPreemptively(PER_CASE, () -> {
                long before = DicomPreCheckTest.allocatedByThisThread();
                try {
                    return outcome(mutant, label);
                } finally {
                    allocated[0] = DicomPreCheckTest.allocatedByThisThread() - before;
                }
            }, label + " took longer than " + PER_CASE);
            assertThat(allocated[0]).as(label + ": bytes allocated").isLessThan(MAX_ALLOCATED_PER_CASE);
            worstAllocation = Math.max(worstAllocation, allocated[0]);
            outcomes.merge(outcome, 1, Integer::sum);
        }
        System.out.printf("DICOM fuzz: %d cases, outcomes %s, most allocated by one case %d MB%n", CASES, outcomes,
                worstAllocation >> 20);
        assertThat(outcomes.getOrDefault("decoded", 0)).as("some mutations leave a decodable file").isPositive();
        assertThat(outcomes.keySet()).as("some mutations are rejected").anyMatch(k -> k.startsWith("4"));
    }

    /**
     * The mutations above mostly damage the DICOM structure; these damage only the JPEG codestream
     * inside a valid file, which the pre-check reads no further than its SOF: what reaches the native
     * library or the lossless decoder. A crash in the library would end this JVM, so the test would not
     * even fail: it would not finish.
     */
    @Test
    void mutatedJpegCodestreamsAreDecodedOrRejectedWithA4xx() {
        List<byte[]> frames = JPEG_CODESTREAMS.stream().map(HostileDicom::firstFragment).toList();
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int i = 0; i < CODESTREAM_CASES; i++) {
            long seed = SEED + 100_000 + i;
            Random random = new Random(seed);
            int which = random.nextInt(JPEG_CODESTREAMS.size());
            String[] mutation = new String[1];
            byte[] frame = mutateCodestream(frames.get(which), random, mutation);
            Mutant mutant = new Mutant(JPEG_CODESTREAMS.get(which), mutation[0],
                    HostileDicom.withFirstFragment(JPEG_CODESTREAMS.get(which), frame));
            String label = "codestream case " + i + " (seed " + seed + ", " + mutant.fixture() + ", " + mutation[0]
                    + ")";
            String outcome = assertTimeoutPreemptively(PER_CASE, () -> outcome(mutant, label),
                    label + " took longer than " + PER_CASE);
            outcomes.merge(outcome, 1, Integer::sum);
        }
        System.out.printf("JPEG codestream fuzz: %d cases, outcomes %s%n", CODESTREAM_CASES, outcomes);
        assertThat(outcomes.getOrDefault("422 corrupt-image", 0)).as("damage is found").isPositive();
        assertThat(outcomes.keySet()).allMatch(k -> k.equals("decoded") || k.startsWith("4"));
    }

    static byte[] mutateCodestream(byte[] frame, Random random, String[] mutation) {
        byte[] b = frame.clone();
        int sos = HostileDicom.indexOf(b, HostileDicom.bytes(0xFF, 0xDA), 0);
        switch (random.nextInt(6)) {
            case 0 -> {
                int length = 2 + random.nextInt(b.length - 2);
                mutation[0] = "cut to " + length;
                return Arrays.copyOf(b, length);
            }
            case 1 -> {
                // the tables and headers: DQT, DHT, SOF, SOS
                int flips = 1 + random.nextInt(8);
                for (int k = 0; k < flips; k++) {
                    b[2 + random.nextInt(sos + 12)] ^= (byte) (1 << random.nextInt(8));
                }
                mutation[0] = flips + " header bits flipped";
            }
            case 2 -> {
                int flips = 1 + random.nextInt(16);
                for (int k = 0; k < flips; k++) {
                    b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
                }
                mutation[0] = flips + " bits flipped";
            }
            case 3 -> {
                // a marker segment's length: every segment before the first SOS starts FF xx LL LL
                List<Integer> segments = new ArrayList<>();
                for (int p = 2; p + 4 <= sos + 4; ) {
                    segments.add(p);
                    p += 2 + (((b[p + 2] & 0xFF) << 8) | (b[p + 3] & 0xFF));
                }
                int at = segments.get(random.nextInt(segments.size()));
                int length = new int[] {0, 1, 2, 3, 0x7FFF, 0xFFFF, random.nextInt(0x10000)}[random.nextInt(7)];
                b[at + 2] = (byte) (length >> 8);
                b[at + 3] = (byte) length;
                mutation[0] = "segment " + Integer.toHexString(b[at + 1] & 0xFF) + " length " + length;
            }
            case 4 -> {
                int at = sos + 4 + random.nextInt(b.length - sos - 6);
                b[at] = (byte) 0xFF;
                b[at + 1] = (byte) random.nextInt(256);
                mutation[0] = "marker FF" + Integer.toHexString(b[at + 1] & 0xFF) + " at " + at;
            }
            default -> {
                int at = 2 + random.nextInt(b.length - 2);
                int count = 1 + random.nextInt(64);
                mutation[0] = count + " bytes inserted at " + at;
                return withRandomBytes(b, at, count, random);
            }
        }
        return b;
    }

    private static String outcome(Mutant mutant, String label) {
        try {
            DicomDecoder.DecodedDicom decoded = DicomDecoder.decode(mutant.bytes(), "fuzz", 40_000_000L);
            GreyImage image = decoded.image();
            assertThat(image.samples()).as(label).hasSize(image.width() * image.height());
            return "decoded";
        } catch (UploadRejectedException rejection) {
            ApiProblem problem = UploadRejectionAdvice.problem(rejection);
            int status = problem.getStatusCode().value();
            if (status < 400 || status >= 500) {
                fail(label + ": status " + status + ": " + problem.getBody().getDetail());
            }
            assertThat(problem.getBody().getDetail()).as(label + ": an OutOfMemoryError was caught")
                    .doesNotContain("more memory");
            return status + " " + problem.getBody().getType().toString().replace("urn:chestlens:problem:", "");
        } catch (Throwable other) {
            throw new AssertionError(label + ": " + other, other);
        }
    }

    static Mutant mutate(String fixture, byte[] original, Random random) {
        byte[] b = original.clone();
        List<Integer> vrPositions = vrPositions(b);
        return switch (random.nextInt(7)) {
            case 0 -> {
                int length = 132 + random.nextInt(b.length - 132);
                yield new Mutant(fixture, "truncated to " + length, Arrays.copyOf(b, length));
            }
            case 1 -> {
                int flips = 1 + random.nextInt(16);
                int limit = random.nextBoolean() ? Math.min(b.length, 2048) : b.length;
                for (int k = 0; k < flips; k++) {
                    int at = 128 + random.nextInt(limit - 128);
                    b[at] ^= (byte) (1 << random.nextInt(8));
                }
                yield new Mutant(fixture, flips + " bits flipped", b);
            }
            case 2 -> {
                int at = vrPositions.get(random.nextInt(vrPositions.size()));
                long length = interestingLength(random);
                boolean longForm = isLongForm(b, at);
                if (longForm) {
                    HostileDicom.putU32(b, at + 4, length);
                } else {
                    HostileDicom.putU16(b, at + 2, (int) length);
                }
                yield new Mutant(fixture, "element length at " + at + " set to " + length, b);
            }
            case 3 -> {
                int at = vrPositions.get(random.nextInt(vrPositions.size()));
                byte[] vr = VRS.get(random.nextInt(VRS.size())).getBytes(StandardCharsets.ISO_8859_1);
                b[at] = vr[0];
                b[at + 1] = vr[1];
                yield new Mutant(fixture, "VR at " + at + " set to " + (vr[0] & 0xFF) + "," + (vr[1] & 0xFF), b);
            }
            case 4 -> {
                List<Integer> items = itemPositions(b);
                if (items.isEmpty()) {
                    int at = 132 + random.nextInt(Math.min(b.length, 4096) - 136);
                    HostileDicom.putU32(b, at, interestingLength(random));
                    yield new Mutant(fixture, "4 bytes at " + at + " overwritten", b);
                }
                int at = items.get(random.nextInt(items.size()));
                long length = interestingLength(random);
                HostileDicom.putU32(b, at + 4, length);
                yield new Mutant(fixture, "item/fragment length at " + at + " set to " + length, b);
            }
            case 5 -> {
                int at = 132 + random.nextInt(Math.min(b.length, 4096) - 132);
                int count = 1 + random.nextInt(8);
                yield new Mutant(fixture, count + " bytes inserted at " + at, withRandomBytes(b, at, count, random));
            }
            default -> {
                int at = 132 + random.nextInt(Math.min(b.length, 4096) - 140);
                int count = 1 + random.nextInt(8);
                byte[] out = new byte[b.length - count];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(b, at + count, out, at, b.length - at - count);
                yield new Mutant(fixture, count + " bytes deleted at " + at, out);
            }
        };
    }

    /** {@code b} with {@code count} random bytes inserted at {@code at}. */
    private static byte[] withRandomBytes(byte[] b, int at, int count, Random random) {
        byte[] inserted = new byte[count];
        random.nextBytes(inserted);
        byte[] out = new byte[b.length + count];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(inserted, 0, out, at, count);
        System.arraycopy(b, at, out, at + count, b.length - at);
        return out;
    }

        private static long interestingLength(Random random) {
        return random.nextInt(4) == 0 ? random.nextInt() & 0xFFFFFFFFL
                : INTERESTING_LENGTHS[random.nextInt(INTERESTING_LENGTHS.length)];
    }

    /** Where two upper-case letters that form a known VR follow a plausible tag: explicit VR headers. */
    static List<Integer> vrPositions(byte[] b) {
        List<Integer> positions = new ArrayList<>();
        for (int at = 136; at + 8 <= b.length && positions.size() < 400; at++) {
            String vr = new String(b, at, 2, StandardCharsets.ISO_8859_1);
            if (VRS.subList(0, 31).contains(vr) && (b[at - 4] != 0 || b[at - 3] != 0)) {
                positions.add(at);
            }
        }
        if (positions.isEmpty()) {
            // implicit VR: any position in the header, treated as a short-form length
            for (int at = 140; at < Math.min(b.length - 8, 2048); at += 2) {
                positions.add(at);
            }
        }
        return positions;
    }

    private static boolean isLongForm(byte[] b, int at) {
        String vr = new String(b, at, 2, StandardCharsets.ISO_8859_1);
        return List.of("OB", "OD", "OF", "OL", "OW", "SQ", "UC", "UN", "UR", "UT").contains(vr);
    }

    /** Item headers (FFFE,E000): sequence items and encapsulated pixel data fragments. */
    static List<Integer> itemPositions(byte[] b) {
        List<Integer> positions = new ArrayList<>();
        for (int at = 132; at + 8 <= b.length && positions.size() < 200; at++) {
            if (b[at] == (byte) 0xFE && b[at + 1] == (byte) 0xFF && b[at + 2] == 0 && b[at + 3] == (byte) 0xE0) {
                positions.add(at);
            }
        }
        return positions;
    }
}
