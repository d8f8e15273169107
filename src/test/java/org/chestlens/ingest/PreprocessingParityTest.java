package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.chestlens.ReferenceTensors;
import org.chestlens.TestImages;
import org.chestlens.inference.ModelInput;
import org.junit.jupiter.api.Test;

/**
 * Our pre-processing against the tensors InnerEye's own pipeline (PIL + torchvision, in the export
 * script) produced from the same PNG files. On x86-64 with AVX2 the result is bit-identical; torch
 * builds without fused multiply-adds (or on a GPU) can differ in the last bit, hence the tolerance.
 */
class PreprocessingParityTest {

    static final double TOLERANCE = 1e-6;

    @Test
    void modelInputMatchesTorchvisionForEveryReferenceImage() {
        List<ReferenceTensors.Case> cases = ReferenceTensors.load(TestImages.REFERENCE_DIR);
        assertThat(cases).hasSizeGreaterThanOrEqualTo(5);
        InnerEyePreprocessor preprocessor = new InnerEyePreprocessor(256, 224);
        double worst = 0;
        int identical = 0;
        int total = 0;
        for (ReferenceTensors.Case reference : cases) {
            byte[] png = TestImages.reference(reference.png());
            GreyImage grey = PngDecoder.decode(png, reference.png(), Long.MAX_VALUE);
            ModelInput input = preprocessor.apply(grey);
            assertThat(input.height()).isEqualTo(reference.height());
            assertThat(input.width()).isEqualTo(reference.width());
            double caseWorst = 0;
            for (int i = 0; i < input.pixels().length; i++) {
                double diff = Math.abs(input.pixels()[i] - reference.input()[i]);
                caseWorst = Math.max(caseWorst, diff);
                identical += diff == 0 ? 1 : 0;
                total++;
            }
            System.out.printf("parity %-22s max |java - torchvision| = %.3g%n", reference.png(), caseWorst);
            assertThat(caseWorst).as(reference.png()).isLessThanOrEqualTo(TOLERANCE);
            worst = Math.max(worst, caseWorst);
        }
        System.out.printf("parity overall: max difference %.3g, %d of %d values bit-identical%n", worst, identical,
                total);
    }

    @Test
    void pillowTruncatesFloatToEightBits() {
        assertThat(InnerEyePreprocessor.truncateToByte(0.6f)).isZero();
        assertThat(InnerEyePreprocessor.truncateToByte(1.5f)).isEqualTo(1);
        assertThat(InnerEyePreprocessor.truncateToByte(254.9f)).isEqualTo(254);
        assertThat(InnerEyePreprocessor.truncateToByte(255f)).isEqualTo(255);
        assertThat(InnerEyePreprocessor.truncateToByte(-3f)).isZero();
    }

    @Test
    void aConstantImageCannotBeNormalised() {
        GreyImage flat = new GreyImage(new int[300 * 300], 300, 300, 8, "GREY");
        assertThat(new InnerEyePreprocessor(256, 224).apply(flat)).isNull();
    }

    @Test
    void colourIsConvertedWithPillowsLuminanceWeights() {
        assertThat(PngDecoder.luminance(255, 255, 255)).isEqualTo(255);
        assertThat(PngDecoder.luminance(255, 0, 0)).isEqualTo(76);
        assertThat(PngDecoder.luminance(0, 255, 0)).isEqualTo(150);
        assertThat(PngDecoder.luminance(0, 0, 255)).isEqualTo(29);
    }
}
