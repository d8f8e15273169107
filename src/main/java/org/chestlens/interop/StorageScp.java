package org.chestlens.interop;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

import com.pixelmed.network.AReleaseException;
import com.pixelmed.network.Association;
import com.pixelmed.network.AssociationFactory;
import com.pixelmed.network.CEchoResponseCommandMessage;
import com.pixelmed.network.MessageServiceElementCommand;
import com.pixelmed.dicom.AttributeTag;
import org.chestlens.ingest.IngestProperties;
import org.chestlens.platform.security.NetworkPeerAudit;
import org.chestlens.prediction.Priority;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The DICOM C-STORE receiver (storage SCP, PS3.4 Annex B) on its own port and AE title: modalities
 * and PACS routers send radiographs here the way they send them to any archive, and each instance is
 * scored like an upload ({@link DimseStore}).
 *
 * <p>Associations are limited ({@code max-associations}); a request beyond the limit, to another AE
 * title, or from a calling AE title that is not allowed is rejected before PixelMed accepts anything
 * (A-ASSOCIATE-RJ). Every read has the idle timeout, so an association that stalls is aborted; and an
 * instance takes a decode slot only once its data set has arrived whole, so a slow or stalled sender
 * never holds one. Started after the batchers (phase), stopped before them.
 */
@Component
class StorageScp implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(StorageScp.class);
    private static final int A_ASSOCIATE_RQ = 0x01;
    private static final int MAX_ASSOCIATE_RQ_BYTES = 64 * 1024;
    private static final AttributeTag AFFECTED_SOP_CLASS = new AttributeTag(0x0000, 0x0002);
    private static final AttributeTag MESSAGE_ID = new AttributeTag(0x0000, 0x0110);
    /** The C-STORE-RQ's Priority (PS3.7 9.1.1.1): 0x0001 HIGH makes the instance stat work here. */
    private static final AttributeTag PRIORITY = new AttributeTag(0x0000, 0x0700);
    private static final int DIMSE_PRIORITY_HIGH = 0x0001;
    private static final AttributeTag AFFECTED_SOP_INSTANCE = new AttributeTag(0x0000, 0x1000);

    /** What the health endpoint shows. */
    record State(boolean enabled, boolean listening, int port, String aeTitle, boolean tls, int activeAssociations,
                 int maxAssociations, long instancesReceived) {
    }

    private final DicomScpProperties properties;
    private final IngestProperties ingestProperties;
    private final DimseStore store;
    private final NetworkPeerAudit audit;
    private final SslBundles sslBundles;
    private final StoragePresentationContexts contexts = new StoragePresentationContexts();
    private final Semaphore associations;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong received = new AtomicLong();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket server;
    private volatile Thread acceptor;
    private ExecutorService workers;

    StorageScp(DicomScpProperties properties, IngestProperties ingestProperties, DimseStore store,
               NetworkPeerAudit audit, SslBundles sslBundles) {
        this.properties = properties;
        this.ingestProperties = ingestProperties;
        this.store = store;
        this.audit = audit;
        this.sslBundles = sslBundles;
        this.associations = new Semaphore(properties.maxAssociations());
    }

    State state() {
        ServerSocket socket = server;
        Thread thread = acceptor;
        return new State(properties.enabled(), socket != null && !socket.isClosed() && thread != null
                && thread.isAlive(), socket == null ? properties.port() : socket.getLocalPort(), properties.aeTitle(),
                properties.tlsBundle() != null, active.get(), properties.maxAssociations(), received.get());
    }

    @Override
    public void start() {
        if (!properties.enabled()) {
            return;
        }
        try {
            ServerSocket socket = serverSocket();
            socket.setReuseAddress(true);
            InetAddress bind = properties.bindAddress() == null || properties.bindAddress().isBlank() ? null
                    : InetAddress.getByName(properties.bindAddress());
            socket.bind(new InetSocketAddress(bind, properties.port()), 50);
            server = socket;
        } catch (IOException e) {
            throw new IllegalStateException("The DICOM receiver cannot listen on port " + properties.port(), e);
        }
        // One thread per connection; connections beyond the association limit are answered and closed
        // at once, so the threads alive are bounded by the limit plus those being rejected.
        workers = Executors.newCachedThreadPool(named("dicom-association-"));
        Thread thread = named("dicom-scp-accept").newThread(this::acceptLoop);
        acceptor = thread;
        thread.start();
        log.info("DICOM C-STORE receiver: AE title {} on port {}{}, at most {} associations", properties.aeTitle(),
                server.getLocalPort(), properties.tlsBundle() != null ? " (TLS)" : "", properties.maxAssociations());
    }

    private ServerSocket serverSocket() throws IOException {
        if (properties.tlsBundle() == null || properties.tlsBundle().isBlank()) {
            return new ServerSocket();
        }
        SslBundle bundle = sslBundles.getBundle(properties.tlsBundle());
        SSLServerSocket socket = (SSLServerSocket) bundle.createSslContext().getServerSocketFactory()
                .createServerSocket();
        if (bundle.getStores().getTrustStore() != null) {
            socket.setNeedClientAuth(true);
        }
        return socket;
    }

    private void acceptLoop() {
        ServerSocket socket = server;
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                if (open.size() >= 2 * properties.maxAssociations() + 16) {
                    // A flood of connections that never associate: do not give each a thread.
                    connection.close();
                    continue;
                }
                open.add(connection);
                workers.execute(() -> serve(connection));
            } catch (IOException e) {
                if (!socket.isClosed()) {
                    log.warn("DICOM receiver accept failed: {}", e.toString());
                }
            } catch (RuntimeException rejected) {
                // executor shut down while stopping
            }
        }
    }

    private void serve(Socket connection) {
        String remote = connection.getInetAddress().getHostAddress();
        java.util.concurrent.atomic.AtomicBoolean permit = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable releasePermit = () -> {
            if (permit.compareAndSet(true, false)) {
                active.decrementAndGet();
                associations.release();
            }
        };
        try (connection) {
            connection.setSoTimeout((int) Math.max(1, properties.idleTimeout().toMillis()));
            if (connection instanceof SSLSocket tls) {
                tls.startHandshake();
            }
            byte[] request = readAssociateRequest(connection.getInputStream());
            String called = aeTitle(request, 10);
            String calling = aeTitle(request, 26);
            if (!called.equals(properties.aeTitle().strip())) {
                reject(connection, 1, 1, 7); // permanent, service user, called AE title not recognised
                return;
            }
            List<String> allowed = properties.allowedCallingAeTitles();
            if (!allowed.isEmpty() && allowed.stream().noneMatch(ae -> ae.strip().equals(calling))) {
                // Audited before the answer, so the row exists once the sender knows it was refused.
                audit.record(calling, "dicom.associate", "dicom:" + called, List.of(), remote, 0x0003,
                        NetworkPeerAudit.Outcome.DENIED);
                reject(connection, 1, 1, 3); // permanent, service user, calling AE title not recognised
                return;
            }
            if (!associations.tryAcquire()) {
                reject(connection, 2, 3, 2); // transient, service provider (presentation), local limit exceeded
                return;
            }
            permit.set(true);
            active.incrementAndGet();
            Association association = AssociationFactory.createNewAssociation(
                    new ReplaySocket(connection, request, releasePermit), properties.aeTitle(), contexts);
            connection.setSoTimeout((int) Math.max(1, properties.idleTimeout().toMillis()));
            converse(association, calling, remote);
        } catch (EOFException | java.net.SocketTimeoutException e) {
            log.debug("DICOM association from {} ended: {}", remote, e.toString());
        } catch (Exception e) {
            log.info("DICOM association from {} aborted: {}", remote, e.getMessage());
        } finally {
            releasePermit.run();
            open.remove(connection);
        }
    }

    /** Answers each request of the association until the sender releases it. */
    private void converse(Association association, String calling, String remote) throws Exception {
        long maxDataSet = ingestProperties.maxBodySize().toBytes();
        while (true) {
            DimseMessageReceiver message = new DimseMessageReceiver(maxDataSet);
            association.setReceivedDataHandler(message);
            try {
                association.waitForPDataPDUsUntilHandlerReportsDone();
            } catch (AReleaseException released) {
                return;
            }
            byte context = message.presentationContextId();
            int messageId = message.integer(MESSAGE_ID);
            switch (message.commandField()) {
                case MessageServiceElementCommand.C_ECHO_RQ -> association.send(context,
                        new CEchoResponseCommandMessage(StoragePresentationContexts.VERIFICATION, messageId,
                                DimseStatus.SUCCESS).getBytes(), null);
                case MessageServiceElementCommand.C_STORE_RQ -> {
                    String sopClass = message.string(AFFECTED_SOP_CLASS);
                    String sopInstance = message.string(AFFECTED_SOP_INSTANCE);
                    DimseStore.Answer answer = store.store(new DimseStore.Request(calling, properties.aeTitle(),
                            remote, sopClass, sopInstance, association.getTransferSyntaxForPresentationContextID(context),
                            message.dataSet(), message.dataSetTooLarge(),
                            message.integer(PRIORITY) == DIMSE_PRIORITY_HIGH ? Priority.STAT : Priority.ROUTINE));
                    received.incrementAndGet();
                    association.send(context, DimseEncoding.cStoreResponse(sopClass, sopInstance, messageId,
                            answer.status(), answer.comment()), null);
                }
                default -> {
                    log.info("DICOM association from {}: unsupported command 0x{}, aborting", calling,
                            Integer.toHexString(message.commandField()));
                    association.abort();
                    return;
                }
            }
        }
    }

    /** Reads the first PDU, which must be an A-ASSOCIATE-RQ of a sane length. */
    static byte[] readAssociateRequest(InputStream input) throws IOException {
        DataInputStream in = new DataInputStream(input);
        byte[] header = new byte[6];
        in.readFully(header);
        long length = ((header[2] & 0xFFL) << 24) | ((header[3] & 0xFF) << 16) | ((header[4] & 0xFF) << 8)
                | (header[5] & 0xFF);
        if ((header[0] & 0xFF) != A_ASSOCIATE_RQ || length < 68 || length > MAX_ASSOCIATE_RQ_BYTES) {
            throw new IOException("not an A-ASSOCIATE-RQ");
        }
        byte[] pdu = new byte[6 + (int) length];
        System.arraycopy(header, 0, pdu, 0, 6);
        in.readFully(pdu, 6, (int) length);
        return pdu;
    }

    /**
     * The AE title as the sender wrote it, with what PS3.5 does not allow in one (control characters, bytes over
     * 0x7E, the backslash) as '?': it reaches the log and the audit trail, where a CR/LF would forge a line. NUL
     * pads like a space (some senders pad with it).
     */
    static String aeTitle(byte[] pdu, int offset) {
        char[] title = new char[16];
        for (int i = 0; i < 16; i++) {
            int b = pdu[offset + i] & 0xFF;
            title[i] = b == 0 ? ' ' : b >= 0x20 && b <= 0x7E && b != '\\' ? (char) b : '?';
        }
        return new String(title).strip();
    }

    /** A-ASSOCIATE-RJ (PS3.8 9.3.4). */
    private static void reject(Socket connection, int result, int source, int reason) throws IOException {
        OutputStream out = connection.getOutputStream();
        out.write(new byte[] {0x03, 0, 0, 0, 0, 4, 0, (byte) result, (byte) source, (byte) reason});
        out.flush();
    }

    @Override
    public void stop() {
        ServerSocket socket = server;
        if (socket == null) {
            return;
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
        open.forEach(connection -> {
            try {
                connection.close();
            } catch (IOException ignored) {
                // closing
            }
        });
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server = null;
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }

    @Override
    public int getPhase() {
        // After the batchers and job recovery (default phase), before the web server.
        return DEFAULT_PHASE - 3072;
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix.endsWith("-") ? prefix + n.incrementAndGet() : prefix);
            thread.setDaemon(true);
            return thread;
        };
    }
}
