package org.chestlens.interop.webhook;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.sun.net.httpserver.HttpServer;

/**
 * A real HTTP endpoint for webhook tests (the JDK's own server on a local port). It records every
 * request and answers 200, or first fails each event (by webhook-id) a given number of times. Signatures are checked here with
 * javax.crypto alone, independently of the library the service signs with.
 */
public final class WebhookReceiver implements AutoCloseable {

    public record Received(String id, String timestamp, String signature, String contentType, String body) {
    }

    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> seen = new ConcurrentHashMap<>();
    private volatile int failuresPerEvent;
    private volatile int failureStatus = 500;
    private final HttpServer server;

    private WebhookReceiver(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        server.createContext("/", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            var h = exchange.getRequestHeaders();
            received.add(new Received(h.getFirst("webhook-id"), h.getFirst("webhook-timestamp"),
                    h.getFirst("webhook-signature"), h.getFirst("Content-Type"),
                    new String(body, StandardCharsets.UTF_8)));
            int attempt = seen.merge(String.valueOf(h.getFirst("webhook-id")), 1, Integer::sum);
            exchange.sendResponseHeaders(attempt <= failuresPerEvent ? failureStatus : 200, -1);
            exchange.close();
        });
        server.start();
    }

    /** Listens on {@code port} (0: any free one). */
    public static WebhookReceiver listen(int port) throws IOException {
        return new WebhookReceiver(port);
    }

    int port() {
        return server.getAddress().getPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port() + "/hooks/chestlens";
    }

    /** The first {@code times} requests of each event are answered {@code status}, later ones 200. */
    void failEachEvent(int times, int status) {
        failureStatus = status;
        failuresPerEvent = times;
    }

    public List<Received> received(Predicate<Received> filter) {
        return received.stream().filter(filter).toList();
    }

    /** Waits until at least {@code count} requests pass the filter; returns those seen by then. */
    public List<Received> await(Predicate<Received> filter, int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Received> matching = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            matching = received(filter);
            if (matching.size() >= count) {
                return matching;
            }
            Thread.sleep(50);
        }
        return matching;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    public static String newSecret() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return "whsec_" + Base64.getEncoder().encodeToString(key);
    }

    /**
     * Standard Webhooks verification from the specification: HMAC-SHA256 with the base64-decoded key
     * after "whsec_" over "id.timestamp.body", base64, compared in constant time with each
     * space-separated "v1,..." signature.
     */
    public static boolean signatureValid(String secret, Received r) throws GeneralSecurityException {
        if (r.id() == null || r.timestamp() == null || r.signature() == null) {
            return false;
        }
        byte[] key = Base64.getDecoder().decode(secret.substring("whsec_".length()));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        byte[] expected = Base64.getEncoder().encode(mac.doFinal(
                (r.id() + "." + r.timestamp() + "." + r.body()).getBytes(StandardCharsets.UTF_8)));
        for (String candidate : r.signature().split(" ")) {
            if (candidate.startsWith("v1,") && MessageDigest.isEqual(expected,
                    candidate.substring(3).getBytes(StandardCharsets.US_ASCII))) {
                return true;
            }
        }
        return false;
    }

    /** The timestamp is the attempt's, in Unix seconds, close to now (receivers reject stale ones). */
    public static boolean timestampFresh(Received r) {
        long seconds = Long.parseLong(r.timestamp());
        return Math.abs(System.currentTimeMillis() / 1000 - seconds) < 300;
    }
}
