package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What dcmcjpeg cannot make: restart intervals (with every predictor and a point transform that loses
 * bits). The frames come from {@link #encode}, a minimal process 14 encoder written from T.81 annex H;
 * its output for these parameters was checked once against dcmtk's decoder (dcmdjpeg gave the same
 * values), so the test does not merely hold the decoder against its own reading of the standard. The
 * predictors without restarts, at 16 bits, are checked against dcmcjpeg's files in
 * {@link DicomDecoderTest}.
 */
class LosslessJpegTest {

    @ParameterizedTest
    @CsvSource({"1, 0, 7", "2, 0, 7", "3, 0, 7", "4, 0, 7", "5, 2, 7", "6, 0, 1", "7, 3, 7", "6, 4, 200"})
    void restartIntervalsAndPointTransformsDecodeToTheEncodedValues(int predictor, int pointTransform,
                                                                    int restartRows) {
        int[] twelveBit = DicomDecoderTest.reference();
        byte[] frame = encode(twelveBit, DicomDecoderTest.COLUMNS, DicomDecoderTest.ROWS, 12, predictor,
                pointTransform, restartRows);
        int[] decoded = DicomDecoder.decode(HostileDicom.withFirstFragment("jpeg-lossless-p14.dcm", frame), "f",
                DicomDecoderTest.MAX_PIXELS).image().samples();
        int[] expected = Arrays.stream(twelveBit).map(v -> v >> pointTransform << pointTransform).toArray();
        DicomDecoderTest.assertSameValues(decoded, expected, "SV " + predictor + ", Pt " + pointTransform);
    }

    @ParameterizedTest
    @CsvSource({"4, 0, 5", "5, 0, 5", "6, 1, 5", "7, 0, 5"})
    void sixteenBitRestartIntervalsWrapModulo65536(int predictor, int pointTransform, int restartRows) {
        int[] words = DicomDecoderTest.trailingWords(DicomDecoderTest.fixture("signed16-explicit-le.dcm"), 128 * 160);
        byte[] frame = encode(words, 160, 128, 16, predictor, pointTransform, restartRows);
        int[] decoded = DicomDecoder.decode(HostileDicom.withFirstFragment("signed16-jpeg-lossless.dcm", frame), "f",
                DicomDecoderTest.MAX_PIXELS).image().samples();
        int[] expected = Arrays.stream(words).map(w -> (short) (w >> pointTransform << pointTransform)).toArray();
        DicomDecoderTest.assertSameValues(decoded, expected, "16-bit SV " + predictor);
        assertThat(decoded).contains(-16384);
    }

    /** Code lengths per category 0..16: 14 four-bit codes, two of five bits, one of six. */
    private static final int[] COUNTS = {0, 0, 0, 0, 14, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    /**
     * One greyscale process 14 frame: SOF3, one Huffman table for categories 0..16, a restart interval of
     * {@code restartRows} lines (0: none), then the scan (T.81 H.1: the first line of each interval
     * predicted from the left, its first sample from 2^(P-Pt-1), the first sample of other lines from above).
     */
    static byte[] encode(int[] samples, int width, int height, int precision, int predictor, int pointTransform,
                         int restartRows) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(out, 0xFF, 0xD8, 0xFF, 0xC3, 0, 11, precision, height >> 8, height & 0xFF, width >> 8, width & 0xFF, 1,
                1, 0x11, 0);
        write(out, 0xFF, 0xC4, 0, 2 + 1 + 16 + 17, 0);
        for (int length = 1; length <= 16; length++) {
            out.write(COUNTS[length]);
        }
        for (int category = 0; category <= 16; category++) {
            out.write(category);
        }
        int interval = restartRows * width;
        if (restartRows > 0) {
            write(out, 0xFF, 0xDD, 0, 4, interval >> 8, interval & 0xFF);
        }
        write(out, 0xFF, 0xDA, 0, 8, 1, 1, 0, predictor, 0, pointTransform);
        int[] codes = new int[17];
        int[] lengths = new int[17];
        int code = 0;
        for (int length = 1, k = 0; length <= 16; length++, code <<= 1) {
            for (int i = 0; i < COUNTS[length]; i++, k++, code++) {
                codes[k] = code;
                lengths[k] = length;
            }
        }
        int[] r = Arrays.stream(samples).map(v -> v >> pointTransform).toArray();
        Bits bits = new Bits(out);
        for (int y = 0; y < height; y++) {
            boolean firstLine = restartRows == 0 ? y == 0 : y % restartRows == 0;
            if (firstLine && y > 0) {
                bits.flush();
                write(out, 0xFF, 0xD0 + ((y / restartRows - 1) & 7));
            }
            for (int x = 0; x < width; x++) {
                int i = y * width + x;
                int prediction;
                if (x == 0) {
                    prediction = firstLine ? 1 << (precision - pointTransform - 1) : r[i - width];
                } else if (firstLine) {
                    prediction = r[i - 1];
                } else {
                    int a = r[i - 1];
                    int b = r[i - width];
                    int c = r[i - width - 1];
                    prediction = switch (predictor) {
                        case 1 -> a;
                        case 2 -> b;
                        case 3 -> c;
                        case 4 -> a + b - c;
                        case 5 -> a + ((b - c) >> 1);
                        case 6 -> b + ((a - c) >> 1);
                        default -> (a + b) >> 1;
                    };
                }
                int difference = (r[i] - prediction) & 0xFFFF;
                difference = difference >= 32768 ? difference - 65536 : difference;
                int category = difference == -32768 ? 16
                        : difference == 0 ? 0 : 32 - Integer.numberOfLeadingZeros(Math.abs(difference));
                bits.put(codes[category], lengths[category]);
                if (category > 0 && category < 16) {
                    bits.put(difference > 0 ? difference : difference - 1, category);
                }
            }
        }
        bits.flush();
        write(out, 0xFF, 0xD9);
        return out.toByteArray();
    }

    private static void write(ByteArrayOutputStream out, int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
    }

    /** Entropy-coded bits, most significant first, with a 0x00 stuffed after every 0xFF. */
    private static final class Bits {
        private final ByteArrayOutputStream out;
        private long buffer;
        private int count;

        Bits(ByteArrayOutputStream out) {
            this.out = out;
        }

        void put(int value, int length) {
            buffer = buffer << length | (value & ((1L << length) - 1));
            count += length;
            while (count >= 8) {
                count -= 8;
                emit((int) (buffer >>> count) & 0xFF);
            }
        }

        /** Pads the last byte with 1 bits (T.81 F.1.2.3). */
        void flush() {
            if (count > 0) {
                put(0xFF, 8 - count);
            }
        }

        private void emit(int b) {
            out.write(b);
            if (b == 0xFF) {
                out.write(0);
            }
        }
    }
}
