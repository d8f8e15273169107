package org.chestlens.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.chestlens.ApiClient;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.StoreScu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

/**
 * Under backpressure (an inference queue of 2, the same context as BackpressureTest) a C-STORE sender
 * gets 0xA700 Refused: Out of Resources for what does not fit, nothing is lost: every instance answered
 * Success is scored, and the refused ones, sent again as a sender retries, are scored too, each once.
 */
@ChestlensIntegrationTest
@TestPropertySource(properties = "chestlens.inference.queue-capacity=2")
class DicomStoreBackpressureTest {

    private static final int INSTANCES = 8;

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    StorageScp scp;

    @Test
    void aFullQueueAnswersOutOfResourcesAndNothingIsLost(@TempDir Path dir) throws Exception {
        String study = StudyInstances.newUid();
        String series = StudyInstances.newUid();
        Map<Path, String> sopOf = new LinkedHashMap<>();
        for (int i = 0; i < INSTANCES; i++) {
            String sop = StudyInstances.newUid();
            Path file = dir.resolve("instance-" + i + ".dcm");
            Files.write(file, StudyInstances.instance(study, series, sop));
            sopOf.put(file, sop);
        }

        List<Path> pending = new ArrayList<>(sopOf.keySet());
        boolean sawOutOfResources = false;
        // As a router retries: until every instance is accepted, for as long as scoring a few images may
        // take on a busy 2-core machine (several seconds each there).
        long giveUp = System.nanoTime() + java.time.Duration.ofMinutes(4).toNanos();
        while (!pending.isEmpty() && System.nanoTime() < giveUp) {
            StoreScu.Result sent = StoreScu.send(scp.state().port(), "STORESCU", "CHESTLENS", pending);
            assertThat(sent.statuses()).as(sent.output()).hasSize(pending.size());
            List<Path> refused = new ArrayList<>();
            for (int i = 0; i < pending.size(); i++) {
                int status = sent.statuses().get(i);
                assertThat(status).as("status of " + pending.get(i)).isIn(0x0000, 0xA700);
                if (status == 0xA700) {
                    sawOutOfResources = true;
                    refused.add(pending.get(i));
                    // Refused means not stored: no image for it yet.
                    assertThat(imageIds(sopOf.get(pending.get(i)))).isEmpty();
                }
            }
            pending = refused;
            if (!pending.isEmpty()) {
                Thread.sleep(1000);
            }
        }
        assertThat(sawOutOfResources).as("a queue of 2 refuses part of a burst of " + INSTANCES).isTrue();
        assertThat(pending).as("instances still refused after the retries").isEmpty();

        ApiClient api = new ApiClient(port);
        for (String sop : sopOf.values()) {
            List<String> ids = imageIds(sop);
            assertThat(ids).hasSize(1);
            StowRsApiTest.awaitScored(api, "/api/v1/images/" + ids.get(0));
        }
    }

    private List<String> imageIds(String sop) {
        return jdbc.sql("SELECT id::text FROM image WHERE sop_instance_uid = :uid").param("uid", sop)
                .query(String.class).list();
    }
}
