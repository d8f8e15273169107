package org.chestlens.platform;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The CPU time one thread spends in each stage of the work around the model (receiving an upload, hashing,
 * decoding, the database...), from the thread's own CPU clock: what a replica whose forward runs on a GPU is
 * limited by. A unit of work (a request, a batch's commit) {@link #begin begins} on its thread; each
 * {@link #lap} gives the CPU used since the previous one to a stage, so nested code attributes its own part
 * and the caller's next lap takes only what is left. {@link #end} hands the totals to the meters
 * ({@code chestlens.ingest.cpu}, tag {@code stage}). On a thread that has not begun, a lap does nothing.
 * A lap costs about a microsecond (one clock_gettime of the thread's CPU clock).
 */
public final class CpuStages {

    /** Where the CPU of the work around the model goes. */
    public enum Stage {
        /** Servlet container, security, MVC dispatch, audit and writing the JSON answer: what no other stage takes. */
        HTTP("http"),
        /** Reading the request body and splitting the multipart form. */
        RECEIVE("receive"),
        /** The content hash that finds a file uploaded before. */
        HASH("hash"),
        /** The structural checks before decoding (PNG chunks and CRCs, the DICOM pre-check). */
        PRE_CHECK("pre-check"),
        /** Decoding to stored values (PixelMed and the codecs, ImageIO for PNG). */
        DECODE("decode"),
        /** The input gate's pixel check. */
        GATE("gate"),
        /** InnerEye's pre-processing: normalisation, resize, crop. */
        PREPROCESS("pre-processing"),
        /** Encoding the model's view of the image (an 8-bit PNG) for the heat maps. */
        MODEL_VIEW("model-view"),
        /** The request thread's statements: duplicate look-ups, image and job inserts, reading the answer. */
        DATABASE("database"),
        /** The batcher's statements around a forward (marking its jobs running). */
        BATCH_DATABASE("batch-database"),
        /** The result writer's transaction: predictions, maps, jobs closed, outbox rows. */
        RESULTS("results");

        private final String tag;

        Stage(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final boolean SUPPORTED = THREADS.isCurrentThreadCpuTimeSupported();
    private static final ThreadLocal<Laps> LAPS = ThreadLocal.withInitial(Laps::new);

    private final Map<Stage, Timer> timers = new EnumMap<>(Stage.class);

    public CpuStages(MeterRegistry meters) {
        for (Stage stage : Stage.values()) {
            timers.put(stage, Timer.builder("chestlens.ingest.cpu").tag("stage", stage.tag())
                    .description("CPU time of this thread spent in one stage of the work around the model")
                    .register(meters));
        }
    }

    /** Starts counting on this thread (again: what an unfinished unit had counted is dropped). */
    public static void begin() {
        if (!SUPPORTED) {
            return;
        }
        Laps laps = LAPS.get();
        java.util.Arrays.fill(laps.nanos, 0);
        laps.used = 0;
        laps.active = true;
        laps.last = THREADS.getCurrentThreadCpuTime();
    }

    /** Gives the CPU this thread used since the last lap (or {@link #begin}) to {@code stage}. */
    public static void lap(Stage stage) {
        Laps laps = LAPS.get();
        if (!laps.active) {
            return;
        }
        long now = THREADS.getCurrentThreadCpuTime();
        laps.nanos[stage.ordinal()] += now - laps.last;
        laps.used |= 1 << stage.ordinal();
        laps.last = now;
    }

    /** Gives what is left since the last lap to {@code last}, stops counting, and records the totals. */
    public void end(Stage last) {
        lap(last);
        Laps laps = LAPS.get();
        if (!laps.active) {
            return;
        }
        laps.active = false;
        for (Stage stage : Stage.values()) {
            if ((laps.used & (1 << stage.ordinal())) != 0) {
                timers.get(stage).record(Duration.ofNanos(laps.nanos[stage.ordinal()]));
            }
        }
    }

    private static final class Laps {
        final long[] nanos = new long[Stage.values().length];
        long last;
        int used;
        boolean active;
    }
}
