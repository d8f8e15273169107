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

    /** What clients read in {@code failureReason} of a job failed by {@link #failHeldElsewhere}. */
    static final String HELD_INPUT_LOST = "The replica that accepted this upload stopped before scoring it or "
            + "answering; the pre-processed image was only in its memory. Send the image again to score it.";

    /**
     * The jobs (table {@code c}, model version {@code cm}) recovery may take: unfinished, and either their lease
     * expired or, at start-up, this instance held them.
     */
    private static final String CLAIMABLE = """
            c.status IN ('QUEUED', 'RUNNING')
              AND (c.lease_until < now() OR (:includeOwn AND c.owner = :owner))
              AND cm.model_id = :modelId AND cm.version = :version
            """;

    private final JdbcClient jdbc;
    private final ModelVersionRegistry modelVersions;
    private final ImageWriter images;
    private final PredictionWriter predictions;
    private final IdempotencyKeys idempotencyKeys;
    private final ModelViews modelViews;
    private final ApplicationEventPublisher events;

    JobStore(JdbcClient jdbc, ModelVersionRegistry modelVersions, ImageWriter images, PredictionWriter predictions,
             IdempotencyKeys idempotencyKeys, ModelViews modelViews, ApplicationEventPublisher events) {
        this.jdbc = jdbc;
        this.modelVersions = modelVersions;
        this.images = images;
        this.predictions = predictions;
        this.idempotencyKeys = idempotencyKeys;
        this.modelViews = modelViews;
        this.events = events;
    }

    /** The outcome of accepting one upload. {@code job} is present when a worker must score it. */
    public record Accepted(UUID imageId, Optional<QueuedJob> job) {
    }

    /**
     * Commits images, their jobs and the request's Idempotency-Key (when given) in one transaction.
     * An image whose bytes are already stored is reused; a job is created for it only if it has none
     * for this model version, or its last one failed (a re-upload retries). Concurrent uploads of the
     * same bytes are safe. Each job created for a DICOM image publishes a {@link DicomImageQueued} inside the
     * transaction.
     */
    @Transactional
    public List<Accepted> accept(List<PendingImage> pending, String modelId, String modelVersion, String owner,
                                 Duration lease, IdempotencyKeys.Claim idempotencyKey) {
        return accept(pending, modelId, modelVersion, owner, lease, idempotencyKey, Priority.ROUTINE);
    }

    /** The same, at the given priority (a re-upload of a failed image takes the new request's). */
    @Transactional
    public List<Accepted> accept(List<PendingImage> pending, String modelId, String modelVersion, String owner,
                                 Duration lease, IdempotencyKeys.Claim idempotencyKey, Priority priority) {
        return accept(pending, modelId, modelVersion, owner, lease, idempotencyKey, priority, JobInputs.STORED);
    }

    /**
     * The same, with the inputs committed or {@linkplain JobInputs#HELD_WHILE_CLIENT_WAITS held} in memory (the
     * jobs are committed either way).
     */
    @Transactional
    public List<Accepted> accept(List<PendingImage> pending, String modelId, String modelVersion, String owner,
                                 Duration lease, IdempotencyKeys.Claim idempotencyKey, Priority priority,
                                 JobInputs inputs) {
        boolean store = inputs == JobInputs.STORED;
        long versionId = modelVersions.find(modelId, modelVersion)
                .orElseThrow(() -> new IllegalStateException("Model version not registered: " + modelId)).id();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        List<Accepted> accepted = new ArrayList<>(pending.size());
        for (PendingImage p : pending) {
            UUID imageId = images.insert(p.image(), now);
            modelViews.keep(imageId, p.input(), p.inputWidth(), p.inputHeight(), now);
            Optional<UUID> created = jdbc.sql("""
                            INSERT INTO inference_job (id, image_id, model_version_id, status, input, input_height,
                                                       input_width, decode_ms, attempts, owner, lease_until, created_at,
                                                       priority)
                            VALUES (:id, :imageId, :versionId, 'QUEUED', :input, :height, :width, :decodeMs, 0, :owner,
                                    now() + make_interval(secs => :leaseSeconds), :now, :priority)
                            ON CONFLICT (image_id, model_version_id) DO UPDATE
                                SET status = 'QUEUED', input = EXCLUDED.input, attempts = 0, owner = EXCLUDED.owner,
                                    lease_until = EXCLUDED.lease_until, failure_reason = NULL, finished_at = NULL,
                                    priority = EXCLUDED.priority
                                WHERE inference_job.status = 'FAILED'
                            RETURNING id""")
                    .param("id", UUID.randomUUID())
                    .param("imageId", imageId)
                    .param("versionId", versionId)
                    .param("input", store ? toBytes(p.input()) : null)
                    .param("height", p.inputHeight())
                    .param("width", p.inputWidth())
                    .param("decodeMs", p.decodeMillis())
                    .param("owner", owner)
                    .param("leaseSeconds", seconds(lease))
                    .param("now", Timestamp.from(now))
                    .param("priority", priority.name())
                    .query(UUID.class)
                    .optional();
            if (created.isPresent() && p.image().dicom() != null) {
                events.publishEvent(new DicomImageQueued(imageId, modelId, modelVersion, p.patient()));
            }
            accepted.add(new Accepted(imageId, created.map(id -> new QueuedJob(id, imageId, modelId, modelVersion,
                    p.input(), p.inputHeight(), p.inputWidth(), p.decodeMillis(), 0, now, priority, store))));
        }
        if (idempotencyKey != null) {
            idempotencyKeys.record(idempotencyKey, accepted.stream().map(Accepted::imageId).toList(), now);
        }
        return accepted;
    }

    /**
     * Writes the inputs of jobs whose input was held in memory ({@link QueuedJob#inputStored()} false) and that are
     * not finished yet, so that any replica can score them from now on; jobs whose input is stored are skipped.
     * Returns how many inputs were written. Each is its own transaction, so it never holds one job's row while
     * waiting for another's (a result being written for several jobs at once).
     */
    public int storeInputs(List<QueuedJob> jobs) {
        int written = 0;
        for (QueuedJob job : jobs) {
            if (job.inputStored()) {
                continue;
            }
            written += jdbc.sql("""
                            UPDATE inference_job SET input = :input
                            WHERE id = :id AND input IS NULL AND status IN ('QUEUED', 'RUNNING')""")
                    .param("input", toBytes(job.input())).param("id", job.jobId()).update();
        }
        return written;
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
            predictions.store(result.imageId(), result.prediction(), now);
        }
        if (!results.isEmpty()) {
            jdbc.sql("""
                            UPDATE inference_job SET status = 'DONE', finished_at = :now, owner = NULL, finished_by = :owner,
                                input = CASE WHEN :retain THEN input END
                            WHERE id = ANY(:ids) AND (owner = :owner OR owner IS NULL) AND status <> 'DONE'""")
                    .param("now", Timestamp.from(now)).param("retain", retainInputs)
                    .param("ids", results.stream().map(JobResult::jobId).toArray(UUID[]::new))
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
        return fail(jobId, owner, reason, maxAttempts, retryDelay, null);
    }

    /**
     * The same for a job whose input was held in memory: the input is stored with the failure, so the retry
     * can be made by any replica.
     */
    @Transactional
    public JobStatus fail(UUID jobId, String owner, String reason, int maxAttempts, Duration retryDelay,
                          float[] heldInput) {
        record Failed(JobStatus status, UUID imageId, long versionId, int attempts, Instant finishedAt) {
        }
        Optional<Failed> updated = jdbc.sql("""
                        UPDATE inference_job SET attempts = attempts + 1, owner = NULL, failure_reason = :reason,
                            input = COALESCE(input, :heldInput),
                            status = CASE WHEN attempts + 1 >= :max THEN 'FAILED' ELSE 'QUEUED' END,
                            finished_at = CASE WHEN attempts + 1 >= :max THEN now() END,
                            lease_until = now() + make_interval(secs => :delay)
                        WHERE id = :id AND owner = :owner AND status IN ('QUEUED', 'RUNNING')
                        RETURNING status, image_id, model_version_id, attempts, finished_at""")
                .param("reason", reason).param("max", maxAttempts)
                .param("delay", seconds(retryDelay)).param("id", jobId).param("owner", owner)
                .param("heldInput", heldInput == null ? null : toBytes(heldInput))
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
        failHeldElsewhere(owner, modelId, modelVersion, includeOwn);
        return jdbc.sql("""
                        UPDATE inference_job j SET owner = :owner, status = 'QUEUED',
                            lease_until = now() + make_interval(secs => :leaseSeconds)
                        FROM model_version m
                        WHERE m.id = j.model_version_id AND j.id IN (
                            SELECT c.id FROM inference_job c JOIN model_version cm ON cm.id = c.model_version_id
                            WHERE c.input IS NOT NULL AND\s""" + CLAIMABLE + """
                            ORDER BY c.priority = 'STAT' DESC, c.created_at LIMIT :limit
                            FOR UPDATE OF c SKIP LOCKED)
                        RETURNING j.id, j.image_id, m.model_id, m.version, j.input, j.input_height, j.input_width,
                                  j.decode_ms, j.attempts, j.created_at, j.priority""")
                .param("owner", owner).param("leaseSeconds", seconds(lease))
                .param("modelId", modelId).param("version", modelVersion).param("limit", limit)
                .param("includeOwn", includeOwn)
                .query(JobStore::queuedJob).list().stream()
                // RETURNING gives no order: the batcher's lanes take stat first anyway, but recovery hands
                // the jobs over in the order they were chosen.
                .sorted(java.util.Comparator.comparing((QueuedJob job) -> job.priority() != Priority.STAT)
                        .thenComparing(QueuedJob::createdAt))
                .toList();
    }

    /**
     * The jobs recovery would claim whose input was held in the memory of a replica that is gone (its lease
     * expired, or this is that replica starting again): nothing can score them. They fail for good, with a reason
     * that says to send the image again (which re-queues it), publishing a {@link PredictionFailed} each.
     */
    private void failHeldElsewhere(String owner, String modelId, String modelVersion, boolean includeOwn) {
        record Lost(UUID jobId, UUID imageId, int attempts, Instant finishedAt) {
        }
        List<Lost> lost = jdbc.sql("""
                        UPDATE inference_job j SET status = 'FAILED', owner = NULL, finished_at = now(),
                            failure_reason = :reason
                        WHERE j.id IN (
                            SELECT c.id FROM inference_job c JOIN model_version cm ON cm.id = c.model_version_id
                            WHERE c.input IS NULL AND\s""" + CLAIMABLE + """
                            FOR UPDATE OF c SKIP LOCKED)
                        RETURNING j.id, j.image_id, j.attempts, j.finished_at""")
                .param("reason", HELD_INPUT_LOST).param("owner", owner).param("includeOwn", includeOwn)
                .param("modelId", modelId).param("version", modelVersion)
                .query((rs, n) -> new Lost(rs.getObject("id", UUID.class), rs.getObject("image_id", UUID.class),
                        rs.getInt("attempts"), rs.getTimestamp("finished_at").toInstant()))
                .list();
        for (Lost job : lost) {
            events.publishEvent(new PredictionFailed(job.jobId(), job.imageId(), modelId, modelVersion,
                    job.attempts(), HELD_INPUT_LOST, job.finishedAt()));
        }
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
                rs.getTimestamp("created_at").toInstant(), Priority.valueOf(rs.getString("priority")), true);
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
}
