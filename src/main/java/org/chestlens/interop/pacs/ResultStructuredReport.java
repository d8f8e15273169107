package org.chestlens.interop.pacs;

import static org.chestlens.interop.pacs.DicomHeaders.put;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.CodedSequenceItem;
import com.pixelmed.dicom.ContentItem;
import com.pixelmed.dicom.ContentItemFactory;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.StructuredReport;
import com.pixelmed.dicom.TagFromName;

import org.chestlens.prediction.ChestClass;
import org.chestlens.prediction.DicomAttributes;
import org.chestlens.prediction.PredictionView;


/**
 * One prediction as a DICOM Comprehensive SR (PS3.3 A.35.3), built with PixelMed's content item classes.
 * A new series in the source image's study; the tree (see docs/pacs.md for every code):
 * <pre>
 * CONTAINER (18748-4, LN, "Diagnostic Imaging Report")
 *   HAS CONCEPT MOD  CODE  Language = en-US; Document Title Modifier = AI algorithm output (99CHESTLENS)
 *   HAS OBS CONTEXT  CODE  Observer Type = Device (DCM 121007); UIDREF Device Observer UID; TEXT name,
 *                          manufacturer, model name
 *   CONTAINS CONTAINER Image Library (DCM 111028) CONTAINS IMAGE Source (SCT 260753009): the scored image
 *   CONTAINS CONTAINER Imaging Measurements (DCM 126010)
 *     HAS CONCEPT MOD TEXT Algorithm Name / Version / Parameters (DCM 111001/111003/111002: fold SHA-256s)
 *     CONTAINS NUM  probability of each class CVX0..CVX3, and the three sub-task scores (99CHESTLENS)
 *     CONTAINS CODE Finding (DCM 121071) = the most likely class (99CHESTLENS)
 *     CONTAINS TEXT notice, reliability (99CHESTLENS), and Comment (DCM 121106): unverified AI output
 * </pre>
 * Comprehensive rather than Enhanced SR: the content would fit Enhanced SR, but Comprehensive SR is the
 * class PACS, viewers (OHIF, Orthanc) and the IHE AI Results profile accept everywhere, and it allows the
 * by-reference relationships a later version can use to point the scores at the Secondary Capture.
 */
final class ResultStructuredReport {

    static final String SOP_CLASS = SOPClass.ComprehensiveSRStorage;
    /** Series numbers high above any acquisition's, as AI results are conventionally numbered. */
    static final int SERIES_NUMBER = 9901;
    /** Our coding scheme (a "99" prefix: private, PS3.16 8.2), declared in the Coding Scheme Identification Sequence. */
    static final String SCHEME = "99CHESTLENS";
    static final String SCHEME_NAME = "chestlens InnerEye hierarchical COVID-19 chest X-ray classes";
    static final String SCHEME_UID = DicomUids.of("coding-scheme:99CHESTLENS");
    /** Code values of calibrated scores: this prefix and the raw item's code value (CALCVX1P, CALCVX03vs12). */
    static final String CALIBRATED_PREFIX = "CAL";
    private static final AttributeTag PRELIMINARY_FLAG = new AttributeTag(0x0040, 0xA496);

    /** Code meanings of the sub-task scores (at most 64 characters: LO), by the API's names. */
    static final Map<String, String> SUB_TASK_MEANINGS = Map.of(
            "CVX03vs12", "COVID-19 features present (CVX1 or CVX2 vs CVX0 or CVX3)",
            "CVX0vs3", "Other abnormality given no COVID-19 features (CVX3 vs CVX0)",
            "CVX1vs2", "Indeterminate given COVID-19 features (CVX2 vs CVX1)");

    private ResultStructuredReport() {
    }

    /**
     * @param source the scored image's stored DICOM attributes (study, series, SOP Instance UID)
     * @param sourceSopClassUid the scored image's SOP Class UID
     */
    static AttributeList build(PredictionView p, DicomAttributes source, String sourceSopClassUid,
                               PatientModule patient, String sopInstanceUid, String seriesUid) {
        try {
            ContentItem root = content(p, source, sourceSopClassUid);
            AttributeList list = new StructuredReport(root).getAttributeList();
            put(list, TagFromName.SpecificCharacterSet, "ISO_IR 192");
            DicomHeaders.patient(list, patient);
            DicomHeaders.study(list, source);
            DicomHeaders.equipment(list, p.model());
            DicomHeaders.instance(list, SOP_CLASS, sopInstanceUid, seriesUid, SERIES_NUMBER, p.createdAt());
            put(list, TagFromName.Modality, "SR");
            put(list, TagFromName.SeriesDescription, "AI result (chestlens, not verified)");
            DicomHeaders.sequence(list, TagFromName.ReferencedPerformedProcedureStepSequence);
            DicomHeaders.sequence(list, TagFromName.PerformedProcedureCodeSequence);
            put(list, TagFromName.CompletionFlag, "COMPLETE");
            // Nobody has reviewed this: unverified, and a preliminary (not final) report.
            put(list, TagFromName.VerificationFlag, "UNVERIFIED");
            CodeStringAttribute preliminary = new CodeStringAttribute(PRELIMINARY_FLAG);
            preliminary.addValue("PRELIMINARY");
            list.put(preliminary);
            evidence(list, source, sourceSopClassUid);
            codingScheme(list);
            return list;
        } catch (DicomException e) {
            throw new IllegalStateException("Cannot build the SR of prediction " + p.id(), e);
        }
    }

    private static ContentItem content(PredictionView p, DicomAttributes source, String sourceSopClassUid)
            throws DicomException {
        ContentItemFactory f = new ContentItemFactory();
        ContentItem root = f.makeContainerContentItem(null, null,
                code("18748-4", "LN", "Diagnostic Imaging Report"), true);
        f.makeCodeContentItem(root, "HAS CONCEPT MOD", code("121049", "DCM", "Language of Content Item and Descendants"),
                code("en-US", "RFC5646", "English (United States)"));
        f.makeCodeContentItem(root, "HAS CONCEPT MOD", code("113011", "DCM", "Document Title Modifier"),
                code("AIOUTPUT", SCHEME, "Produced by an AI algorithm"));
        // TID 1002 Observer Context, device observer (TID 1004): the model is the observer.
        f.makeCodeContentItem(root, "HAS OBS CONTEXT", code("121005", "DCM", "Observer Type"),
                code("121007", "DCM", "Device"));
        f.makeUIDContentItem(root, "HAS OBS CONTEXT", code("121012", "DCM", "Device Observer UID"),
                DicomUids.of("model:" + p.model().id() + ":" + p.model().version()));
        f.makeTextContentItem(root, "HAS OBS CONTEXT", code("121013", "DCM", "Device Observer Name"), p.model().id());
        f.makeTextContentItem(root, "HAS OBS CONTEXT", code("121014", "DCM", "Device Observer Manufacturer"),
                DicomHeaders.MANUFACTURER);
        f.makeTextContentItem(root, "HAS OBS CONTEXT", code("121015", "DCM", "Device Observer Model Name"),
                p.model().id() + " " + p.model().version());

        ContentItem library = f.makeContainerContentItem(root, "CONTAINS", code("111028", "DCM", "Image Library"), true);
        f.makeImageContentItem(library, "CONTAINS", code("260753009", "SCT", "Source"), sourceSopClassUid,
                source.sopInstanceUid(), 0, 0, null, null, null, null);

        ContentItem results = f.makeContainerContentItem(root, "CONTAINS", code("126010", "DCM", "Imaging Measurements"),
                true);
        // TID 4019 Algorithm Identification: name, version, and each fold's weights as a parameter.
        f.makeTextContentItem(results, "HAS CONCEPT MOD", code("111001", "DCM", "Algorithm Name"), p.model().id());
        f.makeTextContentItem(results, "HAS CONCEPT MOD", code("111003", "DCM", "Algorithm Version"), p.model().version());
        List<String> checksums = p.model().foldChecksums();
        for (int k = 0; k < checksums.size(); k++) {
            f.makeTextContentItem(results, "HAS CONCEPT MOD", code("111002", "DCM", "Algorithm Parameters"),
                    "fold " + k + " weights SHA-256 " + checksums.get(k));
        }
        CodedSequenceItem noUnits = code("1", "UCUM", "no units");
        for (ChestClass c : ChestClass.values()) {
            f.makeNumericContentItem(results, "CONTAINS", probabilityConcept(c),
                    decimal(p.probabilities().get(c.code())), noUnits);
        }
        for (Map.Entry<String, Double> task : p.subTaskScores().byName().entrySet()) {
            Double score = task.getValue();
            // Undefined (its condition has probability 0): no value, and the reason as a numeric qualifier.
            f.makeNumericContentItem(results, "CONTAINS", code(task.getKey(), SCHEME,
                            SUB_TASK_MEANINGS.get(task.getKey())),
                    score == null ? null : decimal(score), noUnits,
                    score == null ? code("114003", "DCM", "Divide by zero") : null);
        }
        if (p.calibrationId() != null) {
            // Own codes beside the raw ones, which stay as they are; the calibration is named in the text item.
            for (ChestClass c : ChestClass.values()) {
                f.makeNumericContentItem(results, "CONTAINS", code(CALIBRATED_PREFIX + c.code() + "P", SCHEME,
                        "Calibrated probability of " + c.code() + " " + c.description()),
                        decimal(p.calibratedProbabilities().get(c.code())), noUnits);
            }
            for (Map.Entry<String, Double> task : p.calibratedSubTaskScores().byName().entrySet()) {
                Double score = task.getValue();
                f.makeNumericContentItem(results, "CONTAINS", code(CALIBRATED_PREFIX + task.getKey(), SCHEME,
                                "Calibrated score " + task.getKey()), score == null ? null : decimal(score), noUnits,
                        score == null ? code("114003", "DCM", "Divide by zero") : null);
            }
            f.makeTextContentItem(results, "CONTAINS", code("CALIBRATION", SCHEME, "Probability calibration"),
                    "Calibrated values from calibration " + p.calibrationId() + "; the model's raw values unchanged");
        }
        f.makeCodeContentItem(results, "CONTAINS", code("121071", "DCM", "Finding"),
                classCode(ChestClass.valueOf(p.predictedClass().code())));
        if (p.notice() != null) {
            f.makeTextContentItem(results, "CONTAINS", code("NOTICE", SCHEME, "Model notice"), p.notice());
        }
        if (p.reliability() != null) {
            f.makeTextContentItem(results, "CONTAINS", code("RELIABILITY", SCHEME, "Error rate on similar cases"),
                    p.reliability().summary() + (p.reliability().flagged()
                            ? " (flagged: above the model's overall error rate)" : ""));
        }
        f.makeTextContentItem(results, "CONTAINS", code("121106", "DCM", "Comment"),
                "AI output - not for diagnostic use - preliminary. Produced by model " + p.model().id() + " "
                        + p.model().version() + "; not reviewed by a clinician.");
        return root;
    }

    /** A class of the InnerEye hierarchy as a code of our scheme: CVX0..CVX3, meaning as the API's class name. */
    static CodedSequenceItem classCode(ChestClass c) throws DicomException {
        String meaning = c.description().substring(0, 1).toUpperCase(Locale.ROOT) + c.description().substring(1);
        return code(c.code(), SCHEME, meaning);
    }

    static CodedSequenceItem probabilityConcept(ChestClass c) throws DicomException {
        return code(c.code() + "P", SCHEME, "Probability of " + c.code() + " " + c.description());
    }

    /** At most 16 characters (DS): six decimals of a value in [0, 1]. */
    static String decimal(double value) {
        return String.format(Locale.ROOT, "%.6f", value);
    }

    /** Current Requested Procedure Evidence: the scored image, by study, series and SOP Instance UID. */
    private static void evidence(AttributeList list, DicomAttributes source, String sourceSopClassUid) {
        AttributeList sop = new AttributeList();
        put(sop, TagFromName.ReferencedSOPClassUID, sourceSopClassUid);
        put(sop, TagFromName.ReferencedSOPInstanceUID, source.sopInstanceUid());
        AttributeList series = new AttributeList();
        put(series, TagFromName.SeriesInstanceUID, source.seriesInstanceUid());
        DicomHeaders.sequence(series, TagFromName.ReferencedSOPSequence).addItem(sop);
        AttributeList study = new AttributeList();
        put(study, TagFromName.StudyInstanceUID, source.studyInstanceUid());
        DicomHeaders.sequence(study, TagFromName.ReferencedSeriesSequence).addItem(series);
        DicomHeaders.sequence(list, TagFromName.CurrentRequestedProcedureEvidenceSequence).addItem(study);
    }

    private static void codingScheme(AttributeList list) {
        AttributeList item = new AttributeList();
        put(item, TagFromName.CodingSchemeDesignator, SCHEME);
        put(item, TagFromName.CodingSchemeUID, SCHEME_UID);
        put(item, TagFromName.CodingSchemeName, SCHEME_NAME);
        put(item, TagFromName.CodingSchemeResponsibleOrganization, DicomHeaders.MANUFACTURER);
        SequenceAttribute sequence = DicomHeaders.sequence(list, TagFromName.CodingSchemeIdentificationSequence);
        sequence.addItem(item);
    }

    static CodedSequenceItem code(String value, String scheme, String meaning) throws DicomException {
        return new CodedSequenceItem(value, scheme, meaning);
    }
}
