package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.chestlens.ingest.DicomDecoderTest.MAX_PIXELS;
import static org.chestlens.ingest.DicomDecoderTest.fixture;
import static org.chestlens.ingest.DicomDecoderTest.rejection;
import static org.chestlens.ingest.DicomDecoderTest.type;
import static org.chestlens.ingest.HostileDicom.bytes;
import static org.chestlens.ingest.HostileDicom.concat;
import static org.chestlens.ingest.HostileDicom.imageHeader;
import static org.chestlens.ingest.HostileDicom.indexOf;
import static org.chestlens.ingest.HostileDicom.metaHeader;
import static org.chestlens.ingest.HostileDicom.pixelDataHeader;
import static org.chestlens.ingest.HostileDicom.putU16;
import static org.chestlens.ingest.HostileDicom.putU32;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

import org.chestlens.platform.ApiProblem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile and broken files: each is answered with a 4xx problem, quickly, and without allocating
 * what the file declares. Allocation is measured per thread, so the bound is on what decoding this
 * one file cost, whatever else the JVM is doing.
 */
class DicomPreCheckTest {

    private static final Duration QUICKLY = Duration.ofSeconds(5);
    private static final long MIB = 1L << 20;

    @BeforeAll
    static void warmUp() {
        DicomDecoderTest.headless();
        // class initialisation (ImageIO's registry, PixelMed's dictionary) is paid once, not per file
        DicomDecoderTest.decode("pydicom-MR_small.dcm");
        DicomDecoderTest.decode("jpeg-lossless-sv1.dcm");
        rejection(() -> DicomDecoder.decode(concat(metaHeader("1.2.3"), new byte[16]), "warm-up", MAX_PIXELS));
    }

    /** Decodes on this thread and returns the problem, failing if it took long or allocated much. */
    static ApiProblem rejectedCheaply(byte[] file, long maxPixels, long maxAllocatedBytes) {
        return assertTimeoutPreemptively(QUICKLY, () -> {
            long before = allocatedByThisThread();
            ApiProblem problem = rejection(() -> DicomDecoder.decode(file, "upload", maxPixels));
            long allocated = allocatedByThisThread() - before;
            assertThat(allocated).as("bytes allocated while rejecting").isLessThan(maxAllocatedBytes);
            assertThat(problem.getStatusCode().is4xxClientError()).isTrue();
            assertThat(problem.getBody().getDetail()).doesNotContain("more memory");
            return problem;
        });
    }

    static long allocatedByThisThread() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getCurrentThreadAllocatedBytes();
    }

    @Test
    void tenMegabytesDeclaringTwoGigabytesOfPixelDataIsRejectedWithoutAllocatingThem() {
        byte[] file = HostileDicom.tenMegabytesDeclaringTwoGigabytesOfPixelData();
        ApiProblem problem = rejectedCheaply(file, Long.MAX_VALUE, 8 * MIB);
        assertThat(problem.getStatusCode().value()).isEqualTo(422);
        assertThat(problem.getBody().getDetail()).contains("(7FE0,0010) declares 2147483648 bytes");
    }

    @ParameterizedTest
    @ValueSource(longs = {0x80000000L, 0xFFFFFFF0L, 163842})
    void aFixtureWhosePixelDataLengthWasEnlargedIsRejected(long length) {
        byte[] file = fixture("explicit-le.dcm");
        int at = indexOf(file, bytes(0xE0, 0x7F, 0x10, 0x00, 'O', 'W'), 0);
        putU32(file, at + 8, length);
        ApiProblem problem = rejectedCheaply(file, MAX_PIXELS, 8 * MIB);
        assertThat(type(problem)).endsWith("corrupt-image");
    }

    @Test
    void aDeflateBombIsStoppedAtTheInflationCap() {
        // 1 GiB of declared pixel data, all zeros: about 1 MB deflated
        byte[] file = HostileDicom.deflateBombOfOneGibibyte();
        assertThat(file.length).isLessThan(2 << 20);

        long maxPixels = 4_000_000L;
        long cap = DicomPreCheck.inflationCap(maxPixels);
        ApiProblem problem = rejectedCheaply(file, maxPixels, 6 * cap);
        assertThat(problem.getStatusCode().value()).isEqualTo(422);
        assertThat(problem.getBody().getDetail()).contains("inflates to more than " + cap + " bytes");
    }

    @Test
    void theInflationCapNeverOverflowsWhateverTheLimit() {
        assertThat(DicomPreCheck.inflationCap(Long.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE - 8L);
        assertThat(DicomPreCheck.inflationCap(40_000_000L)).isEqualTo(80_000_000L + DicomPreCheck.INFLATION_HEADROOM);
        assertThat(DicomDecoder.decode(fixture("deflated.dcm"), "upload", Long.MAX_VALUE).image().width())
                .isEqualTo(320);
    }

    @ParameterizedTest
    @ValueSource(strings = {"explicit-le.dcm", "implicit-le.dcm", "explicit-be.dcm", "deflated.dcm",
            "jpeg-lossless-sv1.dcm", "rle.dcm", "j2k-lossless.dcm", "multiframe-3.dcm"})
    void truncatedFilesAreCorruptWhereverTheyAreCut(String name) {
        byte[] whole = fixture(name);
        for (int cut : new int[] {140, 300, 700, whole.length / 2, whole.length - 3}) {
            ApiProblem problem = rejectedCheaply(Arrays.copyOf(whole, cut), MAX_PIXELS, 32 * MIB);
            assertThat(problem.getStatusCode().value()).as(name + " cut at " + cut).isEqualTo(422);
            assertThat(type(problem)).endsWith("corrupt-image");
        }
    }

    @Test
    void inputThatIsNotPart10IsUnsupported() {
        byte[][] notPart10 = {
            new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
            new byte[4096],
            HostileDicom.dataSetWithoutPart10Header(),
            "DICM".getBytes(StandardCharsets.US_ASCII),
        };
        for (byte[] file : notPart10) {
            ApiProblem problem = rejectedCheaply(file, MAX_PIXELS, 4 * MIB);
            assertThat(problem.getStatusCode().value()).isEqualTo(415);
            assertThat(problem.getBody().getDetail()).contains("not a DICOM Part 10 file");
        }
    }

    @Test
    void aFileEndingBeforeItsPixelDataHasNoPixelData() {
        ApiProblem problem = rejectedCheaply(HostileDicom.withoutPixelData(), MAX_PIXELS, 4 * MIB);
        assertThat(problem.getBody().getDetail()).contains("no Pixel Data");
    }

    @Test
    void absurdRowsAndColumnsAreRejectedBeforeDecoding() {
        byte[] file = fixture("jpeg-lossless-sv1.dcm");
        putU16(file, indexOf(file, bytes(0x28, 0, 0x10, 0, 'U', 'S'), 0) + 8, 65535);
        putU16(file, indexOf(file, bytes(0x28, 0, 0x11, 0, 'U', 'S'), 0) + 8, 65535);
        ApiProblem problem = rejectedCheaply(file, MAX_PIXELS, 4 * MIB);
        assertThat(type(problem)).endsWith("image-too-large");
        assertThat(problem.getBody().getDetail()).contains("65535 x 65535");
        // and the limit is the caller's
        ApiProblem small = rejectedCheaply(fixture("explicit-le.dcm"), 320 * 255, 4 * MIB);
        assertThat(type(small)).endsWith("image-too-large");
    }

    @Test
    void aJpegFrameLargerThanItsHeaderSaysIsRejectedBeforeTheCodecAllocatesIt() {
        byte[] file = HostileDicom.jpegWhoseCodestreamDeclaresAHugeFrame();
        ApiProblem problem = rejectedCheaply(file, MAX_PIXELS, 4 * MIB);
        assertThat(problem.getBody().getDetail()).contains("the first frame is 320 x 65280");
    }

    @Test
    void aJpeg2000FrameLargerThanItsHeaderSaysIsRejected() {
        byte[] file = fixture("j2k-lossless.dcm");
        int siz = indexOf(file, bytes(0xFF, 0x4F, 0xFF, 0x51), 0) + 2;
        ByteBuffer.wrap(file).putInt(siz + 6, 60000); // Xsiz, big endian
        ApiProblem problem = rejectedCheaply(file, MAX_PIXELS, 4 * MIB);
        assertThat(problem.getBody().getDetail()).contains("the first frame is 60000 x 256");
    }

    @Test
    void aJpegLsFrameLargerThanItsHeaderSaysIsRejectedBeforeCharLsRuns() {
        byte[] file = fixture("jpeg-ls-lossless.dcm");
        int sof = indexOf(file, bytes(0xFF, 0xF7), 0);
        file[sof + 5] = (byte) 0xFF; // SOF55 height 65280 + 0
        file[sof + 6] = 0;
        ApiProblem problem = rejectedCheaply(file, MAX_PIXELS, 4 * MIB);
        assertThat(problem.getBody().getDetail()).contains("the first frame is 320 x 65280");
    }

    @Test
    void anHtj2kFrameLargerThanItsHeaderSaysIsRejectedBeforeOpenJpegRuns() {
        byte[] file = fixture("htj2k-lossless.dcm");
        int siz = indexOf(file, bytes(0xFF, 0x4F, 0xFF, 0x51), 0) + 2;
        ByteBuffer.wrap(file).putInt(siz + 10, 60000); // Ysiz, big endian
        ApiProblem problem = rejectedCheaply(file, MAX_PIXELS, 4 * MIB);
        assertThat(problem.getBody().getDetail()).contains("the first frame is 320 x 60000");
    }

    @Test
    void moreFramesThanThePixelDataHoldsAreRejected() {
        for (String name : new String[] {"multiframe-3.dcm", "multiframe-3-rle.dcm"}) {
            byte[] file = HostileDicom.moreFramesThanThePixelDataHolds(name);
            ApiProblem problem = rejectedCheaply(file, MAX_PIXELS, 4 * MIB);
            assertThat(problem.getBody().getDetail()).as(name).contains("9 frame");
        }
    }

    @Test
    void anUnknownTransferSyntaxIsUnsupportedAndNamed() {
        byte[] file = concat(metaHeader("1.2.3.4.5.6"), imageHeader(16, 16), pixelDataHeader(512), new byte[512]);
        ApiProblem problem = rejectedCheaply(file, MAX_PIXELS, 4 * MIB);
        assertThat(problem.getStatusCode().value()).isEqualTo(415);
        assertThat(problem.getBody().getProperties()).containsEntry("transferSyntax", "1.2.3.4.5.6");
    }

    @Test
    void aSmallHandMadeFileDecodes() {
        // the builders above make valid files; the hostile cases differ from this in one thing each
        byte[] pixels = new byte[16 * 16 * 2];
        pixels[2] = 7;
        byte[] file = concat(metaHeader("1.2.840.10008.1.2.1"), imageHeader(16, 16), pixelDataHeader(512), pixels);
        DicomDecoder.DecodedDicom decoded = DicomDecoder.decode(file, "upload", MAX_PIXELS);
        assertThat(decoded.image().samples()[1]).isEqualTo(7);
        assertThat(decoded.metadata().modality()).isNull();
    }

    @Test
    void sequencesNestedTooDeeplyAreRejected() {
        ByteArrayOutputStream nested = new ByteArrayOutputStream();
        int depth = 200;
        byte[] open = bytes(0x08, 0x00, 0x40, 0x11, 'S', 'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
                0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF);
        byte[] close = bytes(0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0);
        for (int i = 0; i < depth; i++) {
            nested.writeBytes(open);
        }
        for (int i = 0; i < depth; i++) {
            nested.writeBytes(close);
        }
        byte[] file = concat(metaHeader("1.2.840.10008.1.2.1"), nested.toByteArray(), imageHeader(16, 16),
                pixelDataHeader(512), new byte[512]);
        ApiProblem problem = rejectedCheaply(file, MAX_PIXELS, 4 * MIB);
        assertThat(problem.getBody().getDetail()).contains("nested deeper than");
    }

    @Test
    void millionsOfTinyElementsAreRejected() {
        ByteArrayOutputStream many = new ByteArrayOutputStream();
        byte[] empty = bytes(0x09, 0x00, 0, 0, 'O', 'B', 0, 0, 0, 0, 0, 0);
        for (int i = 0; i < 300_000; i++) {
            empty[0] = (byte) (0x09 + 2 * (i >>> 16)); // odd (private) groups, ascending
            putU16(empty, 2, i & 0xFFFF);
            many.writeBytes(empty);
        }
        byte[] file = concat(metaHeader("1.2.840.10008.1.2.1"), many.toByteArray(), imageHeader(16, 16),
                pixelDataHeader(512), new byte[512]);
        ApiProblem problem = rejectedCheaply(file, MAX_PIXELS, 16 * MIB);
        assertThat(problem.getBody().getDetail()).contains("more than 200000 elements");
    }
}
