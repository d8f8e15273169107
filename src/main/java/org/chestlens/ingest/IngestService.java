package org.chestlens.ingest;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.chestlens.inference.InferenceProperties;
import org.chestlens.inference.InferenceService;
import org.chestlens.inference.ModelInfo;
import org.chestlens.inference.ModelInput;
import org.chestlens.inference.QueueFullException;
import org.chestlens.prediction.DicomAttributes;
import org.chestlens.prediction.ImageView;
import org.chestlens.prediction.JobStatus;
import org.chestlens.prediction.JobStore;
import org.chestlens.prediction.NewImage;
import org.chestlens.prediction.PendingImage;
import org.chestlens.prediction.PredictionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
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
        public boolean allDone() {
            return images.stream().allMatch(i -> i.status() == JobStatus.DONE);
        }
    }

    private final InferenceService inference;
    private final InferenceProperties inferenceProperties;
    private final JobStore jobs;
    private final PredictionStore store;
    private final IngestProperties properties;
    private final Semaphore decodeSlots;
    private final PatientIdHasher patientIds;

    IngestService(InferenceService inference, InferenceProperties inferenceProperties, JobStore jobs,
                  PredictionStore store, IngestProperties properties, PatientIdHasher patientIds) {
        this.patientIds = patientIds;
        this.inference = inference;
        this.inferenceProperties = inferenceProperties;
        this.jobs = jobs;
        this.store = store;
        this.properties = properties;
        this.decodeSlots = new Semaphore(properties.maxConcurrentDecodes(), true);
    }

    public Result ingest(List<Upload> uploads, String idempotencyKey, Duration wait) {
        if (uploads.size() > properties.maxFilesPerRequest()) {
            throw UploadRejected.tooManyFiles(uploads.size(), properties.maxFilesPerRequest());
        }
        if (idempotencyKey != null) {
            Optional<List<UUID>> earlier = jobs.idempotentImages(idempotencyKey);
            if (earlier.isPresent()) {
                return new Result(store.images(earlier.get()), false);
            }
        }
        ModelInfo model = inference.defaultModel();
        InnerEyePreprocessor preprocessor = new InnerEyePreprocessor(model.preprocessing().resize(),
                model.preprocessing().centerCrop());

        // Everything is validated and decoded before anything is stored or queued. Images already
        // stored (same bytes, or for DICOM the same SOP Instance UID) with a live or finished job
        // are answered from the database.
        UUID[] imageIds = new UUID[uploads.size()];
        List<PendingImage> pending = new ArrayList<>();
        List<Integer> pendingPositions = new ArrayList<>();
        for (int i = 0; i < uploads.size(); i++) {
            Upload upload = uploads.get(i);
            checkFormat(upload);
            String sha256 = sha256(upload.bytes());
            Optional<UUID> known = scored(jobs.existingImageId(sha256, null), model);
            if (known.isEmpty()) {
                PendingImage prepared = prepare(upload, sha256, preprocessor);
                if (prepared.image().dicom() != null && prepared.image().dicom().sopInstanceUid() != null) {
                    known = scored(jobs.existingImageId(sha256, prepared.image().dicom().sopInstanceUid()), model);
                }
                if (known.isEmpty()) {
                    pending.add(prepared);
                    pendingPositions.add(i);
                    continue;
                }
            }
            imageIds[i] = known.get();
        }

        List<CompletableFuture<JobStatus>> outcomes = new ArrayList<>();
        if (!pending.isEmpty()) {
            try {
                inference.reserve(model.id(), pending.size());
            } catch (QueueFullException full) {
                throw UploadRejected.queueFull(full.retryAfterSeconds());
            }
            List<JobStore.Accepted> accepted;
            try {
                accepted = jobs.accept(pending, model.id(), model.version(), inference.instanceId(),
                        inferenceProperties.lease(), idempotencyKey);
            } catch (DataIntegrityViolationException concurrentSameKey) {
                inference.release(model.id(), pending.size());
                return jobs.idempotentImages(idempotencyKey)
                        .map(ids -> new Result(store.images(ids), false))
                        .orElseThrow(() -> concurrentSameKey);
            } catch (RuntimeException e) {
                inference.release(model.id(), pending.size());
                throw e;
            }
            int unused = 0;
            for (int k = 0; k < accepted.size(); k++) {
                JobStore.Accepted a = accepted.get(k);
                imageIds[pendingPositions.get(k)] = a.imageId();
                if (a.job().isPresent()) {
                    outcomes.add(inference.submit(a.job().get()));
                } else {
                    unused++;
                }
            }
            if (unused > 0) {
                inference.release(model.id(), unused);
            }
        } else if (idempotencyKey != null) {
            jobs.rememberIdempotencyKey(idempotencyKey, List.of(imageIds));
        }
        awaitAll(outcomes, wait);
        log.info("Upload of {} file(s): {} queued for {} {}, {} already known", uploads.size(), outcomes.size(),
                model.id(), model.version(), uploads.size() - pending.size());
        return new Result(store.images(List.of(imageIds)), !outcomes.isEmpty());
    }

    /** The image, if its job for this model is queued, running or done (a failed one is retried). */
    private Optional<UUID> scored(Optional<UUID> imageId, ModelInfo model) {
        return imageId.filter(id -> jobs.status(id, model.id(), model.version())
                .map(status -> status != JobStatus.FAILED).orElse(false));
    }

    private static void awaitAll(List<CompletableFuture<JobStatus>> outcomes, Duration wait) {
        if (outcomes.isEmpty() || wait.isZero()) {
            return;
        }
        try {
            CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new))
                    .get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // Not finished in time (or retried): the answer reports each image's current status.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void checkFormat(Upload upload) {
        if (upload.bytes().length == 0) {
            throw UploadRejected.emptyFile(upload.label());
        }
        if (!PngDecoder.isPng(upload.bytes()) && !DicomDecoder.isDicom(upload.bytes())) {
            throw UploadRejected.unsupportedFormat(upload.label());
        }
    }

    private PendingImage prepare(Upload upload, String sha256, InnerEyePreprocessor preprocessor) {
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
                        dicom.metadata().bitsStored(), "GREY", dicom.warnings(), attributes(dicom.metadata()),
                        patientIds.hash(dicom.patientId()));
            }
            ModelInput input = preprocessor.apply(grey);
            if (input == null) {
                throw UploadRejected.noContrast(upload.label());
            }
            double decodeMillis = (System.nanoTime() - start) / 1e6;
            return new PendingImage(image, input.pixels(), input.height(), input.width(), decodeMillis);
        } finally {
            decodeSlots.release();
        }
    }

    private static DicomAttributes attributes(DicomMetadata m) {
        return new DicomAttributes(m.modality(), m.bodyPartExamined(), m.viewPosition(), m.patientSex(),
                m.patientAge(), m.manufacturer(), m.manufacturerModelName(), m.institutionName(), m.stationName(),
                m.studyInstanceUid(), m.seriesInstanceUid(), m.sopInstanceUid(), m.accessionNumber(), m.studyDate(),
                m.photometricInterpretation(), m.bitsStored(), m.pixelSpacing(), m.transferSyntaxUid());
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
