package org.chestlens.interop;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import org.chestlens.prediction.ChestClass;
import org.chestlens.prediction.DicomAttributes;
import org.chestlens.prediction.ImageView;
import org.chestlens.prediction.PredictionView;
import org.hl7.fhir.r4.model.Annotation;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * One prediction as FHIR R4 results: a Bundle of a preliminary DiagnosticReport, one Observation per
 * class probability and per sub-task score of the InnerEye hierarchy, a Device for the model and a
 * Provenance. Pure: everything comes from the arguments, so the same stored prediction always gives
 * the same resources (ids are derived from the prediction id), apart from the bundle's timestamp.
 */
final class FhirResultMapper {

    /*
     * Bundle type "collection", not "document": a document bundle is an attested clinical document
     * (a Composition first, with an author and attester, immutable once signed). This is unreviewed
     * model output that an integration engine files or forwards as a preliminary result, not a signed
     * report; a collection says exactly "these resources belong together", validates without a
     * Composition, and is what an EHR's inbound FHIR interface can split into its resources (or turn
     * into a transaction) as it sees fit.
     */
    static final Bundle.BundleType BUNDLE_TYPE = Bundle.BundleType.COLLECTION;

    static final String LOINC = "http://loinc.org";
    /*
     * LOINC 36554-4 "XR Chest Single view": the model reads exactly one frontal (PA or AP) chest
     * radiograph, so of the "XR Chest" family the single-view study is the accurate code. 36643-5
     * ("XR Chest 2 Views") would claim a lateral view we never see, 30746-2 ("Portable XR Chest
     * Views") only portable films, and 18748-4 ("Diagnostic imaging study") says nothing about the
     * body part. The IHE Imaging Diagnostic Report guide uses the same code for a single-view chest film.
     */
    static final String REPORT_LOINC = "36554-4";
    static final String REPORT_LOINC_DISPLAY = "XR Chest Single view";
    static final String V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074";
    static final String OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";
    static final String INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
    static final String DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason";
    static final String PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
    static final String DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation";
    static final String UCUM = "http://unitsofmeasure.org";
    static final String DICOM_UID = "urn:dicom:uid";
    static final String URI_IDENTIFIER = "urn:ietf:rfc:3986";
    /*
     * No standard terminology has codes for InnerEye's BSTI classes and sub-tasks, so they come from
     * code systems of this service, named in the same urn:chestlens: space as its problem types.
     * Validators report them as unknown code systems (a warning), which is the truth.
     */
    static final String CLASS_SYSTEM = "urn:chestlens:fhir:CodeSystem:chest-class-probability";
    static final String SUBTASK_SYSTEM = "urn:chestlens:fhir:CodeSystem:innereye-subtask-score";
    static final String RANK_SYSTEM = "urn:chestlens:fhir:CodeSystem:model-class-rank";
    static final String MODEL_IDENTIFIER_SYSTEM = "urn:chestlens:fhir:model-id";

    /** InnerEye's sub-tasks (INNEREYE.md §1): code, what a score is the probability of. */
    enum SubTask {
        CVX03vs12("COVID-19 features present (CVX1 or CVX2 rather than CVX0 or CVX3)"),
        CVX0vs3("other abnormality, given no COVID-19 features (CVX3 rather than CVX0)"),
        CVX1vs2("indeterminate, given COVID-19 features (CVX2 rather than CVX1)");

        final String meaning;

        SubTask(String meaning) {
            this.meaning = meaning;
        }

        Double score(PredictionView.SubTaskScoresView scores) {
            return switch (this) {
                case CVX03vs12 -> scores.cvx03vs12();
                case CVX0vs3 -> scores.cvx0vs3();
                case CVX1vs2 -> scores.cvx1vs2();
            };
        }
    }

    private FhirResultMapper() {
    }

    /**
     * @param image the prediction's image (its DICOM attributes name the study and instance)
     * @param subjectReference the client's FHIR subject reference, or null
     * @param assembledAt the bundle's timestamp
     */
    static Bundle bundle(PredictionView prediction, ImageView image, String subjectReference, Instant assembledAt) {
        UUID id = prediction.id();
        Date issued = Date.from(prediction.createdAt());
        Reference subject = subjectReference == null ? null : new Reference(subjectReference);
        DicomAttributes dicom = image.dicom();
        Device device = device(prediction);
        Shared shared = new Shared(issued, subject, dicom == null ? null : blankToNull(dicom.studyInstanceUid()),
                effective(dicom), device);

        List<Observation> observations = new ArrayList<>();
        for (ChestClass c : ChestClass.values()) {
            observations.add(classObservation(prediction, c, shared));
        }
        for (SubTask task : SubTask.values()) {
            observations.add(subTaskObservation(prediction, task, shared));
        }
        DiagnosticReport report = report(prediction, shared, observations);
        Provenance provenance = provenance(prediction, image, report, observations, device);

        Bundle bundle = new Bundle();
        bundle.setId(uuid(id, "bundle").toString());
        bundle.setType(BUNDLE_TYPE);
        bundle.setIdentifier(new Identifier().setSystem(URI_IDENTIFIER).setValue("urn:uuid:" + uuid(id, "bundle")));
        bundle.setTimestamp(Date.from(assembledAt));
        add(bundle, report);
        observations.forEach(o -> add(bundle, o));
        add(bundle, device);
        add(bundle, provenance);
        return bundle;
    }

    /** The text of DiagnosticReport.conclusion: what the model said, in words, and that nobody has reviewed it. */
    static String conclusion(PredictionView p) {
        StringBuilder text = new StringBuilder();
        text.append("Model output: most likely class ").append(p.predictedClass().code()).append(' ')
                .append(p.predictedClass().name()).append(" (p=").append(format(p.confidence())).append("). ");
        text.append("Class probabilities: ");
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Double> e : p.probabilities().entrySet()) {
            parts.add(e.getKey() + " " + format(e.getValue()));
        }
        text.append(String.join(", ", parts)).append(". Sub-task scores: ");
        parts.clear();
        for (SubTask task : SubTask.values()) {
            Double score = task.score(p.subTaskScores());
            parts.add(task.name() + " " + (score == null ? "undefined" : format(score)));
        }
        text.append(String.join(", ", parts)).append(". ");
        text.append("Model ").append(p.model().id()).append(' ').append(p.model().version()).append(". ");
        if (p.reliability() != null) {
            text.append("Error analysis: ").append(p.reliability().summary())
                    .append(p.reliability().flagged() ? " (flagged: above the model's overall error rate)" : "")
                    .append(". ");
        }
        text.append("Preliminary: produced by an AI model, not reviewed by a clinician.");
        if (p.notice() != null) {
            text.append(' ').append(p.notice());
        }
        return text.toString();
    }

    /** What the report and all observations share: issue time, subject, study, acquisition date, device. */
    private record Shared(Date issued, Reference subject, String studyUid, DateTimeType effective, Device device) {
    }

    private static DiagnosticReport report(PredictionView p, Shared shared, List<Observation> observations) {
        DiagnosticReport report = new DiagnosticReport();
        report.setId(uuid(p.id(), "report").toString());
        // The prediction id is the report's business identifier: an EHR that receives it twice can tell.
        report.addIdentifier().setSystem(URI_IDENTIFIER).setValue("urn:uuid:" + p.id());
        report.setStatus(DiagnosticReport.DiagnosticReportStatus.PRELIMINARY);
        report.addCategory(new CodeableConcept(new Coding(V2_0074, "RAD", "Radiology")));
        report.setCode(new CodeableConcept(new Coding(LOINC, REPORT_LOINC, REPORT_LOINC_DISPLAY))
                .setText("AI analysis of a chest radiograph (InnerEye hierarchical COVID-19 classifier)"));
        if (shared.subject() != null) {
            report.setSubject(shared.subject().copy());
        }
        if (shared.effective() != null) {
            report.setEffective(shared.effective().copy());
        }
        report.setIssued(shared.issued());
        if (shared.studyUid() != null) {
            report.addImagingStudy(imagingStudy(shared.studyUid()));
        }
        observations.forEach(o -> report.addResult(ref(o)));
        String conclusion = conclusion(p);
        report.setConclusion(conclusion);
        // Narrative, so an EHR that shows only text still shows what the model said and that nobody reviewed it.
        report.setText(narrative(conclusion));
        return report;
    }

    private static Observation classObservation(PredictionView p, ChestClass c, Shared shared) {
        double probability = p.probabilities().get(c.code());
        boolean predicted = p.predictedClass().code().equals(c.code());
        Observation o = observation(p, "class-" + c.code(), shared);
        o.setCode(new CodeableConcept(new Coding(CLASS_SYSTEM, c.code(), "Probability of " + c.description()))
                .setText("Model probability of " + c.code() + " (" + c.description() + ")"));
        o.setValue(probability(probability));
        String meaning = predicted ? "the model's most likely class" : "not the model's most likely class";
        // Not POS/NEG: "normal" being most likely is no positive finding, and a COVID-19 class at p=0.45
        // that is not the top class must not read as a negative COVID-19 result in an EHR.
        o.addInterpretation(new CodeableConcept(new Coding(RANK_SYSTEM, predicted ? "most-likely" : "not-most-likely",
                predicted ? "Most likely class" : "Not the most likely class")).setText(meaning));
        o.setText(narrative("Model probability of " + c.code() + " (" + c.description() + "): "
                + format(probability) + ", " + meaning + ". Preliminary AI output, not reviewed by a clinician."));
        return o;
    }

    private static Observation subTaskObservation(PredictionView p, SubTask task, Shared shared) {
        Double score = task.score(p.subTaskScores());
        Observation o = observation(p, "subtask-" + task.name(), shared);
        o.setCode(new CodeableConcept(new Coding(SUBTASK_SYSTEM, task.name(), "Score: " + task.meaning))
                .setText("InnerEye sub-task " + task.name() + ": probability of " + task.meaning));
        if (score == null) {
            // Conditional scores are undefined when their condition has probability 0 (INNEREYE.md §1).
            o.setDataAbsentReason(new CodeableConcept(new Coding(DATA_ABSENT, "not-applicable", "Not Applicable"))
                    .setText("undefined: the condition of this sub-task has probability 0"));
            o.setText(narrative("InnerEye sub-task " + task.name() + ": undefined (its condition has probability 0)."));
        } else {
            o.setValue(probability(score));
            // InnerEye's decision rule: positive when the score is strictly above 0.5 (INNEREYE.md §4).
            boolean positive = score > 0.5;
            o.addInterpretation(interpretation(positive, positive ? "score above 0.5" : "score not above 0.5"));
            o.setText(narrative("InnerEye sub-task " + task.name() + ", probability of " + task.meaning + ": "
                    + format(score) + ". Preliminary AI output, not reviewed by a clinician."));
        }
        return o;
    }

    private static Observation observation(PredictionView p, String role, Shared shared) {
        Observation o = new Observation();
        o.setId(uuid(p.id(), role).toString());
        o.setStatus(Observation.ObservationStatus.PRELIMINARY);
        o.addCategory(new CodeableConcept(new Coding(OBSERVATION_CATEGORY, "imaging", "Imaging")));
        if (shared.subject() != null) {
            o.setSubject(shared.subject().copy());
        }
        if (shared.effective() != null) {
            o.setEffective(shared.effective().copy());
        }
        o.setIssued(shared.issued());
        o.setDevice(ref(shared.device()));
        if (shared.studyUid() != null) {
            o.addDerivedFrom(imagingStudy(shared.studyUid()));
        }
        return o;
    }

    private static Device device(PredictionView p) {
        PredictionView.ModelRef model = p.model();
        Device device = new Device();
        device.setId(uuid(p.id(), "device").toString());
        device.addIdentifier().setSystem(MODEL_IDENTIFIER_SYSTEM).setValue(model.id());
        device.setStatus(Device.FHIRDeviceStatus.ACTIVE);
        device.addDeviceName().setName(model.id()).setType(Device.DeviceNameType.MODELNAME);
        device.setType(new CodeableConcept().setText(
                "AI model: InnerEye hierarchical chest X-ray classifier (cross-validation ensemble)"));
        device.addVersion().setType(new CodeableConcept().setText("model version")).setValue(model.version());
        // Each fold's weights, as a component version: the SHA-256 the service verified at start-up.
        List<String> checksums = model.foldChecksums();
        for (int k = 0; k < checksums.size(); k++) {
            device.addVersion().setType(new CodeableConcept().setText("fold weights SHA-256"))
                    .setComponent(new Identifier().setValue("fold-" + k)).setValue(checksums.get(k));
        }
        if (!model.trained()) {
            device.addNote(new Annotation().setText("Untrained model: randomly initialised weights."));
        }
        if (p.notice() != null) {
            device.addNote(new Annotation().setText(p.notice()));
        }
        device.setText(narrative("AI model " + model.id() + " version " + model.version() + ", " + checksums.size()
                + " cross-validation fold(s)" + (model.trained() ? "" : ", untrained")
                + (p.notice() == null ? "." : ". " + p.notice())));
        return device;
    }

    private static Provenance provenance(PredictionView p, ImageView image, DiagnosticReport report,
                                         List<Observation> observations, Device device) {
        Provenance provenance = new Provenance();
        provenance.setId(uuid(p.id(), "provenance").toString());
        provenance.addTarget(ref(report));
        observations.forEach(o -> provenance.addTarget(ref(o)));
        provenance.setRecordedElement(new InstantType(Date.from(p.createdAt())));
        provenance.setActivity(new CodeableConcept(new Coding(DATA_OPERATION, "CREATE", "create")));
        provenance.addAgent()
                .setType(new CodeableConcept(new Coding(PARTICIPANT_TYPE, "author", "Author")))
                .setWho(ref(device));
        provenance.addAgent()
                .setType(new CodeableConcept(new Coding(PARTICIPANT_TYPE, "assembler", "Assembler")))
                .setWho(new Reference().setDisplay("chestlens service (image ingest, inference, FHIR results)"));
        provenance.addEntity().setRole(Provenance.ProvenanceEntityRole.SOURCE).setWhat(imageReference(image));
        provenance.setText(narrative("Created by AI model " + p.model().id() + " " + p.model().version() + " from "
                + provenance.getEntityFirstRep().getWhat().getDisplay() + " at " + p.createdAt() + "."));
        return provenance;
    }

    /**
     * The scored image. A DICOM image by its SOP Instance UID, which PACS and EHR know; a PNG has no
     * identifier outside this service, so by its chestlens image id and content hash.
     */
    static Reference imageReference(ImageView image) {
        DicomAttributes dicom = image.dicom();
        if (dicom != null && blankToNull(dicom.sopInstanceUid()) != null) {
            return new Reference().setIdentifier(new Identifier().setSystem(DICOM_UID)
                            .setValue("urn:oid:" + dicom.sopInstanceUid()))
                    .setDisplay("DICOM instance (chestlens image " + image.id() + ")");
        }
        return new Reference().setIdentifier(new Identifier().setSystem(URI_IDENTIFIER)
                        .setValue("urn:uuid:" + image.id()))
                .setDisplay(image.format() + " image, SHA-256 " + image.sha256());
    }

    /**
     * A logical reference (by identifier, as DICOMweb and PACS name studies): the study lives on the
     * PACS or the EHR's imaging server, not in this bundle, and an ImagingStudy resource would need a
     * subject that a PNG or an anonymous upload does not have.
     */
    static Reference imagingStudy(String studyUid) {
        return new Reference().setType("ImagingStudy")
                .setIdentifier(new Identifier().setSystem(DICOM_UID).setValue("urn:oid:" + studyUid));
    }

    private static Narrative narrative(String text) {
        Narrative narrative = new Narrative().setStatus(Narrative.NarrativeStatus.GENERATED);
        narrative.setDivAsString("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>" + escapeXml(text) + "</p></div>");
        return narrative;
    }

    /**
     * When the image was acquired, as far as we know it: the DICOM Study Date (day precision). A PNG
     * carries no acquisition time, and the time of scoring is not the clinically relevant time, so
     * then there is none.
     */
    static DateTimeType effective(DicomAttributes dicom) {
        if (dicom == null || dicom.studyDate() == null) {
            return null;
        }
        try {
            LocalDate date = LocalDate.parse(dicom.studyDate().strip(), DateTimeFormatter.BASIC_ISO_DATE);
            return new DateTimeType(date.toString());
        } catch (DateTimeParseException | IllegalArgumentException notADicomDate) {
            return null;
        }
    }

    private static Quantity probability(double value) {
        // UCUM "1": a dimensionless ratio. BigDecimal.valueOf keeps the double's exact shortest decimal.
        return new Quantity().setValue(BigDecimal.valueOf(value)).setSystem(UCUM).setCode("1").setUnit("probability");
    }

    private static CodeableConcept interpretation(boolean positive, String text) {
        return new CodeableConcept(positive ? new Coding(INTERPRETATION, "POS", "Positive")
                : new Coding(INTERPRETATION, "NEG", "Negative")).setText(text);
    }

    private static void add(Bundle bundle, Resource resource) {
        bundle.addEntry().setFullUrl("urn:uuid:" + resource.getIdElement().getIdPart()).setResource(resource);
    }

    private static Reference ref(Resource resource) {
        return new Reference("urn:uuid:" + resource.getIdElement().getIdPart());
    }

    /** Stable per prediction and role, so every GET of the same prediction names its resources the same. */
    static UUID uuid(UUID predictionId, String role) {
        return UUID.nameUUIDFromBytes(("chestlens:" + predictionId + ":" + role).getBytes(StandardCharsets.UTF_8));
    }

    private static String format(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static String escapeXml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
