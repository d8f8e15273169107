package org.chestlens.interop.hl7;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;

import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.model.DataTypeException;
import ca.uhn.hl7v2.model.v251.datatype.CE;
import ca.uhn.hl7v2.model.v251.datatype.CWE;
import ca.uhn.hl7v2.model.v251.datatype.EI;
import ca.uhn.hl7v2.model.v251.datatype.NM;
import ca.uhn.hl7v2.model.v251.datatype.ST;
import ca.uhn.hl7v2.model.v251.datatype.TX;
import ca.uhn.hl7v2.model.v251.group.ORU_R01_ORDER_OBSERVATION;
import ca.uhn.hl7v2.model.v251.group.ORU_R01_PATIENT_RESULT;
import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.model.v251.segment.MSH;
import ca.uhn.hl7v2.model.v251.segment.OBR;
import ca.uhn.hl7v2.model.v251.segment.OBX;
import ca.uhn.hl7v2.model.v251.segment.ORC;
import ca.uhn.hl7v2.model.v251.segment.PID;
import ca.uhn.hl7v2.parser.Parser;
import org.chestlens.prediction.ChestClass;
import org.chestlens.prediction.HospitalIdentifiers;
import org.chestlens.prediction.PredictionView;
import org.chestlens.prediction.Reliability;

/**
 * HL7 v2.5.1 ORU^R01 messages of a prediction (result status P: computed by software, not verified by a
 * clinician) or of a final failure (result status X), built with HAPI and encoded as ER7 through HAPI's
 * default validation. The segment map and the abnormal-flag rule are in docs/hl7.md.
 */
final class OruMessages {

    static final String LOCAL = "L";
    static final String SERVICE_CODE = "CHESTLENS-CXR";
    static final String SERVICE_TEXT = "Chest X-ray AI analysis";
    static final String CLASS_CODE = "CHESTLENS-CLASS";
    static final String NOTE_CODE = "CHESTLENS-NOTE";
    /** OBX-3 codes of calibrated scores: this prefix and the raw score's code (CAL-CVX1, CAL-CVX03vs12). */
    static final String CALIBRATED_PREFIX = "CAL-";
    static final String PRELIMINARY = "Preliminary result computed by software (chestlens), not verified by a "
            + "clinician. Not a medical device.";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final java.util.regex.Pattern REFERENCE = java.util.regex.Pattern.compile(
            "(?:(.*)/)?(Patient|Group|Device|Location)/([A-Za-z0-9\\-.]{1,64})(?:/_history/.*)?");
    // HAPI contexts are thread-safe once configured; one holds the default validation rules.
    private static final HapiContext CONTEXT = new DefaultHapiContext();

    private OruMessages() {
    }

    /** MSH-3 to MSH-6 and MSH-11. */
    record Header(String sendingApplication, String sendingFacility, String receivingApplication,
                  String receivingFacility, String processingId) {
    }

    /** MSH-10: unique, 20 characters at most (the field's length in v2.5.1). */
    static String newControlId() {
        byte[] bytes = new byte[9];
        RANDOM.nextBytes(bytes);
        return "CL" + HexFormat.of().withUpperCase().formatHex(bytes);
    }

    static Parser parser() {
        return CONTEXT.getPipeParser();
    }

    static HapiContext context() {
        return CONTEXT;
    }

    /** The ORU^R01 of a stored prediction, as ER7. */
    static String completed(Header header, String controlId, Instant sentAt, PredictionView prediction,
                            HospitalIdentifiers identifiers) {
        try {
            ORU_R01 message = new ORU_R01();
            ORU_R01_PATIENT_RESULT result = start(message, header, controlId, sentAt, identifiers);
            ORU_R01_ORDER_OBSERVATION order = result.getORDER_OBSERVATION();
            order(order, prediction.imageId(), identifiers, prediction.createdAt(), "P");
            Observations obx = new Observations(message, order, prediction.createdAt(), "P");
            ChestClass predicted = ChestClass.valueOf(prediction.predictedClass().code());
            for (ChestClass c : ChestClass.values()) {
                obx.number(c.code(), c.description(), prediction.probabilities().get(c.code()),
                        c == predicted ? (c == ChestClass.CVX0 ? "N" : "A") : null);
            }
            PredictionView.SubTaskScoresView scores = prediction.subTaskScores();
            obx.number("CVX03vs12", "P(COVID-19 features), p1 + p2", scores.cvx03vs12(), flag(scores.cvx03vs12()));
            obx.number("CVX0vs3", "P(other abnormality | no COVID-19 features), p3 / (p0 + p3)", scores.cvx0vs3(),
                    flag(scores.cvx0vs3()));
            obx.number("CVX1vs2", "P(indeterminate | COVID-19 features), p2 / (p1 + p2)", scores.cvx1vs2(), null);
            if (prediction.calibrationId() != null) {
                // Own codes, so a receiver that maps CVX0..CVX3 keeps reading the raw scores unchanged.
                for (ChestClass c : ChestClass.values()) {
                    obx.number(CALIBRATED_PREFIX + c.code(), "Calibrated probability of " + c.description(),
                            prediction.calibratedProbabilities().get(c.code()), null);
                }
                PredictionView.SubTaskScoresView calibrated = prediction.calibratedSubTaskScores();
                obx.number(CALIBRATED_PREFIX + "CVX03vs12", "Calibrated P(COVID-19 features)", calibrated.cvx03vs12(),
                        null);
                obx.number(CALIBRATED_PREFIX + "CVX0vs3", "Calibrated P(other abnormality | no COVID-19 features)",
                        calibrated.cvx0vs3(), null);
                obx.number(CALIBRATED_PREFIX + "CVX1vs2", "Calibrated P(indeterminate | COVID-19 features)",
                        calibrated.cvx1vs2(), null);
            }
            obx.codedClass(predicted);
            if (identifiers.studyInstanceUid() != null) {
                obx.text("ST", "110180", "Study Instance UID", "DCM", List.of(identifiers.studyInstanceUid()));
            }
            obx.text("TX", NOTE_CODE, "Model, notice and reliability", LOCAL, note(prediction));
            return parser().encode(message);
        } catch (HL7Exception e) {
            throw new IllegalStateException("ORU^R01 could not be built: " + e.getMessage(), e);
        }
    }

    /** The ORU^R01 of an image that could not be scored: OBR result status X and the reason. */
    static String failed(Header header, String controlId, Instant sentAt, UUID imageId, String modelId,
                         String modelVersion, String reason, Instant failedAt, HospitalIdentifiers identifiers) {
        try {
            ORU_R01 message = new ORU_R01();
            ORU_R01_PATIENT_RESULT result = start(message, header, controlId, sentAt, identifiers);
            ORU_R01_ORDER_OBSERVATION order = result.getORDER_OBSERVATION();
            order(order, imageId, identifiers, failedAt, "X");
            Observations obx = new Observations(message, order, failedAt, "X");
            obx.text("TX", NOTE_CODE, "Model, notice and reliability", LOCAL, List.of(
                    "Model: " + modelId + " " + modelVersion, "No result: the image could not be scored. " + reason));
            return parser().encode(message);
        } catch (HL7Exception e) {
            throw new IllegalStateException("ORU^R01 could not be built: " + e.getMessage(), e);
        }
    }

    private static ORU_R01_PATIENT_RESULT start(ORU_R01 message, Header header, String controlId, Instant sentAt,
                                                HospitalIdentifiers identifiers) throws HL7Exception {
        // Not initQuickstart(): its control ids come from a file-based generator in the working directory.
        MSH msh = message.getMSH();
        msh.getFieldSeparator().setValue("|");
        msh.getEncodingCharacters().setValue("^~\\&");
        msh.getMessageType().getMessageCode().setValue("ORU");
        msh.getMessageType().getTriggerEvent().setValue("R01");
        msh.getMessageType().getMessageStructure().setValue("ORU_R01");
        msh.getProcessingID().getProcessingID().setValue(header.processingId());
        msh.getVersionID().getVersionID().setValue("2.5.1");
        msh.getSendingApplication().getNamespaceID().setValue(header.sendingApplication());
        setIfPresent(msh.getSendingFacility().getNamespaceID(), header.sendingFacility());
        setIfPresent(msh.getReceivingApplication().getNamespaceID(), header.receivingApplication());
        setIfPresent(msh.getReceivingFacility().getNamespaceID(), header.receivingFacility());
        msh.getDateTimeOfMessage().getTime().setValue(Date.from(sentAt));
        msh.getMessageControlID().setValue(controlId);
        msh.getCharacterSet(0).setValue("UNICODE UTF-8");
        ORU_R01_PATIENT_RESULT result = message.getPATIENT_RESULT();
        if (identifiers.subject() != null) {
            patient(result.getPATIENT().getPID(), identifiers.subject());
        }
        return result;
    }

    /**
     * PID only from the subject reference the client named, never from the DICOM file: PID-3 is the reference's
     * logical id, its assigning authority the resource type and, for an absolute reference, the FHIR base URL.
     */
    private static void patient(PID pid, String subject) throws DataTypeException {
        pid.getSetIDPID().setValue("1");
        Matcher m = REFERENCE.matcher(subject);
        var id = pid.getPatientIdentifierList(0);
        if (m.matches()) {
            id.getIDNumber().setValue(m.group(3));
            id.getAssigningAuthority().getNamespaceID().setValue(m.group(2));
            if (m.group(1) != null) {
                id.getAssigningAuthority().getUniversalID().setValue(m.group(1));
                id.getAssigningAuthority().getUniversalIDType().setValue("URI");
            }
        } else {
            id.getIDNumber().setValue(subject);
        }
    }

    private static void order(ORU_R01_ORDER_OBSERVATION order, UUID imageId, HospitalIdentifiers identifiers,
                              Instant observedAt, String status) throws HL7Exception {
        String accession = identifiers.accessionNumber();
        ORC orc = order.getORC();
        orc.getOrderControl().setValue("RE");
        OBR obr = order.getOBR();
        obr.getSetIDOBR().setValue("1");
        if (accession != null) {
            orc.getPlacerOrderNumber().getEntityIdentifier().setValue(accession);
            orc.getFillerOrderNumber().getEntityIdentifier().setValue(accession);
            obr.getPlacerOrderNumber().getEntityIdentifier().setValue(accession);
            obr.getFillerOrderNumber().getEntityIdentifier().setValue(accession);
        } else {
            // No accession number: our image id is the only order number there is (its namespace says whose).
            ourImage(orc.getFillerOrderNumber(), imageId);
            ourImage(obr.getFillerOrderNumber(), imageId);
        }
        CE service = obr.getUniversalServiceIdentifier();
        service.getIdentifier().setValue(SERVICE_CODE);
        service.getText().setValue(SERVICE_TEXT);
        service.getNameOfCodingSystem().setValue(LOCAL);
        service.getAlternateIdentifier().setValue("36554-4");
        service.getAlternateText().setValue("XR Chest Single view");
        service.getNameOfAlternateCodingSystem().setValue("LN");
        obr.getObservationDateTime().getTime().setValue(Date.from(observedAt));
        obr.getResultsRptStatusChngDateTime().getTime().setValue(Date.from(observedAt));
        obr.getDiagnosticServSectID().setValue("RAD");
        obr.getResultStatus().setValue(status);
    }

    private static void ourImage(EI ei, UUID imageId) throws DataTypeException {
        ei.getEntityIdentifier().setValue(imageId.toString());
        ei.getNamespaceID().setValue("CHESTLENS");
    }

    /** A for a score of 0.5 or more towards an abnormal finding, N below; null when undefined. */
    private static String flag(Double score) {
        return score == null ? null : score >= 0.5 ? "A" : "N";
    }

    private static List<String> note(PredictionView prediction) {
        List<String> lines = new ArrayList<>();
        lines.add("Model: " + prediction.model().id() + " " + prediction.model().version()
                + (prediction.model().trained() ? "" : " (UNTRAINED)") + "; prediction " + prediction.id());
        if (prediction.notice() != null) {
            lines.add("Notice: " + prediction.notice());
        }
        Reliability r = prediction.reliability();
        lines.add(r == null ? "Reliability: no error analysis is active for this model version."
                : "Reliability: " + r.summary() + " (overall " + percent(r.overallErrorRate()) + " wrong"
                        + (r.flagged() ? "; FLAGGED: clearly less reliable than usual" : "") + ")");
        lines.add(prediction.calibrationId() == null
                ? "Calibration: none active; the probabilities are the model's raw scores."
                : "Calibration: " + prediction.calibrationId() + "; calibrated probabilities in the CAL- OBX segments, "
                        + "raw ones unchanged.");
        lines.add(PRELIMINARY);
        return lines;
    }

    private static String percent(double rate) {
        return Math.round(rate * 100) + "%";
    }

    private static void setIfPresent(ca.uhn.hl7v2.model.Primitive field, String value) throws DataTypeException {
        if (value != null && !value.isBlank()) {
            field.setValue(value);
        }
    }

    /** Appends OBX segments with consecutive set ids. */
    private static final class Observations {
        private final ORU_R01 message;
        private final ORU_R01_ORDER_OBSERVATION order;
        private final Date observedAt;
        private final String status;
        private int next;

        Observations(ORU_R01 message, ORU_R01_ORDER_OBSERVATION order, Instant observedAt, String status) {
            this.message = message;
            this.order = order;
            this.observedAt = Date.from(observedAt);
            this.status = status;
        }

        private OBX add(String valueType, String code, String text, String system) throws HL7Exception {
            OBX obx = order.getOBSERVATION(next).getOBX();
            next++;
            obx.getSetIDOBX().setValue(Integer.toString(next));
            obx.getValueType().setValue(valueType);
            obx.getObservationIdentifier().getIdentifier().setValue(code);
            obx.getObservationIdentifier().getText().setValue(text);
            obx.getObservationIdentifier().getNameOfCodingSystem().setValue(system);
            obx.getObservationResultStatus().setValue(status);
            obx.getDateTimeOfTheObservation().getTime().setValue(observedAt);
            return obx;
        }

        /** A probability (unit UCUM "1", range 0-1); nothing when undefined. */
        void number(String code, String text, Double value, String abnormalFlag) throws HL7Exception {
            if (value == null) {
                return;
            }
            OBX obx = add("NM", code, text, LOCAL);
            NM nm = new NM(message);
            nm.setValue(BigDecimal.valueOf(value).setScale(6, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString());
            obx.getObservationValue(0).setData(nm);
            obx.getUnits().getIdentifier().setValue("1");
            obx.getUnits().getText().setValue("probability");
            obx.getUnits().getNameOfCodingSystem().setValue("UCUM");
            obx.getReferencesRange().setValue("0-1");
            if (abnormalFlag != null) {
                obx.getAbnormalFlags(0).setValue(abnormalFlag);
            }
        }

        void codedClass(ChestClass predicted) throws HL7Exception {
            OBX obx = add("CWE", CLASS_CODE, "Most likely class", LOCAL);
            CWE cwe = new CWE(message);
            cwe.getIdentifier().setValue(predicted.code());
            cwe.getText().setValue(predicted.description());
            cwe.getNameOfCodingSystem().setValue(LOCAL);
            obx.getObservationValue(0).setData(cwe);
            obx.getAbnormalFlags(0).setValue(predicted == ChestClass.CVX0 ? "N" : "A");
        }

        /** ST (one value) or TX (one repetition per line). */
        void text(String valueType, String code, String text, String system, List<String> lines) throws HL7Exception {
            OBX obx = add(valueType, code, text, system);
            for (int i = 0; i < lines.size(); i++) {
                var value = "ST".equals(valueType) ? new ST(message) : new TX(message);
                value.setValue(lines.get(i));
                obx.getObservationValue(i).setData(value);
            }
        }
    }
}
