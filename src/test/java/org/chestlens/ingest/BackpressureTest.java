package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import org.chestlens.ApiClient;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

/** A full queue answers 429 with Retry-After before anything is stored. */
@ChestlensIntegrationTest
@TestPropertySource(properties = "chestlens.inference.queue-capacity=2")
class BackpressureTest {

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Test
    void moreImagesThanTheQueueHoldsAreRefusedWithRetryAfter() {
        ApiClient api = new ApiClient(port);
        long imagesBefore = jdbc.sql("SELECT count(*) FROM image").query(Long.class).single();

        ApiClient.Answer answer = api.upload(TestImages.syntheticPng(801, 256, 256),
                TestImages.syntheticPng(802, 256, 256), TestImages.syntheticPng(803, 256, 256));

        assertThat(answer.status()).isEqualTo(429);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        assertThat(answer.body().path("type").asString()).isEqualTo("urn:chestlens:problem:queue-full");
        assertThat(Long.parseLong(answer.headers().getFirst("Retry-After"))).isPositive();
        assertThat(jdbc.sql("SELECT count(*) FROM image").query(Long.class).single()).isEqualTo(imagesBefore);

        // The queue itself is fine: a request that fits is accepted.
        assertThat(api.upload(TestImages.syntheticPng(804, 256, 256)).status()).isEqualTo(201);
    }
}
