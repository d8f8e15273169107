package org.chestlens.ingest;

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
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.chestlens.inference.InferenceService;
import org.chestlens.inference.ModelInfo;
import org.chestlens.inference.ModelInput;
import org.chestlens.inference.QueueFullException;
import org.chestlens.platform.ApiProblem;
import org.chestlens.prediction.IdempotencyKeys;
import org.chestlens.prediction.ImageView;
import org.chestlens.prediction.ImageWriter;
import org.chestlens.prediction.JobStatus;
import org.chestlens.prediction.JobStore;
import org.chestlens.prediction.NewImage;
import org.chestlens.prediction.PendingImage;
import org.chestlens.prediction.PredictionStore;
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
    private final Semaphore decodeSlots;
    private final PatientIdHasher patientIds;

    IngestService(InferenceService inference, JobStore jobs, ImageWriter images, IdempotencyKeys idempotencyKeys,
                  PredictionStore store, IngestProperties properties, PatientIdHasher patientIds) {
        this.images = images;
        this.idempotencyKeys = idempotencyKeys;
        this.patientIds = patientIds;
        this.inference = inference;
        this.jobs = jobs;
        this.store = store;
        this.properties = properties;
        this.decodeSlots = new Semaphore(properties.maxConcurrentDecodes(), true);
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
        if (uploads.size() > properties.maxFilesPerRequest()) {
            throw UploadRejected.tooManyFiles(uploads.size(), properties.maxFilesPerRequest());
        }
        long deadline = System.nanoTime() + wait.toNanos();
        if (idempotencyKey != null) {
            Optional<List<UUID>> earlier = idempotencyKeys.imagesOf(idempotencyKey);
            if (earlier.isPresent()) {
                return new Result(awaitStored(earlier.get(), deadline), false);
            }
        }
        ModelInfo model = inference.defaultModel();
        InnerEyePreprocessor preprocessor = new InnerEyePreprocessor(model.preprocessing().resize(),
                model.preprocessing().centerCrop());

        // Everything is validated and decoded before anything is stored or queued. Images already
        // stored (same bytes, or for DICOM the same SOP Instance UID) with a job that has not
        // failed are answered from the database; a failed one is tried again.
        UUID[] imageIds = new UUID[uploads.size()];
        List<PendingImage> pending = new ArrayList<>();
        List<Integer> pendingPositions = new ArrayList<>();
        for (int i = 0; i < uploads.size(); i++) {
            Upload upload = uploads.get(i);
            checkFormat(upload);
            String sha256 = sha256(upload.bytes());
            Optional<UUID> known = withLiveJob(images.existingImageId(sha256, null), model);
            if (known.isEmpty()) {
                PendingImage prepared = prepare(upload, sha256, preprocessor, subjectReference);
                if (prepared.image().dicom() != null && prepared.image().dicom().sopInstanceUid() != null) {
                    known = withLiveJob(images.existingImageId(sha256, prepared.image().dicom().sopInstanceUid()),
                            model);
                }
                if (known.isEmpty()) {
                    pending.add(prepared);
                    pendingPositions.add(i);
                    continue;
                }
            }
            imageIds[i] = known.get();
        }

        List<CompletableFuture<JobStatus>> outcomes = List.of();
        if (!pending.isEmpty()) {
            InferenceService.Enqueued enqueued;
            try {
                enqueued = inference.enqueue(model.id(), pending, idempotencyKey);
            } catch (QueueFullException full) {
                throw UploadRejected.queueFull(full.retryAfterSeconds());
            } catch (DuplicateKeyException concurrentSameKey) {
                // Another request with this Idempotency-Key committed first: answer with its images.
                List<UUID> earlier = idempotencyKeys.imagesOf(idempotencyKey).orElseThrow(() -> concurrentSameKey);
                return new Result(awaitStored(earlier, deadline), false);
            }
            for (int k = 0; k < pendingPositions.size(); k++) {
                imageIds[pendingPositions.get(k)] = enqueued.imageIds().get(k);
            }
            outcomes = enqueued.outcomes();
        } else if (idempotencyKey != null) {
            idempotencyKeys.remember(idempotencyKey, List.of(imageIds));
        }
        if (subjectReference != null) {
            List<UUID> otherSubject = images.fillSubjectReference(List.of(imageIds), subjectReference);
            if (!otherSubject.isEmpty()) {
                // Never echo either reference: they identify patients.
                throw new ApiProblem(HttpStatus.CONFLICT, "subject-conflict", "Image stored with another subject",
                        otherSubject.size() + " of the images is already stored with a different subject; its "
                                + "results keep naming that subject. Check the patient, or upload without 'subject'.",
                        Map.of("images", otherSubject), null);
            }
        }
        awaitAll(outcomes, deadline);
        log.info("Upload of {} file(s): {} queued for {} {}, {} already known", uploads.size(), outcomes.size(),
                model.id(), model.version(), uploads.size() - pending.size());
        return new Result(awaitStored(List.of(imageIds), deadline), !outcomes.isEmpty());
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
        return images;
    }

    private static void checkFormat(Upload upload) {
        if (upload.bytes().length == 0) {
            throw UploadRejected.emptyFile(upload.label());
        }
        if (!PngDecoder.isPng(upload.bytes()) && !DicomDecoder.isDicom(upload.bytes())) {
            throw UploadRejected.unsupportedFormat(upload.label());
        }
    }

    private PendingImage prepare(Upload upload, String sha256, InnerEyePreprocessor preprocessor,
                                 String subjectReference) {
        byte[] bytes = upload.bytes();
        acquireDecodeSlot();
        try {
            long start = System.nanoTime();
            NewImage image;
            GreyImage grey;
            if (PngDecoder.isPng(bytes)) {
                grey = PngDecoder.decode(bytes, upload.label(), properties.maxPixels());
                image = new NewImage(sha256, "PNG", bytes.length, grey.width(), grey.height(), grey.bitDepth(),
                        grey.colourType(), List.of());
            } else {
                DicomDecoder.DecodedDicom dicom = DicomDecoder.decode(bytes, upload.label(), properties.maxPixels());
                grey = dicom.innerEyeValues();
                image = new NewImage(sha256, "DICOM", bytes.length, grey.width(), grey.height(),
                        dicom.metadata().bitsStored(), "GREY", dicom.warnings(), dicom.metadata(),
                        patientIds.hash(dicom.patientId()));
            }
            ModelInput input = preprocessor.apply(grey);
            if (input == null) {
                throw UploadRejected.noContrast(upload.label());
            }
            double decodeMillis = (System.nanoTime() - start) / 1e6;
            return new PendingImage(image.withSubjectReference(subjectReference), input.pixels(), input.height(), input.width(), decodeMillis);
        } finally {
            decodeSlots.release();
        }
    }

    private void acquireDecodeSlot() {
        try {
            if (!decodeSlots.tryAcquire(properties.decodeSlotWait().toMillis(), TimeUnit.MILLISECONDS)) {
                throw UploadRejected.busy(Math.max(1, properties.decodeSlotWait().toSeconds()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw UploadRejected.busy(1);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
