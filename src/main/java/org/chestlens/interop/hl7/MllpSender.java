package org.chestlens.interop.hl7;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.llp.LLPException;
import ca.uhn.hl7v2.llp.MinLLPReader;
import ca.uhn.hl7v2.llp.MinLLPWriter;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.util.Terser;
import ca.uhn.hl7v2.validation.impl.ValidationContextFactory;
import org.chestlens.interop.outbox.Backoff;
import org.chestlens.interop.outbox.OutboxTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one destination's messages over MLLP (HAPI's framing), one at a time, on one connection that is kept
 * open between messages. Every failure (refused, timed out, closed, an acknowledgement that is not AA) closes
 * the connection, so a late acknowledgement can never be taken for the next message's. Not thread-safe: one
 * worker thread per destination uses it.
 */
final class MllpSender implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MllpSender.class);
    // Acknowledgements are read leniently: any version, no validation; only MSA and ERR matter.
    private static final HapiContext ACK_CONTEXT = new DefaultHapiContext(ValidationContextFactory.noValidation());

    private final Hl7Store store;
    private final Hl7Properties properties;
    private final Hl7Properties.Destination destination;
    private final String owner;
    private Socket socket;
    private MinLLPReader reader;
    private MinLLPWriter writer;
    private TimeoutAwareInput input;

    MllpSender(Hl7Store store, Hl7Properties properties, Hl7Properties.Destination destination, String owner) {
        this.store = store;
        this.properties = properties;
        this.destination = destination;
        this.owner = owner;
    }

    String destinationName() {
        return destination.name();
    }

    /** Claims the destination's oldest due message, sends it and records the outcome; 1 if there was one. */
    int sendDue() {
        Optional<Hl7Store.Claimed> next = store.claim(destination.name(), owner, destination.lease());
        if (next.isEmpty()) {
            return 0;
        }
        Hl7Store.Claimed claimed = next.get();
        OutboxTable.Outcome outcome = send(claimed.controlId(), claimed.message());
        Duration retryIn = Backoff.after(claimed.attemptsThisRound(), properties.backoffBase(), properties.backoffMax(),
                ThreadLocalRandom.current());
        String status = store.record(claimed, owner, outcome, properties.maxAttempts(), retryIn);
        if (outcome.verdict() == OutboxTable.Verdict.DELIVERED) {
            log.debug("HL7 message {} delivered to {} on attempt {}", claimed.id(), destination.name(), claimed.attempt());
        } else {
            // Ids and the ack code only: the receiver's error text may quote the message.
            log.warn("HL7 message {} to {} not accepted on attempt {} (ack {}): now {}", claimed.id(),
                    destination.name(), claimed.attempt(), outcome.answer() == null ? "none" : outcome.answer(), status);
        }
        return 1;
    }

    /** One attempt; never throws. */
    OutboxTable.Outcome send(String controlId, String er7) {
        Instant attemptedAt = Instant.now();
        long start = System.nanoTime();
        try {
            boolean reused = socket != null;
            String ack;
            try {
                ack = exchange(er7);
            } catch (IOException | LLPException stale) {
                if (!reused || stale instanceof SocketTimeoutException) {
                    throw stale;
                }
                // A kept connection the receiver closed while idle fails on first use: one fresh try at once.
                close();
                ack = exchange(er7);
            }
            return judge(controlId, ack, millis(start), attemptedAt);
        } catch (SocketTimeoutException e) {
            close();
            return retry(null, "no acknowledgement within " + destination.ackTimeout().toMillis() + " ms (or connect "
                    + "timeout " + destination.connectTimeout().toMillis() + " ms)", start, attemptedAt);
        } catch (IOException | LLPException | RuntimeException e) {
            close();
            return retry(null, Backoff.describe(e), start, attemptedAt);
        }
    }

    private String exchange(String er7) throws IOException, LLPException {
        if (socket == null) {
            connect();
        }
        writer.writeMessage(er7);
        input.timedOut = false;
        String ack = reader.getMessage();
        if (ack == null) {
            // HAPI's decoder answers null both at the end of the stream and when the read timed out.
            if (input.timedOut) {
                throw new SocketTimeoutException("read timed out");
            }
            throw new IOException("the receiver closed the connection before acknowledging");
        }
        return ack;
    }

    private void connect() throws IOException {
        Socket s = destination.tls() ? SSLSocketFactory.getDefault().createSocket() : new Socket();
        try {
            s.connect(new InetSocketAddress(destination.host(), destination.port()),
                    (int) destination.connectTimeout().toMillis());
            s.setSoTimeout((int) destination.ackTimeout().toMillis());
            s.setKeepAlive(true);
            if (s instanceof SSLSocket tls) {
                tls.startHandshake();
            }
            writer = new MinLLPWriter(s.getOutputStream(), StandardCharsets.UTF_8);
            input = new TimeoutAwareInput(s.getInputStream());
            reader = new MinLLPReader(input, StandardCharsets.UTF_8);
            socket = s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private OutboxTable.Outcome judge(String controlId, String ackText, double millis, Instant attemptedAt) {
        String code;
        String acknowledged;
        String error;
        try {
            Message ack = ACK_CONTEXT.getPipeParser().parse(ackText);
            Terser terser = new Terser(ack);
            code = terser.get("/MSA-1");
            acknowledged = terser.get("/MSA-2");
            error = errorText(terser);
        } catch (HL7Exception e) {
            close();
            // Not HAPI's message: it quotes the acknowledgement, whose text may name a patient.
            return new OutboxTable.Outcome(OutboxTable.Verdict.RETRY, null,
                    "unreadable acknowledgement (" + e.getClass().getSimpleName() + ")", millis, attemptedAt);
        }
        if (!controlId.equals(acknowledged)) {
            close();
            return new OutboxTable.Outcome(OutboxTable.Verdict.RETRY, code,
                    "the acknowledgement is for another message (MSA-2 is not this message's MSH-10)", millis, attemptedAt);
        }
        if ("AA".equals(code) || "CA".equals(code)) {
            return new OutboxTable.Outcome(OutboxTable.Verdict.DELIVERED, code, null, millis, attemptedAt);
        }
        close();
        boolean rejected = ("AR".equals(code) || "CR".equals(code)) && !properties.retryRejected();
        return new OutboxTable.Outcome(rejected ? OutboxTable.Verdict.REJECTED : OutboxTable.Verdict.RETRY, code,
                Backoff.cut(code + (error.isEmpty() ? "" : ": " + error)), millis, attemptedAt);
    }

    /**
     * The ERR segment's coded error (ERR-3, or ERR-1-4 of v2.3/2.4 receivers), as far as the receiver filled it in.
     * Its free text (MSA-3, ERR-3-9, ERR-8) is not kept: receivers quote the message there, patient identifiers
     * included, and the attempt log is served to admins (architecture.md, "Privacy rules"); it is in the
     * receiver's own log.
     */
    private static String errorText(Terser terser) {
        StringBuilder text = new StringBuilder();
        for (String path : new String[] {"/ERR-3-1", "/ERR-3-2", "/ERR-1-4-1", "/ERR-1-4-2"}) {
            try {
                String value = terser.get(path);
                if (value != null && !value.isBlank() && text.indexOf(value) < 0) {
                    text.append(text.isEmpty() ? "" : "; ").append(value);
                }
            } catch (HL7Exception | RuntimeException absent) {
                // not in this acknowledgement's structure
            }
        }
        return text.toString();
    }

    private OutboxTable.Outcome retry(String code, String error, long start, Instant attemptedAt) {
        return new OutboxTable.Outcome(OutboxTable.Verdict.RETRY, code, Backoff.cut(error), millis(start), attemptedAt);
    }

    private static double millis(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6;
    }

    @Override
    public void close() {
        Socket s = socket;
        socket = null;
        reader = null;
        writer = null;
        input = null;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** Remembers that a read timed out, which HAPI's decoder turns into the same null as a closed stream. */
    private static final class TimeoutAwareInput extends FilterInputStream {
        volatile boolean timedOut;

        TimeoutAwareInput(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (SocketTimeoutException e) {
                timedOut = true;
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (SocketTimeoutException e) {
                timedOut = true;
                throw e;
            }
        }
    }
}
