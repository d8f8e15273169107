package org.chestlens.ingest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.springframework.stereotype.Component;

/**
 * Applies the input gate's policies ({@link InputGateProperties}) to what the decoders found: throws for a
 * finding that a {@code reject} check is certain of, and returns the warnings to store with the image for the
 * rest. The DICOM checks look at the header ({@link #dicomFindings}); the pixel check at the decoded values,
 * for PNG and DICOM alike.
 */
@Component
class InputGate {

    /** The checks, by their configuration names. */
    enum Check {
        MODALITY("modality"), BODY_PART("body-part"), VIEW("view"), FRAMES("frames"), PIXELS("pixels");

        final String wireName;

        Check(String wireName) {
            this.wireName = wireName;
        }
    }

    /**
     * What one check found. {@code certain} is false where the check could only suspect (the attribute it needs
     * is missing): a {@code reject} policy flags those instead.
     */
    record Finding(Check check, boolean certain, String message) {
    }

    private static final Set<String> RADIOGRAPHY = Set.of("CR", "DX", "DR");
    private static final Set<String> LATERAL_VIEW_POSITIONS = Set.of("LL", "RL");

    private final InputGateProperties properties;

    InputGate(InputGateProperties properties) {
        this.properties = properties;
    }

    /**
     * The warnings to store with the image: every finding of a {@code flag} check and the uncertain findings of a
     * {@code reject} check. Throws {@link UploadRejectedException} (not a chest radiograph) naming every certain
     * finding of a {@code reject} check.
     */
    List<String> apply(String part, List<Finding> findings) {
        List<String> warnings = new ArrayList<>();
        List<Finding> refused = new ArrayList<>();
        for (Finding finding : findings) {
            switch (properties.policy(finding.check())) {
                case OFF -> { }
                case FLAG -> warnings.add(finding.message());
                case REJECT -> {
                    if (finding.certain()) {
                        refused.add(finding);
                    } else {
                        warnings.add(finding.message());
                    }
                }
            }
        }
        if (!refused.isEmpty()) {
            throw UploadRejected.notAChestRadiograph(part, refused.stream().map(Finding::message).toList(),
                    refused.stream().map(f -> f.check().wireName).distinct().toList());
        }
        return warnings;
    }

    /** The pixel check: a side shorter than {@code min-side}, or one value in almost every pixel. */
    List<Finding> pixelFindings(GreyImage image) {
        List<Finding> findings = new ArrayList<>();
        int shortest = Math.min(image.width(), image.height());
        if (shortest < properties.minSide()) {
            findings.add(new Finding(Check.PIXELS, true, "image is " + image.width() + " x " + image.height()
                    + " pixels; a radiograph has at least " + properties.minSide() + " on each side"));
        }
        double dominant = image.dominantFraction();
        // One value everywhere is refused as no-contrast further on, whatever the gate says.
        if (dominant > properties.maxDominantFraction() && dominant < 1) {
            findings.add(new Finding(Check.PIXELS, true, String.format(Locale.ROOT,
                    "one value fills %.1f %% of the pixels; a radiograph has more than that in it", 100 * dominant)));
        }
        return findings;
    }

    /** The header checks of a DICOM image. */
    static List<Finding> dicomFindings(String modality, String bodyPart, String viewPosition, String viewCodeMeaning,
                                       int frames) {
        List<Finding> findings = new ArrayList<>();
        if (frames > 1) {
            findings.add(new Finding(Check.FRAMES, true, "first of " + frames + " frames used"));
        }
        if (modality == null) {
            findings.add(new Finding(Check.MODALITY, false, "Modality missing; expected CR or DX"));
        } else if (!RADIOGRAPHY.contains(modality.toUpperCase(Locale.ROOT))) {
            findings.add(new Finding(Check.MODALITY, true, "Modality is " + modality + ", not CR or DX"));
        }
        if (bodyPart == null) {
            findings.add(new Finding(Check.BODY_PART, false, "BodyPartExamined missing; expected CHEST"));
        } else if (!isChest(bodyPart)) {
            findings.add(new Finding(Check.BODY_PART, true, "BodyPartExamined is " + bodyPart + ", not CHEST"));
        }
        if (viewPosition != null && LATERAL_VIEW_POSITIONS.contains(viewPosition.toUpperCase(Locale.ROOT))) {
            findings.add(new Finding(Check.VIEW, true, "ViewPosition is " + viewPosition
                    + " (lateral); the model reads frontal films"));
        } else if (viewCodeMeaning != null && isLateral(viewCodeMeaning)) {
            findings.add(new Finding(Check.VIEW, true, "View Code Sequence says " + viewCodeMeaning
                    + "; the model reads frontal films"));
        }
        return findings;
    }

    private static boolean isChest(String bodyPart) {
        String upper = bodyPart.toUpperCase(Locale.ROOT);
        return upper.contains("CHEST") || upper.contains("THORAX") || upper.contains("LUNG");
    }

    /** Lateral, left or right lateral (CID 4010), but not a lateral decubitus, which is a frontal projection. */
    private static boolean isLateral(String meaning) {
        String lower = meaning.toLowerCase(Locale.ROOT);
        return lower.contains("lateral") && !lower.contains("decubitus") && !lower.contains("latero-medial")
                && !lower.contains("medio-lateral");
    }

    /**
     * The share of the pixels holding the commonest value. Samples are stored values of at most 16 bits, signed
     * ones sign-extended: one counter per possible value, no copy of the image. Outside that range: 0 (not a
     * stored value of a radiograph's range; other checks have refused it already).
     */
    static double dominantFraction(int[] samples) {
        return new GreyImage(samples, samples.length, 1, 16, "GREY").dominantFraction();
    }
}
