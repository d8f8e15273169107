package org.chestlens.ingest;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The input gate: what the model was not made for (it reads one frontal chest radiograph) is refused or
 * flagged before it is scored. Each check has a policy: {@code reject} refuses what the check finds for certain
 * (422 not-a-chest-radiograph; STOW-RS and C-STORE 0x0110) and flags what it can only suspect (an attribute
 * that is missing); {@code flag} scores the image and stores the finding with it as a warning (C-STORE answers
 * Warning); {@code off} skips the check.
 *
 * @param modality DICOM Modality other than CR, DX or DR (CT, MR, US, ...); missing Modality is flagged
 * @param bodyPart BodyPartExamined present and not the chest (CHEST, THORAX, LUNG); missing is flagged. Sites
 *                 fill it unreliably, hence flag by default
 * @param view a lateral projection (ViewPosition LL or RL, or a lateral View Code Sequence); the model reads
 *             frontal films only
 * @param frames more than one frame (the first is scored)
 * @param pixels pixel statistics no radiograph has: a side shorter than min-side, or one value in more
 *               than max-dominant-fraction of the pixels (a blank page, a mask, a test pattern)
 * @param minSide shortest width or height, in pixels, of an image the pixel check lets through
 * @param maxDominantFraction largest share of the pixels one stored value may take
 */
@Validated
@ConfigurationProperties("chestlens.input-gate")
record InputGateProperties(
        @DefaultValue("reject") Policy modality,
        @DefaultValue("flag") Policy bodyPart,
        @DefaultValue("reject") Policy view,
        @DefaultValue("flag") Policy frames,
        @DefaultValue("reject") Policy pixels,
        @Min(1) @DefaultValue("64") int minSide,
        @DecimalMin("0.5") @DecimalMax("1.0") @DefaultValue("0.95") double maxDominantFraction) {

    enum Policy { REJECT, FLAG, OFF }

    Policy policy(InputGate.Check check) {
        return switch (check) {
            case MODALITY -> modality;
            case BODY_PART -> bodyPart;
            case VIEW -> view;
            case FRAMES -> frames;
            case PIXELS -> pixels;
        };
    }
}
