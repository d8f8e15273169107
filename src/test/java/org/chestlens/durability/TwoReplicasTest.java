package org.chestlens.durability;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.chestlens.ApiClient;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.ServiceProcess;
import org.chestlens.TestImages;
import org.chestlens.TestSecurity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Replicas share one PostgreSQL job queue: two service processes take uploads side by side and
 * score them; one is killed with SIGKILL after its first results while it still holds queued work,
 * and the survivor claims those jobs once their lease expires. No job is scored twice: each image gets one prediction, and the survivor's
 * own count of images it scored equals the jobs the database says it finished.
 */
@ChestlensIntegrationTest
class TwoReplicasTest {

    private static final int UPLOADS = 80;
    private static final Pattern SCORED = Pattern.compile("(?m)^chestlens_inference_images_total\\{[^}]*} ([0-9.Ee+]+)$");

    @Autowired
    JdbcClient jdbc;

    @Test
    void survivorTakesOverTheKilledReplicasJobsAndNothingIsScoredTwice(@TempDir Path logs) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String nameA = "replica-a-" + run;
        String nameB = "replica-b-" + run;
        List<String> common = List.of("--chestlens.inference.lease=4s", "--chestlens.inference.recovery-interval=1s");
        try (ServiceProcess a = new ServiceProcess(logs.resolve("a.log"), with(common, nameA));
             ServiceProcess b = new ServiceProcess(logs.resolve("b.log"), with(common, nameB))) {
            a.start(Duration.ofMinutes(3));
            b.start(Duration.ofMinutes(3));
            ApiClient apiA = new ApiClient(a.port());
            ApiClient apiB = new ApiClient(b.port());

            long seed = System.nanoTime();
            Map<UUID, String> acceptedBy = new ConcurrentHashMap<>();
            Set<UUID> aliveA = ConcurrentHashMap.newKeySet();
            AtomicInteger next = new AtomicInteger();
            ExecutorService clients = Executors.newFixedThreadPool(4);
            // Phase 1: both replicas take uploads (odd ones to A), faster than they can score them.
            int phaseOne = UPLOADS / 2;
            List<Future<?>> uploaders = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                uploaders.add(clients.submit(() -> {
                    int n;
                    while ((n = next.getAndIncrement()) < phaseOne) {
                        boolean toA = n % 2 == 1;
                        UUID id = upload(toA ? apiA : apiB, TestImages.syntheticPng(seed + n, 250 + n % 30, 260));
                        acceptedBy.put(id, toA ? nameA : nameB);
                        if (toA) {
                            aliveA.add(id);
                        }
                    }
                    return null;
                }));
            }
            clients.shutdown();
            assertThat(clients.awaitTermination(3, TimeUnit.MINUTES)).isTrue();
            for (Future<?> uploader : uploaders) {
                uploader.get(); // an upload a client could not make fails the test with its own message
            }

            // Kill A once it has scored some of its jobs but not all of them.
            long waitUntil = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (System.nanoTime() < waitUntil && jdbc.sql(
                    "SELECT count(*) FROM inference_job WHERE finished_by = :a").param("a", nameA).query(Long.class).single() == 0) {
                Thread.sleep(20);
            }
            a.kill();
            long unfinishedOfA = jdbc.sql("SELECT count(*) FROM inference_job WHERE image_id = ANY(:ids) AND status <> 'DONE'")
                    .param("ids", aliveA.toArray(UUID[]::new)).query(Long.class).single();

            // Phase 2: A is gone; the rest goes to B.
            for (int n = phaseOne; n < UPLOADS; n++) {
                acceptedBy.put(upload(apiB, TestImages.syntheticPng(seed + n, 250 + n % 30, 260)), nameB);
            }

            UUID[] ids = acceptedBy.keySet().toArray(UUID[]::new);
            long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
            long unfinished;
            do {
                Thread.sleep(500);
                unfinished = jdbc.sql("SELECT count(*) FROM inference_job WHERE image_id = ANY(:ids) AND status <> 'DONE'")
                        .param("ids", ids).query(Long.class).single();
            } while (unfinished > 0 && System.nanoTime() < deadline);

            List<Map<String, Object>> jobs = jdbc.sql("SELECT image_id, finished_by FROM inference_job WHERE image_id = ANY(:ids)")
                    .param("ids", ids).query().listOfRows();
            long finishedByA = jobs.stream().filter(j -> nameA.equals(j.get("finished_by"))).count();
            long finishedByB = jobs.stream().filter(j -> nameB.equals(j.get("finished_by"))).count();
            // The test's own application context is a third replica on the same database: it may claim
            // expired jobs too, so "taken over" means finished by anyone but A.
            long takenOver = jobs.stream().filter(j -> nameA.equals(acceptedBy.get((UUID) j.get("image_id")))
                    && j.get("finished_by") != null && !nameA.equals(j.get("finished_by"))).count();
            long finishedByOthers = jobs.stream().filter(j -> j.get("finished_by") != null
                    && !nameA.equals(j.get("finished_by")) && !nameB.equals(j.get("finished_by"))).count();
            double scoredByB = scoredImages(b.port());
            System.out.printf("two replicas: %d uploads, %d to A (%d unfinished when A was killed); finished by A %d, "
                    + "by B %d, by the test's own replica %d (%d of A's taken over); B counted %.0f scored images%n",
                    UPLOADS, aliveA.size(), unfinishedOfA, finishedByA, finishedByB, finishedByOthers, takenOver, scoredByB);

            assertThat(acceptedBy).hasSize(UPLOADS);
            assertThat(unfinished).as("uploads not DONE").isZero();
            assertThat(unfinishedOfA).as("A had queued work when it was killed").isPositive();
            assertThat(finishedByA).as("A scored jobs before it was killed").isPositive();
            assertThat(takenOver).as("jobs of A finished by another replica").isEqualTo(unfinishedOfA);
            assertThat(finishedByA + finishedByB + finishedByOthers).isEqualTo(UPLOADS);
            assertThat(scoredByB).as("B scored each of its jobs once").isEqualTo((double) finishedByB);
            List<Long> predictionsPerImage = jdbc.sql("""
                            SELECT count(p.id) FROM image i LEFT JOIN prediction p ON p.image_id = i.id
                            WHERE i.id = ANY(:ids) GROUP BY i.id""")
                    .param("ids", ids).query(Long.class).list();
            assertThat(predictionsPerImage).hasSize(UPLOADS).containsOnly(1L);
        }
    }

    private static String[] with(List<String> common, String instance) {
        return java.util.stream.Stream.concat(common.stream(), java.util.stream.Stream.of(
                "--chestlens.inference.instance-id=" + instance)).toArray(String[]::new);
    }

    private static UUID upload(ApiClient api, byte[] png) throws InterruptedException {
        for (int attempt = 0; attempt < 300; attempt++) {
            ApiClient.Answer answer = api.upload(ApiClient.header("Prefer", "respond-async"), png);
            if (answer.status() == 429) {
                Thread.sleep(200);
                continue;
            }
            assertThat(answer.status()).isIn(200, 201, 202);
            return UUID.fromString(answer.body().path("images").path(0).path("id").asString());
        }
        throw new AssertionError("upload refused 300 times");
    }

    private static double scoredImages(int port) throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/actuator/prometheus"))
                        .header("Authorization", TestSecurity.allRoles().getFirst("Authorization")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = SCORED.matcher(metrics);
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return total;
    }
}
