package org.chestlens.ingest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.chestlens.inference.InferenceService;
import org.chestlens.inference.ModelInfo;
import org.chestlens.inference.QueueFullException;
import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.CpuStages;
import org.chestlens.platform.CpuStages.Stage;
import org.chestlens.prediction.IdempotencyKeys;
import org.chestlens.prediction.ImageView;
import org.chestlens.prediction.ImageWriter;
import org.chestlens.prediction.JobInputs;
import org.chestlens.prediction.JobStatus;
import org.chestlens.prediction.JobStore;
import org.chestlens.prediction.PendingImage;
import org.chestlens.prediction.Priority;
import org.chestlens.prediction.PredictionStore;
import org.chestlens.prediction.QueuedJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/**
 * Accepts uploads: validates and decodes every file of a request on the request thread, takes room
 * in the inference queue, commits images and jobs in one transaction, and only then hands the jobs
 * to the batcher. A request with one bad file, or one that finds the queue full, leaves nothing
 * behind; an acknowledged upload is in the database and will be scored even across a crash.
 */
@Service
public class IngestService {

    private static final Logger log = LoggerFactory.getLogger(IngestService.class);

    /** One uploaded file: its bytes and a label for messages that carries no file name. */
    public record Upload(String label, byte[] bytes) {
    }

    /**
     * @param images in upload order
     * @param createdAny whether this request stored a new image or started a new job
     */
    public record Result(List<ImageView> images, boolean createdAny) {
        /** Every image is DONE or FAILED: nothing left to poll for. */
        public boolean allFinished() {
            return images.stream().allMatch(ImageView::finished);
        }
    }

    /**
     * The UIDs that name a DICOM instance (any may be null), for protocols that answer per instance
     * (DICOMweb STOW-RS). {@code readable}: the file passed the same structural pre-check as an
     * upload; when false only the file meta information was read.
     */
    public record InstanceIds(String sopClassUid, String sopInstanceUid, String studyInstanceUid,
                              boolean readable) {
    }

    private final InferenceService inference;
    private final JobStore jobs;
    private final ImageWriter images;
    private final IdempotencyKeys idempotencyKeys;
    private final PredictionStore store;
    private final IngestProperties properties;
    private final UploadDecoder decoder;

    IngestService(InferenceService inference, JobStore jobs, ImageWriter images, IdempotencyKeys idempotencyKeys,
                  PredictionStore store, IngestProperties properties, PatientIdHasher patientIds, InputGate gate) {
        this.inference = inference;
        this.jobs = jobs;
        this.images = images;
        this.idempotencyKeys = idempotencyKeys;
        this.store = store;
        this.properties = properties;
        this.decoder = new UploadDecoder(properties, patientIds, gate);
    }

    public Result ingest(List<Upload> uploads, String idempotencyKey, Duration wait) {
        return ingest(uploads, idempotencyKey, wait, null);
    }

    /**
     * @param subjectReference the FHIR subject the client named for these images ({@link SubjectReference}
     *                         checked it), or null; stored with new images and given to stored ones that
     *                         have none. Never logged.
     */
    public Result ingest(List<Upload> uploads, String idempotencyKey, Duration wait, String subjectReference) {
        return ingest(uploads, idempotencyKey, wait, subjectReference, Priority.ROUTINE);
    }

    /** The same, at the given priority (what the new jobs get; images already stored keep theirs). */
    public Result ingest(List<Upload> uploads, String idempotencyKey, Duration wait, String subjectReference,
                         Priority priority) {
        if (uploads.size() > properties.maxFilesPerRequest()) {
            throw UploadRejected.tooManyFiles(uploads.size(), properties.maxFilesPerRequest());
        }
        long deadline = System.nanoTime() + wait.toNanos();
        Optional<IdempotencyKeys.Remembered> earlier = idempotencyKey == null ? Optional.empty()
                : idempotencyKeys.find(idempotencyKey);
        if (earlier.isPresent()) {
            return new Result(awaitStored(sentAgain(earlier.get(), requestSha256(uploads.stream()
                    .map(upload -> sha256(upload.bytes())).toList())), deadline), false);
        }
        ModelInfo model = inference.defaultModel();
        Plan plan = identifyAndPrepare(uploads, model, subjectReference);
        IdempotencyKeys.Claim claim = idempotencyKey == null ? null
                : new IdempotencyKeys.Claim(idempotencyKey, requestSha256(plan.hashes()));
        // A client that waits for the result and sends no Idempotency-Key is answered with the result, or, if
        // it is not ready by then, after the input has been stored: until that answer nothing was acknowledged,
        // and an upload whose replica dies first is one its client sends again.
        boolean clientWaits = !wait.isZero() && !wait.isNegative();
        JobInputs inputs = clientWaits && idempotencyKey == null ? JobInputs.HELD_WHILE_CLIENT_WAITS : JobInputs.STORED;
        Queued queued;
        try {
            queued = queue(plan, model, claim, priority, inputs);
        } catch (DuplicateKeyException concurrentSameKey) {
            // Another request with this Idempotency-Key committed first: answer with its images if it sent these files.
            IdempotencyKeys.Remembered first = idempotencyKeys.find(idempotencyKey).orElseThrow(() -> concurrentSameKey);
            return new Result(awaitStored(sentAgain(first, claim.requestSha256()), deadline), false);
        }
        requireSameSubject(queued.imageIds(), subjectReference);
        awaitAll(queued.outcomes(), deadline);
        storeInputsOfUnfinished(queued);
        log.info("Upload of {} file(s): {} queued for {} {}, {} already known", uploads.size(),
                queued.outcomes().size(), model.id(), model.version(), uploads.size() - plan.pending().size());
        return new Result(awaitStored(queued.imageIds(), deadline), !queued.outcomes().isEmpty());
    }

    /**
     * The images a key's first request answered with, when this request sent the same files; otherwise the key is
     * being used for another request, which is refused rather than answered with images it did not send.
     */
    private static List<UUID> sentAgain(IdempotencyKeys.Remembered first, String requestSha256) {
        if (!first.sentAgainBy(requestSha256)) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_CONTENT, "idempotency-key-reused",
                    "Idempotency-Key used for another request",
                    "This Idempotency-Key was first sent with other files; a retry must send the same files in the "
                            + "same order. Nothing of this request was stored: send it with a key of its own.");
        }
        return first.imageIds();
    }

    /** What identifies a request's content: SHA-256 over its files' SHA-256 (hex), in upload order. */
    static String requestSha256(List<String> fileSha256s) {
        return sha256(String.join(",", fileSha256s).getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * With {@code chestlens.inference.out-of-distribution=reject}: refuses (422 out-of-distribution) an answer in
     * which the serving model flagged an image as out of its distribution. The flagged predictions stay stored, so
     * the refusal can be audited and the images fetched by id.
     */
    public void refuseOutOfDistribution(List<ImageView> answered) {
        if (!inference.rejectsOutOfDistribution()) {
            return;
        }
        ModelInfo model = inference.defaultModel();
        List<Map<String, Object>> flagged = new ArrayList<>();
        for (ImageView image : answered) {
            image.predictions().stream()
                    .filter(p -> p.model().id().equals(model.id()) && p.model().version().equals(model.version()))
                    .filter(p -> p.outOfDistribution() != null && p.outOfDistribution().flagged())
                    .forEach(p -> flagged.add(Map.of("image", image.id(), "score", p.outOfDistribution().score(),
                            "threshold", p.outOfDistribution().threshold())));
        }
        if (!flagged.isEmpty()) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_CONTENT, "out-of-distribution",
                    "Not an image the model was made for",
                    flagged.size() + " image(s) lie outside the distribution of the images model " + model.id() + " "
                            + model.version() + " was trained on (out-of-distribution score above its threshold); "
                            + "no finding is reported for them.", Map.of("images", flagged), null);
        }
    }

    /**
     * What a request needs: {@code known} holds, by upload position, the images already stored
     * (null where a file is new); {@code pending} the new ones, decoded, at {@code pendingPositions}.
     */
    private record Plan(UUID[] known, List<PendingImage> pending, List<Integer> pendingPositions, List<String> hashes) {
    }

    /**
     * The request's images in upload order, and the jobs it created with their outcomes (none when all were
     * known).
     */
    private record Queued(List<UUID> imageIds, List<QueuedJob> jobs, List<CompletableFuture<JobStatus>> outcomes) {
    }

    /**
     * Validates and decodes every file before anything is stored or queued. Images already stored
     * (same bytes, or for DICOM the same SOP Instance UID) with a job that has not failed are
     * answered from the database; a failed one is tried again.
     */
    private Plan identifyAndPrepare(List<Upload> uploads, ModelInfo model, String subjectReference) {
        InnerEyePreprocessor preprocessor = new InnerEyePreprocessor(model.preprocessing().resize(),
                model.preprocessing().centerCrop());
        UUID[] known = new UUID[uploads.size()];
        List<PendingImage> pending = new ArrayList<>();
        List<Integer> pendingPositions = new ArrayList<>();
        List<String> hashes = new ArrayList<>();
        for (int i = 0; i < uploads.size(); i++) {
            Upload upload = uploads.get(i);
            UploadDecoder.checkFormat(upload);
            CpuStages.lap(Stage.PRE_CHECK);
            String sha256 = sha256(upload.bytes());
            hashes.add(sha256);
            CpuStages.lap(Stage.HASH);
            // Only the same bytes are answered before the file is checked and decoded: a file that merely names a
            // stored SOP Instance UID in its meta header may be anything, so it is found by that UID only after it
            // has passed the same checks as a new one.
            Optional<UUID> stored = withLiveJob(images.existingImageId(sha256, null), model);
            CpuStages.lap(Stage.DATABASE);
            if (stored.isEmpty()) {
                PendingImage prepared = decoder.prepare(upload, sha256, preprocessor, subjectReference);
                String sopInstanceUid = prepared.image().dicom() == null ? null
                        : prepared.image().dicom().sopInstanceUid();
                if (sopInstanceUid != null) {
                    stored = withLiveJob(images.existingImageId(sha256, sopInstanceUid), model);
                    CpuStages.lap(Stage.DATABASE);
                }
                if (stored.isEmpty()) {
                    pending.add(prepared);
                    pendingPositions.add(i);
                    continue;
                }
            }
            known[i] = stored.get();
        }
        return new Plan(known, pending, pendingPositions, hashes);
    }

    /**
     * Commits the new images and their jobs, taking room in the inference queue, and hands the jobs
     * to the batcher; remembers the Idempotency-Key with them, or alone when every image was known.
     */
    private Queued queue(Plan plan, ModelInfo model, IdempotencyKeys.Claim idempotencyKey, Priority priority,
                         JobInputs inputs) {
        UUID[] imageIds = plan.known().clone();
        if (plan.pending().isEmpty()) {
            if (idempotencyKey != null) {
                idempotencyKeys.remember(idempotencyKey, List.of(imageIds));
            }
            return new Queued(List.of(imageIds), List.of(), List.of());
        }
        InferenceService.Enqueued enqueued;
        try {
            enqueued = inference.enqueue(model.id(), plan.pending(), idempotencyKey, priority, inputs);
        } catch (QueueFullException full) {
            throw UploadRejected.queueFull(full.retryAfterSeconds());
        }
        CpuStages.lap(Stage.DATABASE);
        for (int k = 0; k < plan.pendingPositions().size(); k++) {
            imageIds[plan.pendingPositions().get(k)] = enqueued.imageIds().get(k);
        }
        return new Queued(List.of(imageIds), enqueued.jobs(), enqueued.outcomes());
    }

    /**
     * Before a client is told that a job is still queued, the job's input must be in the database, where any
     * replica can score it after this one is gone. Jobs scored or failed for good need nothing; the store skips
     * those whose input was committed at accept.
     */
    private void storeInputsOfUnfinished(Queued queued) {
        List<QueuedJob> unfinished = new ArrayList<>();
        for (int i = 0; i < queued.jobs().size(); i++) {
            JobStatus status = queued.outcomes().get(i).getNow(null);
            if (status != JobStatus.DONE && status != JobStatus.FAILED) {
                unfinished.add(queued.jobs().get(i));
            }
        }
        if (jobs.storeInputs(unfinished) > 0) {
            CpuStages.lap(Stage.DATABASE);
        }
    }

    /** Gives images without a subject this one; refuses when one already names another. */
    private void requireSameSubject(List<UUID> imageIds, String subjectReference) {
        if (subjectReference == null) {
            return;
        }
        List<UUID> otherSubject = images.fillSubjectReference(imageIds, subjectReference);
        if (!otherSubject.isEmpty()) {
            // Never echo either reference: they identify patients.
            throw UploadRejected.subjectConflict(otherSubject);
        }
    }

    /**
     * The UIDs of the transfer syntaxes whose pixel data this service decodes (some only in part, e.g.
     * JPEG Extended at 8 bits), uncompressed ones first: what a DIMSE receiver may accept.
     */
    public static List<String> decodableTransferSyntaxes() {
        return java.util.Arrays.stream(DicomTransferSyntax.values()).filter(DicomTransferSyntax::decodable)
                .map(DicomTransferSyntax::uid).toList();
    }

    /** Whether the bytes are a DICOM Part 10 file (128-byte preamble, then "DICM"); nothing else is checked. */
    public static boolean isDicomPart10(byte[] bytes) {
        return DicomDecoder.isDicom(bytes);
    }

    /**
     * Reads the UIDs of a DICOM Part 10 file without decoding its pixels and without storing anything;
     * never throws. {@link #ingest} validates the file again in full.
     */
    public InstanceIds identify(byte[] bytes) {
        return DicomDecoder.identify(bytes, properties.maxPixels());
    }

    /** The image, if it has a job for this model that has not failed (a failed one is retried). */
    private Optional<UUID> withLiveJob(Optional<UUID> imageId, ModelInfo model) {
        return imageId.filter(id -> jobs.status(id, model.id(), model.version())
                .map(status -> status != JobStatus.FAILED).orElse(false));
    }

    private static void awaitAll(List<CompletableFuture<JobStatus>> outcomes, long deadline) {
        long remaining = deadline - System.nanoTime();
        if (outcomes.isEmpty() || remaining <= 0) {
            return;
        }
        try {
            CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new))
                    .get(remaining, TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // Not finished in time (or retried): the answer reports each image's current status.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The images as stored now, after waiting until the deadline for any still queued or running.
     * Jobs this request created were awaited through their futures already; this loop only runs for
     * images another request (or replica) is scoring, so it reads the database.
     */
    private List<ImageView> awaitStored(List<UUID> ids, long deadline) {
        CpuStages.lap(Stage.HTTP); // waiting for the outcomes took next to none
        List<ImageView> images = store.images(ids);
        while (images.stream().anyMatch(i -> !i.finished()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            images = store.images(ids);
        }
        CpuStages.lap(Stage.DATABASE);
        return images;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
