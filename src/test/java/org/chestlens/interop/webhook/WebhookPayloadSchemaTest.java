package org.chestlens.interop.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.chestlens.ApiClient;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.interop.StudyInstances;
import org.chestlens.prediction.HospitalIdentifiers;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.util.LinkedMultiValueMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Webhook bodies as they are sent validate against the JSON Schemas the contract documents in its
 * {@code webhooks} section, with every object closed (no property the contract does not name), and carry the
 * hospital identifiers the image came with.
 */
@ChestlensIntegrationTest
class WebhookPayloadSchemaTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;
    @Autowired
    JsonMapper serviceJson;

    /** The contract's schema of one webhook body, every object schema closed against undocumented properties. */
    static Schema documented(String webhook) throws Exception {
        com.fasterxml.jackson.databind.JsonNode yaml = new ObjectMapper(new YAMLFactory())
                .readTree(Path.of("openapi/openapi.yaml").toFile());
        JsonNode contract = JSON.readTree(new ObjectMapper().writeValueAsString(yaml));
        JsonNode body = contract.path("webhooks").path(webhook).path("post").path("requestBody").path("content")
                .path("application/json").path("schema");
        assertThat(body.path("$ref").asString()).as("the contract documents " + webhook).isNotEmpty();
        ObjectNode components = (ObjectNode) contract.path("components").deepCopy();
        components.path("schemas").forEach(schema -> {
            if (schema.has("properties")) {
                ((ObjectNode) schema).put("additionalProperties", false);
            }
        });
        ObjectNode root = JSON.createObjectNode();
        root.put("$ref", body.path("$ref").asString());
        root.set("components", components);
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(root.toString());
    }

    @Test
    void aDeliveredPredictionCompletedBodyMatchesTheDocumentedSchemaAndNamesTheIdentifiers() throws Exception {
        ApiClient api = new ApiClient(port);
        String accession = "ACC-W-" + UUID.randomUUID().toString().substring(0, 8);
        String study = StudyInstances.newUid();
        String series = StudyInstances.newUid();
        String sop = StudyInstances.newUid();
        try (WebhookReceiver receiver = WebhookReceiver.listen(0)) {
            ApiClient.Answer subscribed = api.sendJson(HttpMethod.POST, "/api/v1/webhooks",
                    "{\"url\": \"" + receiver.url() + "\", \"eventTypes\": [\"prediction.completed\"]}");
            assertThat(subscribed.status()).isEqualTo(201);
            try {
                LinkedMultiValueMap<String, Object> form = new LinkedMultiValueMap<>();
                form.add("file", ApiClient.filePart(StudyInstances.instance(study, series, sop, accession), "a.dcm",
                        MediaType.parseMediaType("application/dicom")));
                form.add("subject", "Patient/w-1");
                assertThat(api.post("/api/v1/images", form).status()).isIn(201, 202);
                List<WebhookReceiver.Received> got = receiver.await(r -> r.body().contains(accession), 1,
                        Duration.ofSeconds(60));
                assertThat(got).hasSize(1);
                String body = got.get(0).body();
                List<Error> errors = documented("prediction.completed").validate(JSON.readTree(body));
                assertThat(errors).as(body).isEmpty();
                JsonNode identifiers = JSON.readTree(body).path("data").path("identifiers");
                assertThat(identifiers.path("accessionNumber").asString()).isEqualTo(accession);
                assertThat(identifiers.path("studyInstanceUid").asString()).isEqualTo(study);
                assertThat(identifiers.path("seriesInstanceUid").asString()).isEqualTo(series);
                assertThat(identifiers.path("sopInstanceUid").asString()).isEqualTo(sop);
                assertThat(identifiers.path("subject").asString()).isEqualTo("Patient/w-1");
            } finally {
                api.delete("/api/v1/webhooks/" + subscribed.body().path("id").asString());
            }
        }
    }

    @Test
    void aPredictionFailedBodyMatchesTheDocumentedSchemaAndAnUndocumentedFieldWouldNot() throws Exception {
        // A real failure needs a broken model; the body is what WebhookOutbox renders with the service's mapper.
        WebhookPayload payload = new WebhookPayload(UUID.randomUUID(), "prediction.failed", Instant.now(),
                new WebhookPayload.Failed(UUID.randomUUID(), new WebhookPayload.Model("m", "1"), 3, "ModelError",
                        new HospitalIdentifiers("ACC-1", "1.2.3", null, null, null),
                        new WebhookPayload.Links("/api/v1/images/x", null, null)));
        JsonNode body = JSON.readTree(serviceJson.writeValueAsString(payload));
        Schema schema = documented("prediction.failed");
        assertThat(schema.validate(body)).as(body.toString()).isEmpty();
        ((ObjectNode) body.path("data")).put("patientName", "DOE^JANE");
        assertThat(schema.validate(body)).as("the check can fail").isNotEmpty();
    }

    @Test
    void aCompletedBodyWithCalibratedProbabilitiesMatchesTheDocumentedSchema() throws Exception {
        // What WebhookOutbox renders for a prediction stored while a calibration is active.
        WebhookPayload payload = new WebhookPayload(UUID.randomUUID(), "prediction.completed", Instant.now(),
                new WebhookPayload.Completed(UUID.randomUUID(), UUID.randomUUID(), new WebhookPayload.Model("m", "1"),
                        new WebhookPayload.PredictedClass(1, "CVX1", "classic/probable COVID-19"),
                        java.util.Map.of("CVX0", 0.2, "CVX1", 0.5, "CVX2", 0.2, "CVX3", 0.1), 0.5, null, null, null,
                        new HospitalIdentifiers(null, null, null, null, null),
                        new WebhookPayload.Links("/api/v1/images/x", "/api/v1/predictions/y", null),
                        UUID.randomUUID(), java.util.Map.of("CVX0", 0.05, "CVX1", 0.9, "CVX2", 0.04, "CVX3", 0.01)));
        JsonNode body = JSON.readTree(serviceJson.writeValueAsString(payload));
        assertThat(body.path("data").path("calibratedProbabilities").path("CVX1").asDouble()).isEqualTo(0.9);
        assertThat(documented("prediction.completed").validate(body)).as(body.toString()).isEmpty();
    }
}
