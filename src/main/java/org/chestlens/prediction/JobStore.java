package org.chestlens.prediction;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The durable inference queue in PostgreSQL. Uploads commit their image and job together; workers
 * hold jobs under a lease; any replica claims jobs whose lease has expired with
 * {@code FOR UPDATE SKIP LOCKED}. Writing a result is idempotent (one prediction per image and
 * model version), so a job processed twice after a crash is stored once.
 */
@Service
public class JobStore {

    private final JdbcClient jdbc;
    private final ModelVersionRegistry modelVersions;
    private final ApplicationEventPublisher events;

    JobStore(JdbcClient jdbc, ModelVersionRegistry modelVersions, ApplicationEventPublisher events) {
        this.jdbc = jdbc;
        this.modelVersions = modelVersions;
        this.events = events;
    }

    /** The outcome of accepting one upload. {@code job} is present when a worker must score it. */
    public record Accepted(UUID imageId, Optional<QueuedJob> job) {
    }

    /**
     * Commits images and their jobs in one transaction. An image whose bytes are already stored is
     * reused; a job is created for it only if it has none for this model version, or its last one
     * failed (a re-upload retries). Concurrent uploads of the same bytes are safe.
     */
    @Transactional
    public List<Accepted> accept(List<PendingImage> pending, String modelId, String modelVersion, String owner,
                                 Duration lease, String idempotencyKey) {
        long versionId = modelVersions.find(modelId, modelVersion)
                .orElseThrow(() -> new IllegalStateException("Model version not registered: " + modelId)).id();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        List<Accepted> accepted = new ArrayList<>(pending.size());
        for (PendingImage p : pending) {
            UUID imageId = insertImage(p.image(), now);
            UUID jobId = UUID.randomUUID();
            Optional<UUID> created = jdbc.sql("""
                            INSERT INTO inference_job (id, image_id, model_version_id, status, input, input_height,
                                                       input_width, decode_ms, attempts, owner, lease_until, created_at)
                            VALUES (:id, :imageId, :versionId, 'QUEUED', :input, :height, :width, :decodeMs, 0, :owner,
                                    now() + make_interval(secs => :leaseSeconds), :now)
                            ON CONFLICT (image_id, model_version_id) DO UPDATE
                                SET status = 'QUEUED', input = EXCLUDED.input, attempts = 0, owner = EXCLUDED.owner,
                                    lease_until = EXCLUDED.lease_until, failure_reason = NULL, finished_at = NULL
                                WHERE inference_job.status = 'FAILED'
                            RETURNING id""")
                    .param("id", jobId)
                    .param("imageId", imageId)
                    .param("versionId", versionId)
                    .param("input", toBytes(p.input()))
                    .param("height", p.inputHeight())
                    .param("width", p.inputWidth())
                    .param("decodeMs", p.decodeMillis())
                    .param("owner", owner)
                    .param("leaseSeconds", seconds(lease))
                    .param("now", Timestamp.from(now))
                    .query(UUID.class)
                    .optional();
            accepted.add(new Accepted(imageId, created.map(id -> new QueuedJob(id, imageId, modelId, modelVersion,
                    p.input(), p.inputHeight(), p.inputWidth(), p.decodeMillis(), 0, now))));
        }
        if (idempotencyKey != null) {
            jdbc.sql("INSERT INTO idempotency_key (key, image_ids, created_at) VALUES (:key, :ids, :now)")
                    .param("key", idempotencyKey)
                    .param("ids", accepted.stream().map(Accepted::imageId).toArray(UUID[]::new))
                    .param("now", Timestamp.from(now))
                    .update();
        }
        return accepted;
    }

    private UUID insertImage(NewImage image, Instant now) {
        DicomAttributes d = image.dicom();
        Optional<UUID> inserted = jdbc.sql("""
                        INSERT INTO image (id, sha256, format, size_bytes, width, height, bit_depth, colour_type,
                            warnings, received_at, modality, body_part_examined, view_position, patient_sex,
                            patient_age, manufacturer, manufacturer_model_name, institution_name, station_name,
                            study_instance_uid, series_instance_uid, sop_instance_uid, accession_number, study_date,
                            photometric_interpretation, bits_stored, pixel_spacing, transfer_syntax_uid,
                            patient_id_hash, kvp, distance_source_to_detector, subject_reference)
                        VALUES (:id, :sha256, :format, :size, :width, :height, :bitDepth, :colourType, :warnings, :now,
                            :modality, :bodyPart, :view, :sex, :age, :manufacturer, :model, :institution, :station,
                            :study, :series, :sop, :accession, :studyDate, :photometric, :bitsStored, :spacing,
                            :syntax, :patientIdHash, :kvp, :sid, :subject)
                        ON CONFLICT DO NOTHING
                        RETURNING id""")
                .param("id", UUID.randomUUID())
                .param("sha256", image.sha256())
                .param("format", image.format())
                .param("size", image.sizeBytes())
                .param("width", image.width())
                .param("height", image.height())
                .param("bitDepth", image.bitDepth())
                .param("colourType", image.colourType())
                .param("warnings", image.warnings().toArray(String[]::new))
                .param("now", Timestamp.from(now))
                .param("modality", d == null ? null : d.modality())
                .param("bodyPart", d == null ? null : d.bodyPartExamined())
                .param("view", d == null ? null : d.viewPosition())
                .param("sex", d == null ? null : d.patientSex())
                .param("age", d == null ? null : d.patientAge())
                .param("manufacturer", d == null ? null : d.manufacturer())
                .param("model", d == null ? null : d.manufacturerModelName())
                .param("institution", d == null ? null : d.institutionName())
                .param("station", d == null ? null : d.stationName())
                .param("study", d == null ? null : d.studyInstanceUid())
                .param("series", d == null ? null : d.seriesInstanceUid())
                .param("sop", d == null ? null : d.sopInstanceUid())
                .param("accession", d == null ? null : d.accessionNumber())
                .param("studyDate", d == null ? null : d.studyDate())
                .param("photometric", d == null ? null : d.photometricInterpretation())
                .param("bitsStored", d == null ? null : d.bitsStored())
                .param("spacing", d == null || d.pixelSpacing() == null ? null : d.pixelSpacing().toArray(Double[]::new))
                .param("syntax", d == null ? null : d.transferSyntaxUid())
                .param("patientIdHash", image.patientIdHash())
                .param("kvp", d == null ? null : d.kvp())
                .param("sid", d == null ? null : d.distanceSourceToDetector())
                .param("subject", image.subjectReference())
                .query(UUID.class)
                .optional();
        return inserted.orElseGet(() -> existingImageId(image.sha256(), d == null ? null : d.sopInstanceUid())
                .orElseThrow());
    }

    /** The stored image with these bytes or, for DICOM, this SOP Instance UID. */
    @Transactional(readOnly = true)
    public Optional<UUID> existingImageId(String sha256, String sopInstanceUid) {
        return jdbc.sql("SELECT id FROM image WHERE sha256 = :sha256 OR sop_instance_uid = :sop LIMIT 1")
                .param("sha256", sha256).param("sop", sopInstanceUid).query(UUID.class).optional();
    }

    /**
     * Gives stored images the client's FHIR subject reference where they have none yet (an image
     * first uploaded without one, e.g. by a PACS router, then again by the EHR with it). A subject
     * already stored is never replaced.
     *
     * @return the images stored with another subject: a radiograph belongs to one patient, so the
     *         caller refuses the request rather than let a result name the wrong one
     */
    @Transactional
    public List<UUID> fillSubjectReference(List<UUID> imageIds, String subjectReference) {
        jdbc.sql("UPDATE image SET subject_reference = :subject WHERE id = ANY(:ids) AND subject_reference IS NULL")
                .param("subject", subjectReference).param("ids", imageIds.toArray(UUID[]::new)).update();
        return jdbc.sql("SELECT id FROM image WHERE id = ANY(:ids) AND subject_reference <> :subject")
                .param("subject", subjectReference).param("ids", imageIds.toArray(UUID[]::new)).query(UUID.class).list();
    }

    /** The status of an image's job for this model version, if it has one. */
    @Transactional(readOnly = true)
    public Optional<JobStatus> status(UUID imageId, String modelId, String modelVersion) {
        return jdbc.sql("""
                        SELECT j.status FROM inference_job j JOIN model_version m ON m.id = j.model_version_id
                        WHERE j.image_id = :imageId AND m.model_id = :modelId AND m.version = :version""")
                .param("imageId", imageId).param("modelId", modelId).param("version", modelVersion)
                .query(String.class).optional().map(JobStatus::valueOf);
    }

    /** Remembers an Idempotency-Key whose request created nothing new; the first request's wins. */
    @Transactional
    public void rememberIdempotencyKey(String key, List<UUID> imageIds) {
        jdbc.sql("""
                        INSERT INTO idempotency_key (key, image_ids, created_at) VALUES (:key, :ids, now())
                        ON CONFLICT (key) DO NOTHING""")
                .param("key", key).param("ids", imageIds.toArray(UUID[]::new)).update();
    }

    @Transactional(readOnly = true)
    public Optional<List<UUID>> idempotentImages(String key) {
        return jdbc.sql("SELECT image_ids FROM idempotency_key WHERE key = :key").param("key", key)
                .query((rs, n) -> List.of((UUID[]) rs.getArray("image_ids").getArray())).optional();
    }

    /**
     * Marks jobs as being in a forward pass now and extends their lease; returns the ids this owner
     * still holds (a job another replica took over after this one's lease lapsed is not among them).
     */
    @Transactional
    public List<UUID> markRunning(List<UUID> jobIds, String owner, Duration lease) {
        return jdbc.sql("""
                        UPDATE inference_job SET status = 'RUNNING',
                            lease_until = now() + make_interval(secs => :leaseSeconds)
                        WHERE id = ANY(:ids) AND owner = :owner AND status IN ('QUEUED', 'RUNNING')
                        RETURNING id""")
                .param("owner", owner).param("leaseSeconds", seconds(lease))
                .param("ids", jobIds.toArray(UUID[]::new)).query(UUID.class).list();
    }

    /**
     * Stores the predictions and closes the jobs in one transaction. Idempotent. Each prediction
     * stored for the first time publishes a {@link PredictionCompleted} inside the transaction.
     */
    @Transactional
    public void complete(List<JobResult> results, String owner, boolean retainInputs) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        for (JobResult result : results) {
            NewPrediction p = result.prediction();
            ModelVersionRegistry.ModelVersionRow version = modelVersions.find(p.modelId(), p.modelVersion())
                    .orElseThrow();
            long versionId = version.id();
            Optional<UUID> stored = jdbc.sql("""
                            INSERT INTO prediction (id, image_id, model_version_id, predicted_class, p_cvx0, p_cvx1,
                                p_cvx2, p_cvx3, score_cvx03vs12, score_cvx0vs3, score_cvx1vs2, confidence, fold_spread,
                                decode_ms, wait_ms, inference_ms, created_at)
                            VALUES (:id, :imageId, :versionId, :cls, :p0, :p1, :p2, :p3, :s1, :s2, :s3, :confidence,
                                :spread, :decodeMs, :waitMs, :inferenceMs, :now)
                            ON CONFLICT (image_id, model_version_id) DO NOTHING
                            RETURNING id""")
                    .param("id", UUID.randomUUID())
                    .param("imageId", result.imageId())
                    .param("versionId", versionId)
                    .param("cls", (short) p.predictedClass().index())
                    .param("p0", p.probabilities()[0])
                    .param("p1", p.probabilities()[1])
                    .param("p2", p.probabilities()[2])
                    .param("p3", p.probabilities()[3])
                    .param("s1", p.scoreCvx03vs12())
                    .param("s2", p.scoreCvx0vs3())
                    .param("s3", p.scoreCvx1vs2())
                    .param("confidence", p.confidence())
                    .param("spread", boxed(p.foldSpread()))
                    .param("decodeMs", p.decodeMillis())
                    .param("waitMs", p.waitMillis())
                    .param("inferenceMs", p.inferenceMillis())
                    .param("now", Timestamp.from(now))
                    .query(UUID.class)
                    .optional();
            stored.ifPresent(predictionId -> events.publishEvent(new PredictionCompleted(predictionId,
                    result.imageId(), p.modelId(), p.modelVersion(), p.predictedClass(),
                    Collections.unmodifiableMap(PredictionView.byClass(p.probabilities())), p.confidence(),
                    PredictionView.noticeFor(version), now)));
            jdbc.sql("""
                            UPDATE inference_job SET status = 'DONE', finished_at = :now, owner = NULL, finished_by = :owner,
                                input = CASE WHEN :retain THEN input END
                            WHERE id = :id AND (owner = :owner OR owner IS NULL) AND status <> 'DONE'""")
                    .param("now", Timestamp.from(now)).param("retain", retainInputs).param("id", result.jobId())
                    .param("owner", owner)
                    .update();
        }
    }

    /**
     * Records a failed attempt: the job goes back to the queue after {@code retryDelay}, or is
     * marked failed for good once it has used its attempts (publishing a {@link PredictionFailed}
     * inside the transaction). Returns the job's new status.
     */
    @Transactional
    public JobStatus fail(UUID jobId, String owner, String reason, int maxAttempts, Duration retryDelay) {
        record Failed(JobStatus status, UUID imageId, long versionId, int attempts, Instant finishedAt) {
        }
        Optional<Failed> updated = jdbc.sql("""
                        UPDATE inference_job SET attempts = attempts + 1, owner = NULL, failure_reason = :reason,
                            status = CASE WHEN attempts + 1 >= :max THEN 'FAILED' ELSE 'QUEUED' END,
                            finished_at = CASE WHEN attempts + 1 >= :max THEN now() END,
                            lease_until = now() + make_interval(secs => :delay)
                        WHERE id = :id AND owner = :owner AND status IN ('QUEUED', 'RUNNING')
                        RETURNING status, image_id, model_version_id, attempts, finished_at""")
                .param("reason", reason).param("max", maxAttempts)
                .param("delay", seconds(retryDelay)).param("id", jobId).param("owner", owner)
                .query((rs, n) -> new Failed(JobStatus.valueOf(rs.getString("status")),
                        rs.getObject("image_id", UUID.class), rs.getLong("model_version_id"), rs.getInt("attempts"),
                        rs.getTimestamp("finished_at") == null ? null : rs.getTimestamp("finished_at").toInstant()))
                .optional();
        if (updated.isEmpty()) {
            return status(jobId).orElse(JobStatus.FAILED);
        }
        Failed failed = updated.get();
        if (failed.status() == JobStatus.FAILED) {
            ModelVersionRegistry.ModelVersionRow version = modelVersions.byId(failed.versionId());
            events.publishEvent(new PredictionFailed(jobId, failed.imageId(), version.modelId(), version.version(),
                    failed.attempts(), reason, failed.finishedAt()));
        }
        return failed.status();
    }

    private Optional<JobStatus> status(UUID jobId) {
        return jdbc.sql("SELECT status FROM inference_job WHERE id = :id").param("id", jobId)
                .query(String.class).optional().map(JobStatus::valueOf);
    }

    /**
     * Claims up to {@code limit} unfinished jobs whose lease has expired (their worker crashed, or a
     * retry is due) for the given model versions. Other replicas skip the rows this one locks.
     */
    @Transactional
    public List<QueuedJob> claimExpired(String owner, String modelId, String modelVersion, int limit, Duration lease) {
        return claim(owner, modelId, modelVersion, limit, lease, false);
    }

    /**
     * At start-up: also takes back, lease or not, the unfinished jobs this instance id held
     * before it stopped (a crash or {@code kill -9} leaves them leased to it).
     */
    @Transactional
    public List<QueuedJob> claimOwnAndExpired(String owner, String modelId, String modelVersion, int limit,
                                              Duration lease) {
        return claim(owner, modelId, modelVersion, limit, lease, true);
    }

    private List<QueuedJob> claim(String owner, String modelId, String modelVersion, int limit, Duration lease,
                                  boolean includeOwn) {
        if (limit <= 0) {
            return List.of();
        }
        return jdbc.sql("""
                        UPDATE inference_job j SET owner = :owner, status = 'QUEUED',
                            lease_until = now() + make_interval(secs => :leaseSeconds)
                        FROM model_version m
                        WHERE m.id = j.model_version_id AND j.id IN (
                            SELECT c.id FROM inference_job c JOIN model_version cm ON cm.id = c.model_version_id
                            WHERE c.status IN ('QUEUED', 'RUNNING')
                              AND (c.lease_until < now() OR (:includeOwn AND c.owner = :owner))
                              AND cm.model_id = :modelId AND cm.version = :version
                            ORDER BY c.created_at LIMIT :limit
                            FOR UPDATE OF c SKIP LOCKED)
                        RETURNING j.id, j.image_id, m.model_id, m.version, j.input, j.input_height, j.input_width,
                                  j.decode_ms, j.attempts, j.created_at""")
                .param("owner", owner).param("leaseSeconds", seconds(lease))
                .param("modelId", modelId).param("version", modelVersion).param("limit", limit)
                .param("includeOwn", includeOwn)
                .query(JobStore::queuedJob).list();
    }

    /** Keeps the lease of the jobs this replica holds in memory, so no other replica takes them over. */
    @Transactional
    public int renewLeases(List<UUID> jobIds, String owner, Duration lease) {
        if (jobIds.isEmpty()) {
            return 0;
        }
        return jdbc.sql("""
                        UPDATE inference_job SET lease_until = now() + make_interval(secs => :leaseSeconds)
                        WHERE id = ANY(:ids) AND owner = :owner AND status IN ('QUEUED', 'RUNNING')""")
                .param("ids", jobIds.toArray(UUID[]::new)).param("owner", owner)
                .param("leaseSeconds", seconds(lease)).update();
    }

    private static QueuedJob queuedJob(ResultSet rs, int row) throws SQLException {
        return new QueuedJob(rs.getObject("id", UUID.class), rs.getObject("image_id", UUID.class),
                rs.getString("model_id"), rs.getString("version"), fromBytes(rs.getBytes("input")),
                rs.getInt("input_height"), rs.getInt("input_width"), rs.getDouble("decode_ms"), rs.getInt("attempts"),
                rs.getTimestamp("created_at").toInstant());
    }

    /** Leases are compared with the database's clock only, to the millisecond. */
    private static double seconds(Duration duration) {
        return duration.toMillis() / 1000.0;
    }

    static byte[] toBytes(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return buffer.array();
    }

    static float[] fromBytes(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        float[] values = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }

    private static Double[] boxed(double[] values) {
        Double[] boxed = new Double[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return boxed;
    }
}
