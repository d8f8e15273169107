package org.chestlens.interop;

import static org.chestlens.interop.FhirElements.format;
import static org.chestlens.interop.FhirElements.imagingStudy;
import static org.chestlens.interop.FhirElements.narrative;
import static org.chestlens.interop.FhirElements.ref;
import static org.chestlens.interop.FhirElements.uuid;

import java.math.BigDecimal;
import java.util.Date;

import org.chestlens.prediction.ChestClass;
import org.chestlens.prediction.PredictionView;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;

/**
 * The Observations of a result bundle: one per class probability and one per sub-task score of the
 * InnerEye hierarchy, each preliminary and made by the model's Device.
 */
final class FhirObservations {

    static final String OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";
    static final String INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
    static final String DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason";
    static final String UCUM = "http://unitsofmeasure.org";
    /*
     * No standard terminology has codes for InnerEye's BSTI classes and sub-tasks, so they come from
     * code systems of this service, named in the same urn:chestlens: space as its problem types.
     * Validators report them as unknown code systems (a warning), which is the truth.
     */
    static final String CLASS_SYSTEM = "urn:chestlens:fhir:CodeSystem:chest-class-probability";
    static final String SUBTASK_SYSTEM = "urn:chestlens:fhir:CodeSystem:innereye-subtask-score";
    static final String RANK_SYSTEM = "urn:chestlens:fhir:CodeSystem:model-class-rank";
    static final String CALIBRATION_SYSTEM = "urn:chestlens:fhir:CodeSystem:probability-calibration";

    private FhirObservations() {
    }

    /** InnerEye's sub-tasks (docs/innereye.md §1): code, what a score is the probability of. */
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

    /** What the report and all observations share: issue time, subject, study, acquisition date, device. */
    record Shared(Date issued, Reference subject, String studyUid, DateTimeType effective, Device device) {
    }

    static Observation classObservation(PredictionView p, ChestClass c, Shared shared) {
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
                + format(probability) + ", " + meaning + calibratedText(p, p.calibratedProbabilities() == null ? null
                : p.calibratedProbabilities().get(c.code())) + ". Preliminary AI output, not reviewed by a clinician."));
        if (p.calibrationId() != null) {
            calibrated(o, p, p.calibratedProbabilities().get(c.code()));
        }
        return o;
    }

    static Observation subTaskObservation(PredictionView p, SubTask task, Shared shared) {
        Double score = task.score(p.subTaskScores());
        Observation o = observation(p, "subtask-" + task.name(), shared);
        o.setCode(new CodeableConcept(new Coding(SUBTASK_SYSTEM, task.name(), "Score: " + task.meaning))
                .setText("InnerEye sub-task " + task.name() + ": probability of " + task.meaning));
        if (score == null) {
            // Conditional scores are undefined when their condition has probability 0 (docs/innereye.md §1).
            o.setDataAbsentReason(new CodeableConcept(new Coding(DATA_ABSENT, "not-applicable", "Not Applicable"))
                    .setText("undefined: the condition of this sub-task has probability 0"));
            o.setText(narrative("InnerEye sub-task " + task.name() + ": undefined (its condition has probability 0)."));
        } else {
            o.setValue(probability(score));
            // InnerEye's decision rule: positive when the score is strictly above 0.5 (docs/innereye.md §4).
            boolean positive = score > 0.5;
            o.addInterpretation(interpretation(positive, positive ? "score above 0.5" : "score not above 0.5"));
            o.setText(narrative("InnerEye sub-task " + task.name() + ", probability of " + task.meaning + ": "
                    + format(score) + calibratedText(p, p.calibratedSubTaskScores() == null ? null
                    : task.score(p.calibratedSubTaskScores())) + ". Preliminary AI output, not reviewed by a clinician."));
        }
        if (p.calibrationId() != null) {
            calibrated(o, p, task.score(p.calibratedSubTaskScores()));
        }
        return o;
    }

    /**
     * The calibrated value as a component beside the raw value (Observation.value stays the model's raw
     * score): a receiver that knows nothing of calibration reads what it always read.
     */
    private static void calibrated(Observation o, PredictionView p, Double value) {
        Observation.ObservationComponentComponent component = o.addComponent();
        component.setCode(new CodeableConcept(new Coding(CALIBRATION_SYSTEM, "calibrated", "Calibrated probability"))
                .setText("Calibrated by calibration " + p.calibrationId()));
        if (value == null) {
            component.setDataAbsentReason(new CodeableConcept(new Coding(DATA_ABSENT, "not-applicable",
                    "Not Applicable")).setText("undefined: the condition of this sub-task has probability 0"));
        } else {
            component.setValue(probability(value));
        }
    }

    private static String calibratedText(PredictionView p, Double value) {
        return p.calibrationId() == null || value == null ? ""
                : " (calibrated: " + format(value) + ", calibration " + p.calibrationId() + ")";
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

    private static Quantity probability(double value) {
        // UCUM "1": a dimensionless ratio. BigDecimal.valueOf keeps the double's exact shortest decimal.
        return new Quantity().setValue(BigDecimal.valueOf(value)).setSystem(UCUM).setCode("1").setUnit("probability");
    }

    private static CodeableConcept interpretation(boolean positive, String text) {
        return new CodeableConcept(positive ? new Coding(INTERPRETATION, "POS", "Positive")
                : new Coding(INTERPRETATION, "NEG", "Negative")).setText(text);
    }
}
