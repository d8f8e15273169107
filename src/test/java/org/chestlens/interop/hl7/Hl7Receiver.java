package org.chestlens.interop.hl7;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import ca.uhn.hl7v2.AcknowledgmentCode;
import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.app.HL7Service;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.protocol.ReceivingApplication;
import ca.uhn.hl7v2.util.idgenerator.InMemoryIDGenerator;
import ca.uhn.hl7v2.validation.impl.ValidationContextFactory;

/**
 * An MLLP receiver as an interface engine runs one: HAPI's own server ({@link HL7Service}) on a local port,
 * parsing every message with HAPI's default validation, answering as told, and keeping what it received.
 */
public final class Hl7Receiver implements AutoCloseable {

    /** What the receiving application answers. */
    public enum Answer { AA, AE, AR, NOTHING }

    private final HapiContext context = new DefaultHapiContext();
    private final HL7Service server;
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final int port;

    private Hl7Receiver(int port, Answer answer) throws InterruptedException {
        this.port = port;
        // ACK control ids from memory: HAPI's default generator writes a file into the working directory.
        context.getParserConfiguration().setIdGenerator(new InMemoryIDGenerator());
        server = context.newServer(port, false);
        server.registerApplication(new ReceivingApplication<Message>() {
            @Override
            public Message processMessage(Message message, Map<String, Object> metadata) throws HL7Exception {
                try {
                    received.add(message.encode());
                    return switch (answer) {
                        case AA -> message.generateACK();
                        case AE -> message.generateACK(AcknowledgmentCode.AE,
                                new HL7Exception("results database unavailable"));
                        case AR -> message.generateACK(AcknowledgmentCode.AR,
                                new HL7Exception("unknown receiving facility"));
                        case NOTHING -> {
                            Thread.sleep(Duration.ofMinutes(5).toMillis());
                            yield message.generateACK();
                        }
                    };
                } catch (IOException | InterruptedException e) {
                    throw new HL7Exception(e);
                }
            }

            @Override
            public boolean canProcess(Message message) {
                return true;
            }
        });
        server.startAndWait();
    }

    public static Hl7Receiver listen(int port, Answer answer) throws InterruptedException {
        return new Hl7Receiver(port, answer);
    }

    public static Hl7Receiver listen(Answer answer) throws IOException, InterruptedException {
        return new Hl7Receiver(freePort(), answer);
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    int port() {
        return port;
    }

    /** Every message received so far, as ER7. */
    public List<String> received() {
        return List.copyOf(received);
    }

    /** Waits until {@code count} messages arrived (or the timeout passed); returns what arrived. */
    public List<String> await(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (received.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return received();
    }

    /** Parses ER7 as an ORU^R01 under HAPI's default validation (data types, lengths), failing on any breach. */
    public static ORU_R01 parseStrictly(String er7) throws HL7Exception {
        try (HapiContext strict = new DefaultHapiContext(ValidationContextFactory.defaultValidation())) {
            return (ORU_R01) strict.getPipeParser().parse(er7);
        } catch (IOException e) {
            throw new HL7Exception(e);
        }
    }

    @Override
    public void close() throws IOException {
        server.stopAndWait();
        context.close();
    }
}
