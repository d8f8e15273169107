package org.chestlens.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ApiClient.TextAnswer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.chestlens.prediction.CalibratedScores;
import org.chestlens.prediction.ChestClass;
import org.chestlens.prediction.PredictionStore;
import org.chestlens.prediction.PredictionView;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import tools.jackson.databind.JsonNode;

/**
 * FHIR results end to end: the fixture radiographs of every class, as PNG and as DICOM, with and
 * without a subject, uploaded through the API and scored by the real demonstration model; each
 * prediction's Bundle must pass HAPI's instance validator against the R4 core structures (offline,
 * no terminology server) with zero errors, and carry exactly the prediction's numbers.
 */
@ChestlensIntegrationTest
@ExtendWith(OutputCaptureExtension.class)
class FhirResultsTest {

    static final Path FIXTURES = Path.of("models/training/fixtures");
    static final FhirContext FHIR = FhirContext.forR4Cached();
    static final long RUN_SALT = System.nanoTime();

    static FhirValidator validator;

    @LocalServerPort
    int port;

    @Autowired
    PredictionStore store;

    @Autowired
    FhirResults results;

    @BeforeAll
    static void validator() {
        // Core R4 profiles and value sets from the classpath; code systems checked in memory, UCUM and
        // the common ones by HAPI's own service. Nothing is fetched from a terminology server.
        ValidationSupportChain support = new ValidationSupportChain(
                new DefaultProfileValidationSupport(FHIR),
                new InMemoryTerminologyServerValidationSupport(FHIR),
                new CommonCodeSystemsTerminologyService(FHIR));
        validator = FHIR.newValidator().registerValidatorModule(new FhirInstanceValidator(support));
    }

    /** The first fixture series whose expected prediction (Python's ensemble) is each class. */
    static Map<ChestClass, String> seriesByPredictedClass() throws Exception {
        List<String> lines = Files.readAllLines(FIXTURES.resolve("expected.csv"));
        List<String> header = List.of(lines.get(0).split(","));
        Map<ChestClass, String> series = new TreeMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            series.putIfAbsent(ChestClass.ofIndex(Integer.parseInt(f[header.indexOf("predicted")])),
                    f[header.indexOf("series")]);
        }
        return series;
    }

    record Case(ChestClass expected, String series, boolean dicom, String subject) {
        @Override
        public String toString() {
            return series + (dicom ? ".dcm" : ".png") + (subject == null ? "" : " with subject") + " -> " + expected;
        }
    }

    @Test
    void everyClassFromPngAndDicomWithAndWithoutSubjectValidatesAndCarriesThePrediction(CapturedOutput output)
            throws Exception {
        Map<ChestClass, String> series = seriesByPredictedClass();
        // The real model predicts all four classes on the fixtures: no bundle here is built from a made-up prediction.
        assertThat(series.keySet()).containsExactly(ChestClass.values());
        System.out.println("fixture series by predicted class: " + series);

        List<Case> cases = new ArrayList<>();
        int n = 0;
        for (Map.Entry<ChestClass, String> e : series.entrySet()) {
            for (boolean dicom : new boolean[] {false, true}) {
                for (boolean withSubject : new boolean[] {false, true}) {
                    cases.add(new Case(e.getKey(), e.getValue(), dicom,
                            withSubject ? "Patient/fhir-test-" + RUN_SALT + "-" + (n++) : null));
                }
            }
        }

        ApiClient api = new ApiClient(port);
        Map<String, Integer> warnings = new TreeMap<>();
        for (Case c : cases) {
            UploadedPrediction uploaded = upload(api, c);
            assertThat(uploaded.prediction().path("predictedClass").path("code").asString()).as(c.toString())
                    .isEqualTo(c.expected().code());

            TextAnswer fhir = api.getText("/api/v1/predictions/" + uploaded.predictionId() + "/fhir",
                    ApiClient.header(HttpHeaders.ACCEPT, "application/fhir+json"));
            assertThat(fhir.status()).as(c.toString()).isEqualTo(200);
            assertThat(fhir.contentType()).startsWith("application/fhir+json");

            validate(c.toString(), fhir.body(), warnings);
            Bundle bundle = FHIR.newJsonParser().parseResource(Bundle.class, fhir.body());
            assertContent(c, uploaded, bundle);
        }
        System.out.printf("FHIR validation: %d bundles, 0 errors; warnings (count over all bundles):%n", cases.size());
        warnings.forEach((message, count) -> System.out.printf("  %3d x %s%n", count, message));

        // The subject is stored and served in FHIR, never logged.
        for (Case c : cases) {
            if (c.subject() != null) {
                assertThat(output.getAll()).doesNotContain(c.subject());
            }
        }
    }

    @Test
    void applicationJsonIsAcceptedAndAnsweredAsFhirJson() throws Exception {
        ApiClient api = new ApiClient(port);
        UploadedPrediction uploaded = upload(api, new Case(ChestClass.CVX0, seriesByPredictedClass().get(ChestClass.CVX0),
                false, null));
        TextAnswer answer = api.getText("/api/v1/predictions/" + uploaded.predictionId() + "/fhir",
                ApiClient.header(HttpHeaders.ACCEPT, "application/json"));
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.contentType()).startsWith("application/fhir+json");
        assertThat(FHIR.newJsonParser().parseResource(Bundle.class, answer.body()).getType())
                .isEqualTo(Bundle.BundleType.COLLECTION);
    }

    @Test
    void unknownPredictionIsA404Problem() {
        ApiClient api = new ApiClient(port);
        UUID unknown = UUID.randomUUID();
        for (String accept : List.of("application/fhir+json", "application/json")) {
            TextAnswer answer = api.getText("/api/v1/predictions/" + unknown + "/fhir",
                    ApiClient.header(HttpHeaders.ACCEPT, accept));
            assertThat(answer.status()).as(accept).isEqualTo(404);
            assertThat(answer.contentType()).as(accept).startsWith("application/problem+json");
            assertThat(answer.body()).contains("urn:chestlens:problem:not-found", unknown.toString());
        }
        Answer notAUuid = api.get("/api/v1/predictions/not-a-uuid/fhir");
        assertThat(notAUuid.status()).isEqualTo(400);
    }

    @Test
    void malformedSubjectIsA400ProblemAndStoresNothing(CapturedOutput output) throws Exception {
        ApiClient api = new ApiClient(port);
        byte[] png = freshPng(FIXTURES.resolve("png16/" + seriesByPredictedClass().get(ChestClass.CVX1) + ".png"),
                "malformed-subject");
        Set<String> details = new HashSet<>();
        for (String bad : List.of("4711", "Patient/", "Patient/a b", "Observation/1", "Patient/1;drop",
                "javascript:alert(1)//Patient/1", "Patient/" + "x".repeat(65), "ftp://ehr/Patient/1")) {
            MultiValueMap<String, Object> body = new LinkedMultiValueMap<>();
            body.add("file", ApiClient.filePart(png, "x.png", MediaType.IMAGE_PNG));
            body.add("subject", bad);
            Answer answer = api.post("/api/v1/images", body);
            assertThat(answer.status()).as(bad).isEqualTo(400);
            assertThat(answer.contentType()).startsWith("application/problem+json");
            assertThat(answer.body().path("type").asString()).isEqualTo("urn:chestlens:problem:invalid-subject");
            details.add(answer.body().path("detail").asString());
        }
        // One fixed message whatever the value: the value itself is never echoed.
        assertThat(details).hasSize(1);
        // Nothing was stored: the same bytes are new to the service.
        Answer first = api.upload(ApiClient.header("Prefer", "respond-async"), png);
        assertThat(first.status()).isEqualTo(202);
        assertThat(output.getAll()).doesNotContain("Patient/1;drop");
    }

    /** An absolute reference and a /_history version are FHIR references too; another subject later is a 409. */
    @Test
    void absoluteSubjectIsKeptAndTheFirstSubjectWins() throws Exception {
        ApiClient api = new ApiClient(port);
        Case c = new Case(ChestClass.CVX3, seriesByPredictedClass().get(ChestClass.CVX3), false,
                "https://ehr.example/fhir/Patient/abs-" + RUN_SALT + "/_history/2");
        UploadedPrediction first = upload(api, c);
        Bundle bundle = fhirBundle(api, first.predictionId());
        assertThat(report(bundle).getSubject().getReference()).isEqualTo(c.subject());

        // The same bytes again with another subject: refused (a radiograph has one patient), nothing changes.
        MultiValueMap<String, Object> body = new LinkedMultiValueMap<>();
        body.add("file", ApiClient.filePart(first.bytes(), "again.png", MediaType.IMAGE_PNG));
        body.add("subject", "Patient/someone-else");
        Answer again = api.post("/api/v1/images", body);
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.body().path("type").asString()).isEqualTo("urn:chestlens:problem:subject-conflict");
        assertThat(again.body().toString()).doesNotContain("someone-else").doesNotContain("abs-");
        assertThat(report(fhirBundle(api, first.predictionId())).getSubject().getReference()).isEqualTo(c.subject());
    }

    /**
     * The one shape the real model never produces: an undefined conditional score (its condition has
     * probability exactly 0). Built through the mapper from a real stored prediction changed in memory.
     */
    @Test
    void undefinedSubTaskScoreBecomesADataAbsentReasonAndStillValidates() throws Exception {
        ApiClient api = new ApiClient(port);
        UploadedPrediction uploaded = upload(api, new Case(ChestClass.CVX1,
                seriesByPredictedClass().get(ChestClass.CVX1), true, null));
        PredictionView stored = store.prediction(uploaded.predictionId()).orElseThrow();
        Map<String, Double> probabilities = new LinkedHashMap<>(Map.of("CVX0", 0.0, "CVX1", 0.75, "CVX2", 0.25, "CVX3", 0.0));
        PredictionView modified = new PredictionView(stored.id(), stored.imageId(), stored.model(), stored.predictedClass(),
                probabilities, new PredictionView.SubTaskScoresView(1.0, null, 0.25), 0.75, stored.foldSpread(),
                stored.timings(), stored.createdAt(), stored.priority(), stored.notice(), stored.reliability(), stored.outOfDistribution(), stored.flags(),
                stored.operatingPointVersion(), null, null, null);
        Bundle bundle = results.bundle(modified);
        validate("undefined CVX0vs3", results.json(bundle), new TreeMap<>());
        Observation undefined = observations(bundle).stream()
                .filter(o -> o.getCode().getCodingFirstRep().getCode().equals("CVX0vs3")).findFirst().orElseThrow();
        assertThat(undefined.hasValue()).isFalse();
        assertThat(undefined.getDataAbsentReason().getCodingFirstRep().getCode()).isEqualTo("not-applicable");
        assertThat(report(bundle).getConclusion()).contains("CVX0vs3 undefined");
    }

    /**
     * While a calibration is active every Observation keeps the raw score as its value and carries the
     * calibrated one as a component (undefined ones with a data-absent reason); the bundle still validates.
     */
    @Test
    void aCalibratedPredictionCarriesCalibratedComponentsAndStillValidates() throws Exception {
        ApiClient api = new ApiClient(port);
        UploadedPrediction uploaded = upload(api, new Case(ChestClass.CVX1,
                seriesByPredictedClass().get(ChestClass.CVX1), true, "Patient/cal-1"));
        PredictionView stored = store.prediction(uploaded.predictionId()).orElseThrow();
        UUID calibration = UUID.randomUUID();
        PredictionView calibrated = stored.withCalibration(new CalibratedScores(calibration, "temperature",
                new double[] {0.0, 0.9, 0.1, 0.0}));
        Bundle bundle = results.bundle(calibrated);
        validate("calibrated", results.json(bundle), new TreeMap<>());
        List<Observation> observations = observations(bundle);
        assertThat(observations).hasSize(7).allSatisfy(o -> {
            assertThat(o.getComponent()).hasSize(1);
            assertThat(o.getComponentFirstRep().getCode().getCodingFirstRep().getSystem())
                    .isEqualTo("urn:chestlens:fhir:CodeSystem:probability-calibration");
            assertThat(o.getComponentFirstRep().getCode().getText()).contains(calibration.toString());
        });
        Observation cvx1 = observations.stream()
                .filter(o -> o.getCode().getCodingFirstRep().getCode().equals("CVX1")).findFirst().orElseThrow();
        assertThat(cvx1.getValueQuantity().getValue().doubleValue())
                .isEqualTo(stored.probabilities().get("CVX1"));
        assertThat(cvx1.getComponentFirstRep().getValueQuantity().getValue().doubleValue()).isEqualTo(0.9);
        Observation undefined = observations.stream()
                .filter(o -> o.getCode().getCodingFirstRep().getCode().equals("CVX0vs3")).findFirst().orElseThrow();
        assertThat(undefined.hasValue()).as("the raw score is defined").isTrue();
        assertThat(undefined.getComponentFirstRep().getDataAbsentReason().getCodingFirstRep().getCode())
                .isEqualTo("not-applicable");
        assertThat(report(bundle).getConclusion()).contains("Calibrated probabilities (calibration " + calibration);
    }

    // ---------------------------------------------------------------------------------------------

    record UploadedPrediction(UUID imageId, UUID predictionId, JsonNode image, JsonNode prediction, byte[] bytes) {
    }

    /** Uploads fresh bytes for the case (same pixels, new hash and, for DICOM, new UIDs) and waits for the prediction. */
    UploadedPrediction upload(ApiClient api, Case c) throws Exception {
        String tag = c + " " + UUID.randomUUID();
        byte[] bytes = c.dicom()
                ? freshDicom(FIXTURES.resolve("dicom/" + c.series() + ".dcm"), tag)
                : freshPng(FIXTURES.resolve("png16/" + c.series() + ".png"), tag);
        MultiValueMap<String, Object> body = new LinkedMultiValueMap<>();
        body.add("file", ApiClient.filePart(bytes, c.dicom() ? "x.dcm" : "x.png",
                c.dicom() ? MediaType.parseMediaType("application/dicom") : MediaType.IMAGE_PNG));
        if (c.subject() != null) {
            body.add("subject", c.subject());
        }
        Answer answer = api.post("/api/v1/images", body, ApiClient.header("Prefer", "wait=120"));
        assertThat(answer.status()).as(c + ": " + answer.body()).isEqualTo(201);
        JsonNode image = answer.body().path("images").path(0);
        assertThat(image.path("status").asString()).isEqualTo("DONE");
        JsonNode prediction = image.path("predictions").path(0);
        return new UploadedPrediction(UUID.fromString(image.path("id").asString()),
                UUID.fromString(prediction.path("id").asString()), image, prediction, bytes);
    }

    Bundle fhirBundle(ApiClient api, UUID predictionId) {
        TextAnswer answer = api.getText("/api/v1/predictions/" + predictionId + "/fhir", new HttpHeaders());
        assertThat(answer.status()).isEqualTo(200);
        return FHIR.newJsonParser().parseResource(Bundle.class, answer.body());
    }

    static void validate(String what, String json, Map<String, Integer> warnings) {
        ValidationResult result = validator.validateWithResult(json);
        List<SingleValidationMessage> errors = result.getMessages().stream()
                .filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
                .toList();
        assertThat(errors).as(what + ": validation errors")
                .extracting(m -> m.getLocationString() + ": " + m.getMessage()).isEmpty();
        result.getMessages().stream().filter(m -> m.getSeverity() == ResultSeverityEnum.WARNING)
                .forEach(m -> warnings.merge(summary(m), 1, Integer::sum));
    }

    /** A warning without what differs between bundles (entry index, resource id, the value), so that like ones add up. */
    static String summary(SingleValidationMessage m) {
        return (m.getLocationString() + ": " + m.getMessage())
                .replaceAll("\\[\\d+]", "[*]")
                .replaceAll("/\\*(\\w+)/[0-9a-f-]{36}\\*/", "/*$1*/")
                .replaceAll("The value '[^']*'", "The value '...'")
                .replaceAll("#CVX\\w+", "#CVX...");
    }

    void assertContent(Case c, UploadedPrediction uploaded, Bundle bundle) {
        JsonNode p = uploaded.prediction();
        assertThat(bundle.getType()).isEqualTo(Bundle.BundleType.COLLECTION);
        assertThat(bundle.getEntry()).hasSize(10);
        Map<String, Resource> byFullUrl = bundle.getEntry().stream()
                .collect(Collectors.toMap(Bundle.BundleEntryComponent::getFullUrl, Bundle.BundleEntryComponent::getResource));

        // Every literal reference inside the bundle resolves to one of its entries.
        Set<String> literal = new HashSet<>();
        for (Resource resource : byFullUrl.values()) {
            for (Reference ref : FHIR.newTerser().getAllPopulatedChildElementsOfType(resource, Reference.class)) {
                if (ref.getReference() != null && ref.getReference().startsWith("urn:uuid:")) {
                    literal.add(ref.getReference());
                }
            }
        }
        assertThat(byFullUrl.keySet()).containsAll(literal);
        assertThat(literal).hasSize(9);  // the report, 7 observations and the device are referenced

        DiagnosticReport report = report(bundle);
        assertThat(report.getStatus()).isEqualTo(DiagnosticReport.DiagnosticReportStatus.PRELIMINARY);
        assertThat(report.getCategoryFirstRep().getCodingFirstRep().getSystem())
                .isEqualTo("http://terminology.hl7.org/CodeSystem/v2-0074");
        assertThat(report.getCategoryFirstRep().getCodingFirstRep().getCode()).isEqualTo("RAD");
        assertThat(report.getCode().getCodingFirstRep().getSystem()).isEqualTo("http://loinc.org");
        assertThat(report.getCode().getCodingFirstRep().getCode()).isEqualTo("36554-4");
        assertThat(report.getIdentifierFirstRep().getValue()).isEqualTo("urn:uuid:" + uploaded.predictionId());
        assertThat(report.getConclusion())
                .contains("most likely class " + c.expected().code(), "not reviewed by a clinician",
                        "DEMONSTRATION MODEL", p.path("model").path("version").asString());
        assertThat(report.getResult()).hasSize(7);

        List<Observation> observations = observations(bundle);
        assertThat(observations).hasSize(7);
        Map<Resource, String> fullUrl = new java.util.IdentityHashMap<>();
        bundle.getEntry().forEach(e -> fullUrl.put(e.getResource(), e.getFullUrl()));
        assertThat(report.getResult()).extracting(Reference::getReference)
                .containsExactlyElementsOf(observations.stream().map(fullUrl::get).toList());

        String studyUid = uploaded.image().path("dicom").path("studyInstanceUid").asString(null);
        if (c.dicom()) {
            assertThat(studyUid).isNotBlank();
            assertThat(report.getImagingStudy()).singleElement().satisfies(ref -> {
                assertThat(ref.getType()).isEqualTo("ImagingStudy");
                assertThat(ref.getIdentifier().getSystem()).isEqualTo("urn:dicom:uid");
                assertThat(ref.getIdentifier().getValue()).isEqualTo("urn:oid:" + studyUid);
            });
        } else {
            assertThat(report.getImagingStudy()).isEmpty();
        }
        String studyDate = uploaded.image().path("dicom").path("studyDate").asString(null);
        if (c.dicom()) {
            // The acquisition day from the DICOM Study Date; a PNG has none.
            assertThat(report.getEffectiveDateTimeType().getValueAsString())
                    .isEqualTo(studyDate.substring(0, 4) + "-" + studyDate.substring(4, 6) + "-" + studyDate.substring(6, 8));
        } else {
            assertThat(report.hasEffective()).isFalse();
        }
        if (c.subject() != null) {
            assertThat(report.getSubject().getReference()).isEqualTo(c.subject());
        } else {
            assertThat(report.hasSubject()).isFalse();
        }

        Device device = (Device) byFullUrl.values().stream().filter(r -> r instanceof Device).findFirst().orElseThrow();
        assertThat(device.getIdentifierFirstRep().getValue()).isEqualTo(p.path("model").path("id").asString());
        List<String> versions = device.getVersion().stream().map(Device.DeviceVersionComponent::getValue).toList();
        assertThat(versions.get(0)).isEqualTo(p.path("model").path("version").asString());
        List<String> checksums = new ArrayList<>();
        p.path("model").path("foldChecksums").forEach(n -> checksums.add(n.asString()));
        assertThat(checksums).hasSize(3);
        assertThat(versions.subList(1, versions.size())).containsExactlyElementsOf(checksums);

        Map<String, Observation> byCode = observations.stream()
                .collect(Collectors.toMap(o -> o.getCode().getCodingFirstRep().getCode(), o -> o));
        for (ChestClass k : ChestClass.values()) {
            Observation o = byCode.get(k.code());
            // Exactly the stored double, not a rounded copy.
            assertThat(o.getValueQuantity().getValue().doubleValue()).as(k.code())
                    .isEqualTo(p.path("probabilities").path(k.code()).asDouble());
            assertThat(o.getInterpretationFirstRep().getCodingFirstRep().getSystem())
                    .isEqualTo(FhirObservations.RANK_SYSTEM);
            assertThat(o.getInterpretationFirstRep().getCodingFirstRep().getCode())
                    .isEqualTo(k == c.expected() ? "most-likely" : "not-most-likely");
        }
        for (String task : List.of("CVX03vs12", "CVX0vs3", "CVX1vs2")) {
            double score = p.path("subTaskScores").path(task).asDouble();
            Observation o = byCode.get(task);
            assertThat(o.getValueQuantity().getValue().doubleValue()).as(task).isEqualTo(score);
            assertThat(o.getInterpretationFirstRep().getCodingFirstRep().getCode()).isEqualTo(score > 0.5 ? "POS" : "NEG");
        }
        for (Observation o : observations) {
            assertThat(o.getStatus()).isEqualTo(Observation.ObservationStatus.PRELIMINARY);
            assertThat(o.getValueQuantity().getSystem()).isEqualTo("http://unitsofmeasure.org");
            assertThat(o.getDevice().getReference()).isEqualTo(fullUrl.get(device));
            assertThat(o.getSubject().getReference()).isEqualTo(c.subject());
            assertThat(o.hasEffective()).isEqualTo(c.dicom());
            if (c.dicom()) {
                assertThat(o.getDerivedFromFirstRep().getIdentifier().getValue()).isEqualTo("urn:oid:" + studyUid);
            } else {
                assertThat(o.getDerivedFrom()).isEmpty();
            }
        }

        Provenance provenance = (Provenance) byFullUrl.values().stream().filter(r -> r instanceof Provenance)
                .findFirst().orElseThrow();
        assertThat(provenance.getTarget()).extracting(Reference::getReference)
                .contains(fullUrl.get(report)).hasSize(8);
        assertThat(provenance.getAgentFirstRep().getWho().getReference()).isEqualTo(fullUrl.get(device));
        assertThat(provenance.getRecorded().toInstant().toString())
                .isEqualTo(java.time.Instant.parse(p.path("createdAt").asString()).truncatedTo(
                        java.time.temporal.ChronoUnit.MILLIS).toString());
        String entity = provenance.getEntityFirstRep().getWhat().getIdentifier().getValue();
        if (c.dicom()) {
            assertThat(entity).isEqualTo("urn:oid:" + uploaded.image().path("dicom").path("sopInstanceUid").asString());
        } else {
            assertThat(entity).isEqualTo("urn:uuid:" + uploaded.imageId());
        }
    }

    static DiagnosticReport report(Bundle bundle) {
        return (DiagnosticReport) bundle.getEntryFirstRep().getResource();
    }

    static List<Observation> observations(Bundle bundle) {
        return bundle.getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
                .filter(r -> r instanceof Observation).map(r -> (Observation) r).toList();
    }

    /** The fixture PNG with a tEXt chunk before IEND: the same pixels, a hash never seen before. */
    static byte[] freshPng(Path fixture, String tag) throws Exception {
        return TestImages.withTextChunk(Files.readAllBytes(fixture), tag + " " + RUN_SALT);
    }

    /**
     * The fixture DICOM with new Study, Series and SOP Instance UIDs: the same pixels, a new image to
     * the service. The UIDs are replaced byte for byte by new ones of the same length (same root,
     * random last component), so nothing else in the file, compressed pixel data included, changes.
     */
    static byte[] freshDicom(Path fixture, String tag) throws Exception {
        byte[] bytes = Files.readAllBytes(fixture);
        AttributeList list = new AttributeList();
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(bytes))) {
            list.read(in);
        }
        java.util.Random random = new java.util.Random((tag + RUN_SALT).hashCode());
        for (var uidTag : List.of(TagFromName.StudyInstanceUID, TagFromName.SeriesInstanceUID, TagFromName.SOPInstanceUID)) {
            String old = com.pixelmed.dicom.Attribute.getSingleStringValueOrNull(list, uidTag);
            int last = old.lastIndexOf('.') + 1;
            assertThat(old.length() - last).as("room for a new last UID component").isGreaterThan(20);
            StringBuilder fresh = new StringBuilder(old.substring(0, last)).append((char) ('1' + random.nextInt(9)));
            while (fresh.length() < old.length()) {
                fresh.append((char) ('0' + random.nextInt(10)));
            }
            bytes = replaceAll(bytes, old.getBytes(StandardCharsets.US_ASCII),
                    fresh.toString().getBytes(StandardCharsets.US_ASCII));
        }
        return bytes;
    }

    static byte[] replaceAll(byte[] haystack, byte[] needle, byte[] replacement) {
        byte[] out = haystack.clone();
        int found = 0;
        outer:
        for (int i = 0; i + needle.length <= out.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (out[i + j] != needle[j]) {
                    continue outer;
                }
            }
            System.arraycopy(replacement, 0, out, i, replacement.length);
            found++;
        }
        assertThat(found).isPositive();
        return out;
    }

}
