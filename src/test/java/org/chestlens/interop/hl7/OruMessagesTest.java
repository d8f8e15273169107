package org.chestlens.interop.hl7;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.model.v251.segment.OBX;
import ca.uhn.hl7v2.util.Terser;
import org.chestlens.prediction.CalibratedScores;
import org.chestlens.prediction.HospitalIdentifiers;
import org.chestlens.prediction.PredictionView;
import org.chestlens.prediction.Reliability;
import org.junit.jupiter.api.Test;

/** The ORU^R01 built from a prediction parses with HAPI under its default validation and maps as documented. */
class OruMessagesTest {

    static final OruMessages.Header HEADER = new OruMessages.Header("CHESTLENS", "RADIOLOGY", "EHR", "HOSPITAL", "P");

    static PredictionView prediction(Reliability reliability) {
        Map<String, Double> p = new LinkedHashMap<>();
        p.put("CVX0", 0.1);
        p.put("CVX1", 0.6123456789);
        p.put("CVX2", 0.2);
        p.put("CVX3", 0.0876543211);
        return new PredictionView(UUID.randomUUID(), UUID.randomUUID(),
                new PredictionView.ModelRef("chestlens-demo-densenet121", "1.0.0", true, List.of("abc")),
                new PredictionView.ClassRef(1, "CVX1", "classic/probable COVID-19"), p,
                new PredictionView.SubTaskScoresView(0.8123, 0.467, 0.246), 0.6123456789, p,
                new PredictionView.Timings(1, 2, 3), Instant.parse("2026-12-06T05:00:00Z"), "stat",
                "DEMONSTRATION MODEL | not a finding ^ ~ & \\ escapes", reliability, null, null, null, null, null, null);
    }

    @Test
    void aCalibratedPredictionCarriesItsCalibratedScoresInOwnObxAndKeepsTheRawOnes() throws Exception {
        PredictionView raw = prediction(null);
        UUID calibration = UUID.randomUUID();
        PredictionView prediction = raw.withCalibration(new CalibratedScores(calibration, "temperature",
                new double[] {0.02, 0.93, 0.04, 0.01}));
        String er7 = OruMessages.completed(HEADER, OruMessages.newControlId(), Instant.now(), prediction,
                HospitalIdentifiers.NONE);
        ORU_R01 oru = Hl7Receiver.parseStrictly(er7);
        Map<String, OBX> byCode = new LinkedHashMap<>();
        oru.getPATIENT_RESULT().getORDER_OBSERVATION().getOBSERVATIONAll()
                .forEach(o -> byCode.put(o.getOBX().getObservationIdentifier().getIdentifier().getValue(), o.getOBX()));
        assertThat(byCode.keySet()).containsExactly("CVX0", "CVX1", "CVX2", "CVX3", "CVX03vs12", "CVX0vs3", "CVX1vs2",
                "CAL-CVX0", "CAL-CVX1", "CAL-CVX2", "CAL-CVX3", "CAL-CVX03vs12", "CAL-CVX0vs3", "CAL-CVX1vs2",
                OruMessages.CLASS_CODE, OruMessages.NOTE_CODE);
        assertThat(Double.parseDouble(byCode.get("CVX1").getObservationValue(0).getData().encode()))
                .isCloseTo(0.6123457, within(1e-6));
        assertThat(Double.parseDouble(byCode.get("CAL-CVX1").getObservationValue(0).getData().encode()))
                .isEqualTo(0.93);
        assertThat(Double.parseDouble(byCode.get("CAL-CVX03vs12").getObservationValue(0).getData().encode()))
                .isCloseTo(0.97, within(1e-6));
        assertThat(Double.parseDouble(byCode.get("CAL-CVX0vs3").getObservationValue(0).getData().encode()))
                .isCloseTo(1.0 / 3, within(1e-6));
        assertThat(byCode.get("CAL-CVX1").getAbnormalFlags(0).getValue()).isNull();
        assertThat(byCode.get("CAL-CVX1").getUnits().getIdentifier().getValue()).isEqualTo("1");
        assertThat(er7).contains("Calibration: " + calibration);
        assertThat(OruMessages.completed(HEADER, OruMessages.newControlId(), Instant.now(), raw,
                HospitalIdentifiers.NONE)).doesNotContain("CAL-").contains("Calibration: none active");
    }

    @Test
    void aPredictionWithAnAccessionNumberAndASubject() throws Exception {
        PredictionView prediction = prediction(new Reliability(UUID.randomUUID(), "viewPosition = AP", 0.31, 58, 0.12,
                true, "cases like this: 31% wrong, n = 58"));
        String er7 = OruMessages.completed(HEADER, "CL0123456789ABCDEF01", Instant.parse("2026-12-06T05:00:01Z"),
                prediction, new HospitalIdentifiers("ACC-42", "1.2.3.4", "1.2.3.4.5", "1.2.3.4.5.6",
                        "https://ehr.example/fhir/Patient/p-77"));
        ORU_R01 oru = Hl7Receiver.parseStrictly(er7);
        Terser t = new Terser(oru);
        assertThat(t.get("/MSH-3")).isEqualTo("CHESTLENS");
        assertThat(t.get("/MSH-4")).isEqualTo("RADIOLOGY");
        assertThat(t.get("/MSH-5")).isEqualTo("EHR");
        assertThat(t.get("/MSH-6")).isEqualTo("HOSPITAL");
        assertThat(t.get("/MSH-9-1") + "^" + t.get("/MSH-9-2")).isEqualTo("ORU^R01");
        assertThat(t.get("/MSH-10")).isEqualTo("CL0123456789ABCDEF01");
        assertThat(t.get("/MSH-12")).isEqualTo("2.5.1");
        assertThat(t.get("/PATIENT_RESULT/PATIENT/PID-3-1")).isEqualTo("p-77");
        assertThat(t.get("/PATIENT_RESULT/PATIENT/PID-3-4-1")).isEqualTo("Patient");
        assertThat(t.get("/PATIENT_RESULT/PATIENT/PID-3-4-2")).isEqualTo("https://ehr.example/fhir");
        assertThat(t.get("/PATIENT_RESULT/PATIENT/PID-5-1")).as("no name: the service never knows it").isNull();
        assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/ORC-2")).isEqualTo("ACC-42");
        assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBR-2")).isEqualTo("ACC-42");
        assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBR-3")).isEqualTo("ACC-42");
        assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBR-4-1")).isEqualTo(OruMessages.SERVICE_CODE);
        assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBR-25")).isEqualTo("P");

        List<OBX> obx = oru.getPATIENT_RESULT().getORDER_OBSERVATION().getOBSERVATIONAll().stream()
                .map(o -> o.getOBX()).toList();
        Map<String, OBX> byCode = new LinkedHashMap<>();
        obx.forEach(o -> byCode.put(o.getObservationIdentifier().getIdentifier().getValue(), o));
        assertThat(byCode.keySet()).containsExactly("CVX0", "CVX1", "CVX2", "CVX3", "CVX03vs12", "CVX0vs3", "CVX1vs2",
                OruMessages.CLASS_CODE, "110180", OruMessages.NOTE_CODE);
        for (String c : List.of("CVX0", "CVX1", "CVX2", "CVX3")) {
            OBX o = byCode.get(c);
            assertThat(o.getValueType().getValue()).isEqualTo("NM");
            assertThat(Double.parseDouble(o.getObservationValue(0).getData().encode()))
                    .isCloseTo(prediction.probabilities().get(c), within(1e-6));
            assertThat(o.getUnits().getIdentifier().getValue()).isEqualTo("1");
            assertThat(o.getObservationResultStatus().getValue()).isEqualTo("P");
            assertThat(o.getAbnormalFlags(0).getValue()).isEqualTo("CVX1".equals(c) ? "A" : null);
        }
        assertThat(byCode.get("CVX03vs12").getAbnormalFlags(0).getValue()).isEqualTo("A");
        assertThat(byCode.get("CVX0vs3").getAbnormalFlags(0).getValue()).isEqualTo("N");
        assertThat(byCode.get("CVX1vs2").getAbnormalFlags(0).getValue()).isNull();
        OBX cls = byCode.get(OruMessages.CLASS_CODE);
        assertThat(cls.getValueType().getValue()).isEqualTo("CWE");
        assertThat(cls.getObservationValue(0).getData().encode()).startsWith("CVX1^classic/probable COVID-19^L");
        assertThat(cls.getAbnormalFlags(0).getValue()).isEqualTo("A");
        assertThat(byCode.get("110180").getObservationValue(0).getData().encode()).isEqualTo("1.2.3.4");
        OBX note = byCode.get(OruMessages.NOTE_CODE);
        assertThat(note.getValueType().getValue()).isEqualTo("TX");
        String text = String.join("\n", java.util.Arrays.stream(note.getObservationValue())
                .map(v -> ((ca.uhn.hl7v2.model.Primitive) v.getData()).getValue()).toList());
        assertThat(text).contains("chestlens-demo-densenet121 1.0.0")
                .contains("DEMONSTRATION MODEL | not a finding ^ ~ & \\ escapes")
                .contains("cases like this: 31% wrong, n = 58").contains("FLAGGED")
                .contains("not verified by a clinician");
    }

    @Test
    void withoutAccessionNumberOurImageIdIsTheFillerOrderNumberAndWithoutSubjectThereIsNoPid() throws Exception {
        PredictionView prediction = prediction(null);
        String er7 = OruMessages.completed(HEADER, OruMessages.newControlId(), Instant.now(), prediction,
                HospitalIdentifiers.NONE);
        assertThat(er7).doesNotContain("PID|");
        Terser t = new Terser(Hl7Receiver.parseStrictly(er7));
        assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBR-3-1")).isEqualTo(prediction.imageId().toString());
        assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBR-3-2")).isEqualTo("CHESTLENS");
        assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBR-2-1")).isNull();
        assertThat(t.get("/MSH-10")).hasSize(20);
    }

    @Test
    void aFailureIsAnOruWithResultStatusX() throws Exception {
        UUID image = UUID.randomUUID();
        String er7 = OruMessages.failed(HEADER, OruMessages.newControlId(), Instant.now(), image, "m", "1",
                "the model failed 3 times", Instant.now(), new HospitalIdentifiers("ACC-9", null, null, null, null));
        Terser t = new Terser(Hl7Receiver.parseStrictly(er7));
        assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBR-25")).isEqualTo("X");
        assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBR-3")).isEqualTo("ACC-9");
        assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION/OBX-5(1)")).contains("could not be scored");
    }
}
