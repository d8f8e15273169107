package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.chestlens.ingest.DicomDecoderTest.fixture;
import static org.chestlens.ingest.DicomDecoderTest.rejection;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.CodedSequenceItem;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import org.chestlens.TestDicom;
import org.chestlens.TestImages;
import org.chestlens.platform.ApiProblem;
import org.junit.jupiter.api.Test;

/**
 * Each check of the input gate under its three policies, on real files written by other software (pydicom's CT
 * and MR), on this project's fixtures (a three-frame film; a PA chest film made lateral by its ViewPosition or
 * its View Code Sequence) and on PNGs (tiny, almost blank).
 */
class InputGateTest {

    private static final long MAX_PIXELS = 40_000_000;

    @Test
    void aCtOrMrIsRefusedUnderRejectScoredWithAWarningUnderFlagAndQuietUnderOff() {
        for (String file : List.of("pydicom-CT_small.dcm", "pydicom-MR_small.dcm")) {
            String modality = file.contains("CT") ? "CT" : "MR";
            ApiProblem refused = rejection(() -> check(gate(Map.of("modality", "reject", "bodyPart", "off")), file));
            assertThat(refused.getStatusCode().value()).isEqualTo(422);
            assertThat(refused.getBody().getType().toString()).endsWith("not-a-chest-radiograph");
            assertThat(refused.getBody().getDetail()).contains("Modality is " + modality + ", not CR or DX");
            assertThat(refused.getBody().getProperties()).containsEntry("checks", List.of("modality"));

            assertThat(check(gate(Map.of("modality", "flag", "bodyPart", "off")), file))
                    .containsExactly("Modality is " + modality + ", not CR or DX");
            assertThat(check(gate(Map.of("modality", "off", "bodyPart", "off")), file)).isEmpty();
        }
    }

    @Test
    void aChestFilmPassesEveryCheckUnderTheDefaults() {
        assertThat(check(defaults(), "explicit-le.dcm")).isEmpty();
        assertThat(check(defaults(), "jpeg-lossless-p14.dcm")).isEmpty();
    }

    @Test
    void aMissingAttributeIsFlaggedEvenWhereItsCheckRejects() {
        // pydicom's MR has no BodyPartExamined: missing is a suspicion, never a certainty.
        assertThat(check(gate(Map.of("modality", "off", "bodyPart", "reject")), "pydicom-MR_small.dcm"))
                .containsExactly("BodyPartExamined missing; expected CHEST");
        byte[] noModality = edited("explicit-le.dcm", list -> list.remove(TagFromName.Modality));
        assertThat(checkBytes(gate(Map.of("modality", "reject")), noModality))
                .containsExactly("Modality missing; expected CR or DX");
    }

    @Test
    void aBodyPartOtherThanTheChestFollowsItsPolicy() {
        byte[] abdomen = edited("explicit-le.dcm", list -> put(list, TagFromName.BodyPartExamined, "ABDOMEN"));
        assertThat(rejection(() -> checkBytes(gate(Map.of("bodyPart", "reject")), abdomen)).getBody()
                .getProperties()).containsEntry("checks", List.of("body-part"));
        assertThat(checkBytes(gate(Map.of("bodyPart", "flag")), abdomen))
                .containsExactly("BodyPartExamined is ABDOMEN, not CHEST");
        assertThat(checkBytes(gate(Map.of("bodyPart", "off")), abdomen)).isEmpty();
        byte[] thorax = edited("explicit-le.dcm", list -> put(list, TagFromName.BodyPartExamined, "THORAX"));
        assertThat(checkBytes(gate(Map.of("bodyPart", "reject")), thorax)).isEmpty();
    }

    @Test
    void aLateralViewByViewPositionOrViewCodeFollowsItsPolicy() {
        byte[] byPosition = edited("explicit-le.dcm", list -> put(list, TagFromName.ViewPosition, "LL"));
        byte[] byCode = edited("explicit-le.dcm", list -> {
            list.remove(TagFromName.ViewPosition);
            SequenceAttribute view = new SequenceAttribute(TagFromName.ViewCodeSequence);
            view.addItem(new CodedSequenceItem("399067008", "SCT", "Lateral").getAttributeList());
            list.put(view);
        });
        byte[] decubitus = edited("explicit-le.dcm", list -> {
            list.remove(TagFromName.ViewPosition);
            SequenceAttribute view = new SequenceAttribute(TagFromName.ViewCodeSequence);
            view.addItem(new CodedSequenceItem("102538003", "SCT", "right lateral decubitus").getAttributeList());
            list.put(view);
        });
        ApiProblem refused = rejection(() -> checkBytes(defaults(), byPosition));
        assertThat(refused.getBody().getDetail()).contains("ViewPosition is LL (lateral)");
        assertThat(refused.getBody().getProperties()).containsEntry("checks", List.of("view"));
        assertThat(rejection(() -> checkBytes(defaults(), byCode)).getBody().getDetail())
                .contains("View Code Sequence says Lateral");
        assertThat(checkBytes(gate(Map.of("view", "flag")), byCode))
                .containsExactly("View Code Sequence says Lateral; the model reads frontal films");
        assertThat(checkBytes(gate(Map.of("view", "off")), byPosition)).isEmpty();
        assertThat(checkBytes(defaults(), decubitus)).as("a decubitus film is a frontal projection").isEmpty();
    }

    @Test
    void moreThanOneFrameFollowsItsPolicy() {
        assertThat(check(defaults(), "multiframe-3.dcm")).containsExactly("first of 3 frames used");
        assertThat(rejection(() -> check(gate(Map.of("frames", "reject")), "multiframe-3.dcm")).getBody()
                .getProperties()).containsEntry("checks", List.of("frames"));
        assertThat(check(gate(Map.of("frames", "off")), "multiframe-3.dcm")).isEmpty();
    }

    @Test
    void aTinyOrAlmostBlankImageFollowsThePixelPolicy() {
        GreyImage tiny = PngDecoder.decode(TestImages.syntheticPng(31, 48, 300), "#1", MAX_PIXELS);
        GreyImage blank = PngDecoder.decode(almostBlankPng(), "#1", MAX_PIXELS);
        GreyImage film = PngDecoder.decode(TestImages.syntheticPng(32, 300, 320), "#1", MAX_PIXELS);
        InputGate reject = defaults();
        assertThat(rejection(() -> reject.apply("#1", reject.pixelFindings(tiny))).getBody().getDetail())
                .contains("image is 48 x 300 pixels; a radiograph has at least 64 on each side");
        assertThat(rejection(() -> reject.apply("#1", reject.pixelFindings(blank))).getBody().getDetail())
                .contains("one value fills 99.0 % of the pixels");
        assertThat(reject.apply("#1", reject.pixelFindings(film))).isEmpty();
        InputGate flag = gate(Map.of("pixels", "flag"));
        assertThat(flag.apply("#1", flag.pixelFindings(blank))).hasSize(1);
        InputGate off = gate(Map.of("pixels", "off"));
        assertThat(off.apply("#1", off.pixelFindings(tiny))).isEmpty();
    }

    @Test
    void theDominantValueIsCountedOverTheWholeSignedRange() {
        assertThat(InputGate.dominantFraction(new int[] {-32768, -32768, 65535, 7})).isEqualTo(0.5);
        assertThat(InputGate.dominantFraction(new int[] {1, 2, 3, 4})).isEqualTo(0.25);
    }

    // --- helpers ----------------------------------------------------------------------------------

    private static InputGate defaults() {
        return gate(Map.of());
    }

    /** The defaults with the given checks' policies replaced (record component names). */
    private static InputGate gate(Map<String, String> policies) {
        InputGateProperties.Policy modality = policy(policies, "modality", "reject");
        return new InputGate(new InputGateProperties(modality, policy(policies, "bodyPart", "flag"),
                policy(policies, "view", "reject"), policy(policies, "frames", "flag"),
                policy(policies, "pixels", "reject"), 64, 0.95));
    }

    private static InputGateProperties.Policy policy(Map<String, String> policies, String check, String otherwise) {
        return InputGateProperties.Policy.valueOf(policies.getOrDefault(check, otherwise).toUpperCase());
    }

    private static List<String> check(InputGate gate, String fixture) {
        return checkBytes(gate, fixture(fixture));
    }

    /** What the upload path does: the header checks and the pixel check, then the policies. */
    private static List<String> checkBytes(InputGate gate, byte[] file) {
        DicomDecoder.DecodedDicom decoded = DicomDecoder.decode(file, "#1", MAX_PIXELS);
        List<InputGate.Finding> findings = new ArrayList<>(decoded.findings());
        findings.addAll(gate.pixelFindings(decoded.image()));
        return gate.apply("#1", findings);
    }

    private interface Edit {
        void apply(AttributeList list) throws Exception;
    }

    /** A fixture with its data set edited, written again as a Part 10 file. */
    private static byte[] edited(String fixture, Edit edit) {
        try {
            AttributeList list = new AttributeList();
            list.read(new DicomInputStream(new DataInputStream(new ByteArrayInputStream(fixture(fixture)))));
            edit.apply(list);
            return TestDicom.part10(list);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void put(AttributeList list, com.pixelmed.dicom.AttributeTag tag, String value) throws Exception {
        CodeStringAttribute attribute = new CodeStringAttribute(tag);
        attribute.addValue(value);
        list.put(attribute);
    }

    /** 300 x 300, 99 % black, with a small grey square: a scanned blank page, not a film. */
    private static byte[] almostBlankPng() {
        BufferedImage image = new BufferedImage(300, 300, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 30; x++) {
                image.getRaster().setSample(x, y, 0, 40 + (x + y) % 100);
            }
        }
        return TestImages.encode(image);
    }
}
