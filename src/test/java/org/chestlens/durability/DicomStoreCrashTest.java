package org.chestlens.durability;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.ServiceProcess;
import org.chestlens.StoreScu;
import org.chestlens.interop.StudyInstances;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A C-STORE Success means durable: the service runs as its own process, storescu sends it instances,
 * and at the first Success the service is frozen (SIGSTOP, so the state at that moment can be read: the
 * image and its job are committed, the prediction is not), then killed with SIGKILL. After a restart
 * the instance is scored, exactly once.
 */
@ChestlensIntegrationTest
class DicomStoreCrashTest {

    @Autowired
    JdbcClient jdbc;

    @Test
    void anInstanceAnsweredSuccessIsScoredAfterAKillBeforeScoring(@TempDir Path dir) throws Exception {
        StoreScu.requireInstalled();
        int dicomPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            dicomPort = socket.getLocalPort();
        }
        List<Path> files = new ArrayList<>();
        List<String> sops = new ArrayList<>();
        String study = StudyInstances.newUid();
        String series = StudyInstances.newUid();
        for (int i = 0; i < 3; i++) {
            Path file = dir.resolve("instance-" + i + ".dcm");
            String sop = StudyInstances.newUid();
            Files.write(file, StudyInstances.instance(study, series, sop));
            files.add(file);
            sops.add(sop);
        }
        String instance = "dicom-crash-" + UUID.randomUUID();
        String[] arguments = {"--chestlens.inference.instance-id=" + instance, "--chestlens.inference.lease=10s",
                "--chestlens.inference.recovery-interval=1s", "--chestlens.dicom.scp.port=" + dicomPort};
        AtomicReference<Map<String, Object>> atKill = new AtomicReference<>();
        try (ServiceProcess service = new ServiceProcess(dir.resolve("service.log"), arguments)) {
            service.start(Duration.ofMinutes(4));
            long pid = service.pid();
            StoreScu.send(dicomPort, "STORESCU", "CHESTLENS", files, status -> {
                if (status != 0 || atKill.get() != null) {
                    return;
                }
                try {
                    signal("STOP", pid);
                    atKill.set(jdbc.sql("""
                            SELECT count(DISTINCT i.id) AS images,
                                   count(DISTINCT j.id) FILTER (WHERE j.status <> 'DONE') AS open_jobs,
                                   count(DISTINCT p.id) AS predictions
                            FROM image i LEFT JOIN inference_job j ON j.image_id = i.id
                            LEFT JOIN prediction p ON p.image_id = i.id
                            WHERE i.sop_instance_uid = :sop""").param("sop", sops.get(0)).query().singleRow());
                    service.kill();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        // At the first Success the image and its job were committed and nothing was scored yet.
        assertThat(atKill.get()).as("state when the service was frozen after the first Success").isNotNull();
        assertThat(((Number) atKill.get().get("images")).longValue()).isEqualTo(1);
        assertThat(((Number) atKill.get().get("open_jobs")).longValue()).isEqualTo(1);
        assertThat(((Number) atKill.get().get("predictions")).longValue()).as("scored before the kill").isZero();

        try (ServiceProcess restarted = new ServiceProcess(dir.resolve("service-restarted.log"), arguments)) {
            restarted.start(Duration.ofMinutes(4));
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            long predictions = 0;
            while (System.nanoTime() < deadline && predictions == 0) {
                Thread.sleep(500);
                predictions = predictions(sops.get(0));
            }
            assertThat(predictions).as("predictions of the instance answered Success").isEqualTo(1);
            assertThat(jdbc.sql("SELECT count(*) FROM image WHERE sop_instance_uid = :sop").param("sop", sops.get(0))
                    .query(Long.class).single()).isEqualTo(1);
        }
    }

    private long predictions(String sop) {
        return jdbc.sql("SELECT count(*) FROM prediction p JOIN image i ON i.id = p.image_id "
                + "WHERE i.sop_instance_uid = :sop").param("sop", sop).query(Long.class).single();
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }
}
