package org.chestlens;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The service as a separate operating-system process, so a test can kill it with SIGKILL and start
 * it again. It uses the test database and the test class path.
 */
public final class ServiceProcess implements AutoCloseable {

    private static final String MAX_BATCH_SIZE = "--chestlens.inference.max-batch-size=";

    private final List<String> arguments;
    private final Path log;
    private final int port;
    private Process process;

    public ServiceProcess(Path log, String... extraArguments) throws IOException {
        this(log, List.of(), extraArguments);
    }

    /** With {@code jvmOptions} after {@code -Xmx1g} (a benchmark's flight recording or garbage collector). */
    public ServiceProcess(Path log, List<String> jvmOptions, String... extraArguments) throws IOException {
        this.log = log;
        try (ServerSocket socket = new ServerSocket(0)) {
            this.port = socket.getLocalPort();
        }
        arguments = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
        arguments.addAll(jvmOptions);
        arguments.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.chestlens.ChestlensApplication",
                "--spring.profiles.active=test", "--server.port=" + port));
        arguments.addAll(TestSecurity.arguments());
        arguments.addAll(List.of(extraArguments));
        // The model warms up at every batch size before readiness (2 x max + 1 forwards per fold): 16 s at
        // the default 8 on the 2-core CI machine. The process tests are about kills and restarts, not batch
        // sizes, so they start with 4 unless they name their own (a property given twice becomes a list).
        if (arguments.stream().noneMatch(argument -> argument.startsWith(MAX_BATCH_SIZE))) {
            arguments.add(MAX_BATCH_SIZE + "4");
        }
    }

    public int port() {
        return port;
    }

    /** The operating-system process id, once started (benchmarks read its threads' CPU time). */
    public long pid() {
        return process.pid();
    }

    public void start(Duration readinessTimeout) throws IOException, InterruptedException {
        process = new ProcessBuilder(arguments).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + readinessTimeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Service exited with " + process.exitValue() + "; see " + log);
            }
            try {
                HttpResponse<String> ready = http.send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + port + "/actuator/health/readiness")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (ready.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("Service not ready within " + readinessTimeout + "; see " + log);
    }

    /** SIGKILL: no shutdown hook, no graceful close, exactly like a crash. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            process.waitFor();
        }
    }

}
