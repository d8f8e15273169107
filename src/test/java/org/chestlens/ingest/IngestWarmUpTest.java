package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;

import org.chestlens.inference.ModelInput;
import org.junit.jupiter.api.Test;

/** The warm-up must go down the same paths as real uploads, not stop at a rejection. */
class IngestWarmUpTest {

    private final InnerEyePreprocessor preprocessor = new InnerEyePreprocessor(256, 224);

    @Test
    void syntheticDicomIsAnAcceptedTwelveBitChestRadiograph() {
        DicomDecoder.DecodedDicom decoded = DicomDecoder.decode(IngestWarmUp.dicom(1), "warm-up", Long.MAX_VALUE);
        assertThat(decoded.metadata().bitsStored()).isEqualTo(12);
        assertThat(decoded.warnings()).isEmpty();
        GreyImage grey = decoded.innerEyeValues();
        assertThat(grey.width()).isEqualTo(1024);
        assertThat(grey.height()).isEqualTo(1024);
        assertModelInput(preprocessor.apply(grey));
    }

    @Test
    void eachSyntheticDicomInstanceIsANewUpload() {
        byte[] first = IngestWarmUp.dicom(1);
        byte[] second = IngestWarmUp.dicom(2);
        assertThat(DicomDecoder.decode(first, "a", Long.MAX_VALUE).metadata().sopInstanceUid()).isEqualTo("2.25.1");
        assertThat(DicomDecoder.decode(second, "b", Long.MAX_VALUE).metadata().sopInstanceUid()).isEqualTo("2.25.2");
        assertThat(IngestService.sha256(first)).isNotEqualTo(IngestService.sha256(second));
    }

    @Test
    void syntheticPngsDecodeAtTheirBitDepth() {
        GreyImage eight = PngDecoder.decode(IngestWarmUp.png(BufferedImage.TYPE_BYTE_GRAY, 255), "warm-up", Long.MAX_VALUE);
        GreyImage sixteen = PngDecoder.decode(IngestWarmUp.png(BufferedImage.TYPE_USHORT_GRAY, 65_535), "warm-up",
                Long.MAX_VALUE);
        assertThat(eight.bitDepth()).isEqualTo(8);
        assertThat(sixteen.bitDepth()).isEqualTo(16);
        assertModelInput(preprocessor.apply(eight));
        assertModelInput(preprocessor.apply(sixteen));
    }

    private static void assertModelInput(ModelInput input) {
        assertThat(input).isNotNull();
        assertThat(input.pixels()).hasSize(224 * 224);
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : input.pixels()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertThat(max - min).as("contrast of the pre-processed warm-up image").isGreaterThan(0.5f);
    }
}
