package org.chestlens.durability;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of the test's own, which it may stop and start at will: Debian's server
 * binaries ({@code initdb}, {@code pg_ctl}) with a data folder under /tmp and a free port, trust
 * authentication on 127.0.0.1 only. PostgreSQL refuses to run as root, so as root (CI) its commands run
 * as the {@code postgres} user through {@code runuser}. The shared server the other tests use is never
 * touched.
 */
final class PostgresCluster implements AutoCloseable {

    static final String DATABASE = "chestlens";
    static final String USER = "postgres";

    private final Path bin;
    private final boolean asPostgresUser;
    private final Path dataDir;
    private final int port;

    private PostgresCluster(Path bin, boolean asPostgresUser, Path dataDir, int port) {
        this.bin = bin;
        this.asPostgresUser = asPostgresUser;
        this.dataDir = dataDir;
        this.port = port;
    }

    /** The newest installed server's binaries, if any ({@code /usr/lib/postgresql/<version>/bin}). */
    static Optional<Path> serverBinaries() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("pg_ctl")) && Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(b -> versionOf(b.getParent())));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static int versionOf(Path versionDir) {
        try {
            return Integer.parseInt(versionDir.getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Creates the cluster and its database, and starts it. */
    static PostgresCluster create(Path bin) throws IOException, InterruptedException, SQLException {
        boolean root = "root".equals(System.getProperty("user.name"));
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        String dir = run(root, List.of("mktemp", "-d", "/tmp/chestlens-pg-XXXXXX")).trim();
        PostgresCluster cluster = new PostgresCluster(bin, root, Path.of(dir), port);
        run(root, List.of(bin.resolve("initdb").toString(), "-D", dir, "-U", USER, "--auth=trust", "-E", "UTF8",
                "--no-sync", "--no-instructions"));
        cluster.start();
        try (Connection db = DriverManager.getConnection(cluster.jdbcUrl("postgres"), USER, "");
             Statement statement = db.createStatement()) {
            statement.execute("CREATE DATABASE " + DATABASE);
        }
        return cluster;
    }

    int port() {
        return port;
    }

    String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Returns once the server accepts connections. */
    void start() throws IOException, InterruptedException {
        run(asPostgresUser, List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-l",
                dataDir.resolve("server.log").toString(), "-w", "-t", "60", "-o",
                "-p " + port + " -k " + dataDir + " -c listen_addresses=127.0.0.1 -c fsync=off", "start"));
    }

    /**
     * Fast shutdown, as for a restart or a failover: sessions are ended at once, the server stops
     * listening; returns once it has stopped.
     */
    void stop() throws IOException, InterruptedException {
        run(asPostgresUser, List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "fast", "-w",
                "-t", "60", "stop"));
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            stop();
        } catch (IOException alreadyStopped) {
            // nothing to stop
        }
        run(asPostgresUser, List.of("rm", "-rf", dataDir.toString()));
    }

    private static String run(boolean asPostgresUser, List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asPostgresUser) {
            full.addAll(List.of("runuser", "-u", USER, "--"));
        }
        full.addAll(command);
        Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(90, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", full) + " failed: " + new String(output, StandardCharsets.UTF_8));
        }
        return new String(output, StandardCharsets.UTF_8);
    }
}
