package org.chestlens.durability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.chestlens.ApiClient;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.ServiceProcess;
import org.chestlens.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The durability promise (docs/architecture.md), tested the hard way: the service runs as its own process,
 * takes a burst of uploads from concurrent clients, is killed with SIGKILL at a random moment, and
 * is started again. Every upload that was acknowledged must end DONE with exactly one prediction.
 * (The shared test context only provides the database connection for the checks.)
 */
@ChestlensIntegrationTest
class CrashRecoveryTest {

    private static final int UPLOADS = 220;
    private static final int CLIENTS = 6;

    @Autowired
    JdbcClient jdbc;

    @Test
    void everyAcknowledgedUploadEndsDoneExactlyOnceAfterAKill(@TempDir Path logs) throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        String instance = "crash-test-" + UUID.randomUUID();
        try (ServiceProcess service = new ServiceProcess(logs.resolve("service.log"),
                "--chestlens.inference.instance-id=" + instance,
                "--chestlens.inference.lease=10s", "--chestlens.inference.recovery-interval=1s")) {
            service.start(Duration.ofMinutes(2));
            ApiClient api = new ApiClient(service.port());

            Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicInteger sent = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            int killAfter = 40 + random.nextInt(120);
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            List<Integer> statuses = Collections.synchronizedList(new ArrayList<>());
            for (int c = 0; c < CLIENTS; c++) {
                clients.submit(() -> {
                    int n;
                    while ((n = sent.getAndIncrement()) < UPLOADS) {
                        byte[] png = TestImages.syntheticPng(seed + n, 240 + n % 40, 260);
                        // Like an integration engine: an upload that got no answer is sent again, for
                        // as long as the restart may take.
                        long giveUp = System.nanoTime() + Duration.ofMinutes(6).toNanos();
                        while (System.nanoTime() < giveUp) {
                            try {
                                ApiClient.Answer answer = api.upload(ApiClient.header("Prefer", "respond-async"), png);
                                statuses.add(answer.status());
                                if (answer.status() == 429) {
                                    Thread.sleep(200);
                                    continue;
                                }
                                if (answer.status() == 202 || answer.status() == 201 || answer.status() == 200) {
                                    acknowledged.add(UUID.fromString(answer.body().path("images").path(0)
                                            .path("id").asString()));
                                }
                                break;
                            } catch (RuntimeException connectionLost) {
                                refused.incrementAndGet();
                                Thread.sleep(200);
                            }
                        }
                    }
                    return null;
                });
            }
            while (acknowledged.size() < killAfter) {
                Thread.sleep(5);
            }
            service.kill();
            int acknowledgedAtKill = acknowledged.size();
            long doneAtKill = jdbc.sql("SELECT count(*) FROM inference_job WHERE image_id = ANY(:ids) AND status = 'DONE'")
                    .param("ids", acknowledged.toArray(UUID[]::new)).query(Long.class).single();
            // The restart competes for the cores with the clients and with this JVM's context, which
            // takes over the killed process's jobs once their 10 s leases expire; its model warm-up
            // alone took over two minutes that way on a slow 2-core machine.
            service.start(Duration.ofMinutes(5));
            clients.shutdown();
            assertThat(clients.awaitTermination(7, TimeUnit.MINUTES)).isTrue();

            long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
            long unfinished;
            do {
                Thread.sleep(500);
                unfinished = jdbc.sql("""
                                SELECT count(*) FROM inference_job WHERE image_id = ANY(:ids) AND status <> 'DONE'""")
                        .param("ids", acknowledged.toArray(UUID[]::new)).query(Long.class).single();
            } while (unfinished > 0 && System.nanoTime() < deadline);

            System.out.printf("crash test (seed %d): killed after %d acknowledged uploads (%d of them done); "
                            + "%d acknowledged in all; %d requests got no answer and were retried; statuses %s%n",
                    seed, acknowledgedAtKill, doneAtKill, acknowledged.size(), refused.get(),
                    statuses.stream().distinct().sorted().toList());
            assertThat(acknowledged).hasSize(UPLOADS);
            assertThat(doneAtKill).as("the kill left acknowledged work unfinished").isLessThan(acknowledgedAtKill);
            assertThat(unfinished).as("acknowledged uploads not DONE").isZero();
            List<Long> predictionsPerImage = jdbc.sql("""
                            SELECT count(p.id) FROM image i LEFT JOIN prediction p ON p.image_id = i.id
                            WHERE i.id = ANY(:ids) GROUP BY i.id""")
                    .param("ids", acknowledged.toArray(UUID[]::new)).query(Long.class).list();
            assertThat(predictionsPerImage).hasSize(acknowledged.size()).containsOnly(1L);
            assertThat(statuses).allMatch(s -> s == 200 || s == 201 || s == 202 || s == 429);
        }
    }
}
