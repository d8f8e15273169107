package org.chestlens.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.chestlens.StoreScu;
import org.chestlens.ingest.IngestProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.ssl.DefaultSslBundleRegistry;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;
import org.springframework.util.unit.DataSize;

/**
 * DICOM over TLS (chestlens.dicom.scp.tls-bundle): storescu with +tls stores an instance, and the same
 * sender without TLS is not understood. Only the transport is under test here, so the receiver's
 * store step records what arrives instead of scoring it (DicomStoreScpTest covers that path).
 */
class StorageScpTlsTest {

    @Test
    void storescuOverTlsIsReceivedAndPlainTcpIsNot(@TempDir Path dir) throws Exception {
        StoreScu.requireInstalled();
        Path key = dir.resolve("key.pem");
        Path cert = dir.resolve("cert.pem");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                key.toString(), "-out", cert.toString(), "-days", "1", "-subj", "/CN=localhost")
                .redirectErrorStream(true).start();
        openssl.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        assertThat(openssl.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(openssl.exitValue()).isZero();
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        DicomScpProperties properties = new DicomScpProperties(true, port, "127.0.0.1", "CHESTLENS", List.of(), 2,
                Duration.ofSeconds(5), "dicom");
        IngestProperties ingest = new IngestProperties(40_000_000, 32, 2, Duration.ofSeconds(10), Duration.ofSeconds(10),
                Duration.ofSeconds(60), DataSize.ofMegabytes(64), DataSize.ofMegabytes(64), DataSize.ofMegabytes(256),
                DataSize.ofMegabytes(512), null, Path.of("target/native"));
        List<String> received = new CopyOnWriteArrayList<>();
        DimseStore recording = new DimseStore(null, null, ingest, null) {
            @Override
            Answer store(Request request) {
                received.add(request.sopInstanceUid() + " " + request.transferSyntaxUid() + " "
                        + request.dataSet().length);
                return new Answer(DimseStatus.SUCCESS, null, null);
            }
        };
        SslBundle bundle = SslBundle.of(new PemSslStoreBundle(PemSslStoreDetails.forCertificate("file:" + cert)
                .withPrivateKey("file:" + key), null));
        StorageScp scp = new StorageScp(properties, ingest, recording, null,
                new DefaultSslBundleRegistry("dicom", bundle));
        scp.start();
        try {
            assertThat(scp.state().tls()).isTrue();
            Path file = Path.of("src/test/resources/dicom/explicit-le.dcm");

            StoreScu.Result overTls = StoreScu.send(port, "TLSSENDER", "CHESTLENS", List.of(file),
                    "+tls", key.toString(), cert.toString(), "-ic");
            assertThat(overTls.statuses()).as(overTls.output()).containsExactly(0);
            assertThat(received).singleElement().asString()
                    .startsWith("1.2.826.0.1.3680043.10.1453.3.1 1.2.840.10008.1.2.1 ");

            StoreScu.Result plain = StoreScu.send(port, "TLSSENDER", "CHESTLENS", List.of(file));
            assertThat(plain.statuses()).isEmpty();
            assertThat(plain.exitCode()).isNotZero();
            assertThat(received).hasSize(1);
        } finally {
            scp.stop();
        }
    }
}
