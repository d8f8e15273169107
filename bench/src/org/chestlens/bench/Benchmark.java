package org.chestlens.bench;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import org.chestlens.ServiceProcess;
import org.chestlens.TestSecurity;
import org.chestlens.TestImages;
import org.chestlens.inference.RawForward;
import org.chestlens.ingest.RawDecode;

/**
 * Measures, in one run on one machine: (a) the raw forward throughput of the served ensemble and
 * (b) the service end to end over HTTP (upload -> prediction committed in PostgreSQL), their ratio,
 * low-load latency against one forward plus decode, a sweep of batch size and maximum delay, and an
 * overload at ten times the sustainable rate. Modes: all, raw, e2e, sweep, overload.
 */
public final class Benchmark {

    static final Path MODEL = Path.of("models/chestlens-demo-densenet121");
    static final int IMAGE_SIZE = Integer.getInteger("bench.imageSize", 1024);
    static final int IMAGES = Integer.getInteger("bench.images", 240);
    static final int SECONDS = Integer.getInteger("bench.seconds", 30);
    static final int BATCH = Integer.getInteger("bench.batch", 8);

    private static final String BOUNDARY = "chestlensbenchboundary";
    /** The service trusts the tests' identity provider (ServiceProcess passes its key); this token has every role. */
    private static final String AUTHORIZATION = TestSecurity.allRoles().getFirst("Authorization");
    private static List<byte[]> bodies;
    private static byte[] samplePng;

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "all";
        System.out.printf("machine: %d cores, max heap %d MB, %s%n", Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20, System.getProperty("os.name"));
        System.out.printf("workload: %d distinct %dx%d 8-bit grey PNGs, model %s%n", IMAGES, IMAGE_SIZE, IMAGE_SIZE,
                MODEL.getFileName());
        prepareWorkload();
        double raw = 0;
        double e2e = 0;
        if (mode.equals("all") || mode.equals("raw") || mode.equals("e2e")) {
            raw = raw(BATCH);
        }
        if (mode.equals("all") || mode.equals("e2e")) {
            E2e saturated = e2e(BATCH, 20, Math.max(4, 2 * BATCH), SECONDS);
            e2e = saturated.imagesPerSecond();
            System.out.printf("RESULT throughput ratio end-to-end / raw forward at batch %d: %.3f (%.2f / %.2f images/s)%n",
                    BATCH, e2e / raw, e2e, raw);
            lowLoad();
        }
        if (mode.equals("all") || mode.equals("sweep")) {
            sweep();
        }
        if (mode.equals("all") || mode.equals("overload")) {
            if (e2e == 0) {
                e2e = e2e(BATCH, 20, Math.max(4, 2 * BATCH), SECONDS).imagesPerSecond();
            }
            overload(e2e);
        }
        // The HTTP clients' executors are not daemon threads.
        System.exit(0);
    }

    static void prepareWorkload() {
        long start = System.nanoTime();
        bodies = IntStream.range(0, IMAGES).parallel()
                .mapToObj(i -> multipart(TestImages.syntheticPng(7_000_000L + i, IMAGE_SIZE, IMAGE_SIZE))).toList();
        samplePng = TestImages.syntheticPng(6_999_999L, IMAGE_SIZE, IMAGE_SIZE);
        System.out.printf("workload generated in %.1f s%n", (System.nanoTime() - start) / 1e9);
    }

    static double raw(int batch) {
        try (RawForward forward = new RawForward(MODEL, Math.max(batch, 16))) {
            int batches = Math.max(3, 48 / batch);
            double ips = forward.imagesPerSecond(batch, batches);
            System.out.printf("raw forward, batch %2d: %6.2f images/s%n", batch, ips);
            return ips;
        }
    }

    record E2e(int batch, int delayMs, int clients, double imagesPerSecond, double p50, double p95, double p99,
               Map<Integer, Integer> statuses) {
    }

    /** Closed loop: {@code clients} threads each upload and wait for the committed prediction. */
    static E2e e2e(int batch, int delayMs, int clients, int seconds) throws Exception {
        resetDatabase();
        try (ServiceProcess service = startService(batch, delayMs)) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI uri = URI.create("http://localhost:" + service.port() + "/api/v1/images");
            AtomicInteger next = new AtomicInteger();
            List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
            Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
            AtomicLong completed = new AtomicLong();
            long warmUpEnd = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            long end = warmUpEnd + Duration.ofSeconds(seconds).toNanos();
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            for (int c = 0; c < clients; c++) {
                pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        int i = next.getAndIncrement();
                        if (i >= bodies.size()) {
                            break;
                        }
                        long start = System.nanoTime();
                        HttpResponse<String> response = http.send(upload(uri, bodies.get(i), "wait=120"),
                                HttpResponse.BodyHandlers.ofString());
                        long done = System.nanoTime();
                        statuses.merge(response.statusCode(), 1, Integer::sum);
                        if (start >= warmUpEnd && done <= end && response.statusCode() == 201) {
                            latencies.add((done - start) / 1e6);
                            completed.incrementAndGet();
                        }
                    }
                    return null;
                });
            }
            pool.shutdown();
            pool.awaitTermination(seconds + 300L, TimeUnit.SECONDS);
            if (next.get() >= bodies.size()) {
                System.out.println("warning: the workload ran out before the measuring window closed; raise -Dbench.images");
            }
            List<Double> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            E2e result = new E2e(batch, delayMs, clients, completed.get() / (double) seconds, pct(sorted, 50),
                    pct(sorted, 95), pct(sorted, 99), new TreeMap<>(statuses));
            System.out.printf("end-to-end, batch %2d, delay %3d ms, %2d clients: %6.2f images/s, latency p50 %7.1f "
                            + "p95 %7.1f p99 %7.1f ms, statuses %s%n", batch, delayMs, clients,
                    result.imagesPerSecond(), result.p50(), result.p95(), result.p99(), result.statuses());
            return result;
        }
    }

    /** One client, one image at a time: the latency a single radiograph sees on an idle service. */
    static void lowLoad() throws Exception {
        double decode = RawDecode.pngMillis(samplePng, 15);
        double forward;
        try (RawForward model = new RawForward(MODEL, 1)) {
            forward = model.singleImageMillis(15);
        }
        resetDatabase();
        try (ServiceProcess service = startService(BATCH, 20)) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI uri = URI.create("http://localhost:" + service.port() + "/api/v1/images");
            List<Double> latencies = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                long start = System.nanoTime();
                HttpResponse<String> response = http.send(upload(uri, bodies.get(i), "wait=60"),
                        HttpResponse.BodyHandlers.ofString());
                if (i >= 5 && response.statusCode() == 201) {
                    latencies.add((System.nanoTime() - start) / 1e6);
                }
                Thread.sleep(200);
            }
            Collections.sort(latencies);
            double p50 = pct(latencies, 50);
            System.out.printf("low load: p50 latency %.1f ms; one forward (batch 1) %.1f ms + decode %.1f ms = %.1f ms; "
                    + "overhead %.1f ms%n", p50, forward, decode, forward + decode, p50 - forward - decode);
            System.out.printf("RESULT low-load p50 minus (forward + decode): %.1f ms (goal: at most 50 ms)%n",
                    p50 - forward - decode);
        }
    }

    static void sweep() throws Exception {
        System.out.println("sweep of batch size (max delay 20 ms):");
        for (int batch : new int[] {1, 4, 8, 16}) {
            double raw = raw(batch);
            E2e e2e = e2e(batch, 20, Math.max(4, 2 * batch), SECONDS / 2);
            System.out.printf("  batch %2d: raw %6.2f, end-to-end %6.2f images/s, ratio %.3f, p50 %.0f ms%n", batch, raw,
                    e2e.imagesPerSecond(), e2e.imagesPerSecond() / raw, e2e.p50());
        }
        System.out.println("sweep of maximum delay (batch " + BATCH + ", 4 clients):");
        for (int delay : new int[] {0, 5, 20, 50, 100}) {
            E2e e2e = e2e(BATCH, delay, 4, SECONDS / 2);
            System.out.printf("  delay %3d ms: %6.2f images/s, p50 %.0f ms, p95 %.0f ms%n", delay,
                    e2e.imagesPerSecond(), e2e.p50(), e2e.p95());
        }
    }

    /** Open loop at ten times the sustainable rate for 30 s: only 200/202/429, bounded heap, recovery. */
    static void overload(double sustainable) throws Exception {
        double rate = 10 * sustainable;
        resetDatabase();
        try (ServiceProcess service = startService(BATCH, 20)) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .executor(Executors.newFixedThreadPool(16)).build();
            String base = "http://localhost:" + service.port();
            URI uri = URI.create(base + "/api/v1/images");
            Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
            AtomicInteger errors = new AtomicInteger();
            long heapMax = 0;
            int total = (int) (rate * 30);
            CountDownLatch finished = new CountDownLatch(total);
            long start = System.nanoTime();
            long nextHeapSample = start;
            for (int i = 0; i < total; i++) {
                long due = start + (long) (i * 1e9 / rate);
                while (System.nanoTime() < due) {
                    if (System.nanoTime() >= nextHeapSample) {
                        heapMax = Math.max(heapMax, heapUsed(http, base));
                        nextHeapSample += 1_000_000_000L;
                    }
                    Thread.sleep(0, 200_000);
                }
                byte[] body = multipart(uniquePng(i));
                http.sendAsync(upload(uri, body, "respond-async"), HttpResponse.BodyHandlers.discarding())
                        .whenComplete((response, failure) -> {
                            if (failure != null) {
                                errors.incrementAndGet();
                            } else {
                                statuses.merge(response.statusCode(), 1, Integer::sum);
                            }
                            finished.countDown();
                        });
            }
            finished.await(5, TimeUnit.MINUTES);
            System.out.printf("overload: %d uploads at %.1f/s (10 x %.2f) for 30 s: statuses %s, transport errors %d, "
                    + "max heap used %d MB%n", total, rate, sustainable, new TreeMap<>(statuses), errors.get(),
                    heapMax >> 20);
            long drainStart = System.nanoTime();
            double depth;
            do {
                Thread.sleep(1000);
                depth = metric(http, base, "chestlens.inference.queue.depth");
                heapMax = Math.max(heapMax, heapUsed(http, base));
            } while (depth > 0 && System.nanoTime() - drainStart < Duration.ofMinutes(10).toNanos());
            HttpResponse<String> after = http.send(upload(uri, multipart(uniquePng(-1)), "wait=60"),
                    HttpResponse.BodyHandlers.ofString());
            boolean onlyExpected = statuses.keySet().stream().allMatch(s -> s == 200 || s == 202 || s == 429);
            System.out.printf("RESULT overload: only 200/202/429: %s; queue drained in %.0f s; next upload answered %d; "
                            + "max heap used %d MB of %s%n", onlyExpected && errors.get() == 0,
                    (System.nanoTime() - drainStart) / 1e9, after.statusCode(), heapMax >> 20, "1024 MB (-Xmx1g)");
        }
    }

    private static byte[] uniquePng(int i) {
        // Small, distinct images: the overload is about request rate, not decode cost.
        return TestImages.syntheticPng(9_000_000L + i, 256, 256);
    }

    static ServiceProcess startService(int batch, int delayMs) throws Exception {
        Path log = Files.createTempFile("chestlens-bench", ".log");
        ServiceProcess service = new ServiceProcess(log, "--chestlens.inference.max-batch-size=" + batch,
                "--chestlens.inference.max-batch-delay=" + delayMs + "ms",
                "--spring.servlet.multipart.max-file-size=64MB", "--spring.servlet.multipart.max-request-size=64MB",
                "--logging.level.org.chestlens=WARN",
                // The benchmark is one caller far above any sensible per-caller limit; it measures the queue.
                "--chestlens.security.rate-limit.enabled=false");
        service.start(Duration.ofMinutes(3));
        return service;
    }

    static void resetDatabase() throws Exception {
        String url = System.getenv().getOrDefault("TEST_DATABASE_URL", "jdbc:postgresql://127.0.0.1:5432/test");
        try (Connection connection = DriverManager.getConnection(url,
                System.getenv().getOrDefault("TEST_DATABASE_USER", "postgres"),
                System.getenv().getOrDefault("TEST_DATABASE_PASSWORD", ""))) {
            var tables = connection.getMetaData().getTables(null, null, "inference_job", null);
            if (tables.next()) {
                connection.createStatement().execute(
                        "TRUNCATE prediction, inference_job, idempotency_key, image CASCADE");
            }
        }
    }

    static HttpRequest upload(URI uri, byte[] body, String prefer) {
        return HttpRequest.newBuilder(uri)
                .header("Authorization", AUTHORIZATION)
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .header("Prefer", prefer)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    static byte[] multipart(byte[] png) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(png.length + 256);
        out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(png);
        out.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    static long heapUsed(HttpClient http, String base) {
        return (long) metric(http, base, "jvm.memory.used?tag=area:heap");
    }

    static double metric(HttpClient http, String base, String name) {
        try {
            String json = http.send(HttpRequest.newBuilder(URI.create(base + "/actuator/metrics/" + name))
                    .header("Authorization", AUTHORIZATION).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            int at = json.indexOf("\"value\":");
            return at < 0 ? 0 : Double.parseDouble(json.substring(at + 8).split("[,}]")[0]);
        } catch (Exception e) {
            return 0;
        }
    }

    static double pct(List<Double> sorted, int percentile) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1));
    }
}
