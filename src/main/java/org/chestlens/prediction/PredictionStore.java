package org.chestlens.prediction;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.KeysetCursor;
import org.chestlens.platform.WhereClause;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Images and their predictions as clients read them. They are written by {@link ImageWriter} and
 * {@link PredictionWriter}, inside {@link JobStore}'s transactions.
 */
@Service
public class PredictionStore {

    private static final String[] PROBABILITY_COLUMNS = {"p_cvx0", "p_cvx1", "p_cvx2", "p_cvx3"};

    private final ImageRepository images;
    private final PredictionRepository predictions;
    private final ModelVersionRegistry modelVersions;
    private final JdbcClient jdbc;
    private final ObjectProvider<ReliabilityProvider> reliability;
    private final ObjectProvider<CalibrationProvider> calibration;

    PredictionStore(ImageRepository images, PredictionRepository predictions, ModelVersionRegistry modelVersions,
                    JdbcClient jdbc, ObjectProvider<ReliabilityProvider> reliability,
                    ObjectProvider<CalibrationProvider> calibration) {
        this.images = images;
        this.predictions = predictions;
        this.modelVersions = modelVersions;
        this.jdbc = jdbc;
        this.reliability = reliability;
        this.calibration = calibration;
    }

    @Transactional(readOnly = true)
    public Optional<ImageView> image(UUID id) {
        return images(List.of(id)).stream().findFirst();
    }

    /**
     * The images in the given order; ids that do not exist are skipped. This answers every upload, so its
     * statements are counted: one per image (by primary key, through Hibernate's prepared entity loader: its
     * {@code findAllById} builds and translates a criteria query on every call), then one for all their jobs and
     * one for all their predictions.
     */
    @Transactional(readOnly = true)
    public List<ImageView> images(List<UUID> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        Map<UUID, ImageEntity> found = new HashMap<>();
        for (UUID id : ids) {
            images.findById(id).ifPresent(image -> found.put(id, image));
        }
        if (found.isEmpty()) {
            return List.of();
        }
        UUID[] present = found.keySet().toArray(UUID[]::new);
        Map<UUID, List<ImageView.JobView>> jobs = new HashMap<>();
        Map<JobKey, Priority> priorities = new HashMap<>();
        jdbc.sql("""
                        SELECT j.image_id, j.model_version_id, m.model_id, m.version, j.status, j.attempts,
                               j.failure_reason, j.priority
                        FROM inference_job j JOIN model_version m ON m.id = j.model_version_id
                        WHERE j.image_id = ANY(:imageIds) ORDER BY j.created_at""")
                .param("imageIds", present)
                .query(rs -> {
                    UUID imageId = rs.getObject("image_id", UUID.class);
                    jobs.computeIfAbsent(imageId, key -> new ArrayList<>()).add(new ImageView.JobView(
                            rs.getString("model_id"), rs.getString("version"), JobStatus.valueOf(rs.getString("status")),
                            rs.getInt("attempts"), rs.getString("failure_reason")));
                    priorities.put(new JobKey(imageId, rs.getLong("model_version_id")),
                            Priority.valueOf(rs.getString("priority")));
                });
        Map<UUID, List<PredictionView>> predictionViews = new HashMap<>();
        List<PredictionEntity> stored = present.length == 1
                ? predictions.findByImageIdOrderByCreatedAtAsc(present[0])
                : predictions.findByImageIdInOrderByCreatedAtAsc(List.of(present));
        for (PredictionEntity prediction : stored) {
            predictionViews.computeIfAbsent(prediction.imageId(), key -> new ArrayList<>()).add(view(prediction,
                    priorities.get(new JobKey(prediction.imageId(), prediction.modelVersionId()))));
        }
        List<ImageView> views = new ArrayList<>();
        for (UUID id : ids) {
            ImageEntity image = found.get(id);
            if (image != null) {
                views.add(ImageView.of(image, jobs.getOrDefault(id, List.of()), predictionViews.getOrDefault(id,
                        List.of())));
            }
        }
        return views;
    }

    /** A job's identity: one per image and model version. */
    private record JobKey(UUID imageId, long modelVersionId) {
    }

    /**
     * Resolves image references as clients know them: a chestlens image id, or the DICOM SOP Instance
     * UID of an uploaded DICOM file. References that match no image are absent from the answer.
     */
    @Transactional(readOnly = true)
    public Map<String, UUID> resolveImages(Collection<String> references) {
        List<String> distinct = references.stream().distinct().toList();
        List<UUID> asIds = distinct.stream().map(PredictionStore::uuidOrNull).filter(Objects::nonNull).toList();
        Map<String, UUID> found = new HashMap<>();
        jdbc.sql("SELECT id, sop_instance_uid FROM image WHERE id = ANY(:ids) OR sop_instance_uid = ANY(:uids)")
                .param("ids", asIds.toArray(UUID[]::new))
                .param("uids", distinct.toArray(String[]::new))
                .query((rs, n) -> {
                    UUID id = rs.getObject("id", UUID.class);
                    found.put(id.toString(), id);
                    String uid = rs.getString("sop_instance_uid");
                    if (uid != null) {
                        found.put(uid, id);
                    }
                    return id;
                }).list();
        Map<String, UUID> resolved = new HashMap<>();
        for (String reference : distinct) {
            UUID id = found.get(reference);
            if (id == null && uuidOrNull(reference) != null) {
                id = found.get(uuidOrNull(reference).toString());
            }
            if (id != null) {
                resolved.put(reference, id);
            }
        }
        return resolved;
    }

    private static UUID uuidOrNull(String text) {
        try {
            return text.length() == 36 ? UUID.fromString(text) : null;
        } catch (IllegalArgumentException notAUuid) {
            return null;
        }
    }

    /**
     * The FHIR subject reference the uploading client named for the image (e.g. {@code Patient/123}),
     * if any. Kept out of {@link ImageView}: it identifies a patient in the client's system and is
     * only handed to FHIR results.
     */
    @Transactional(readOnly = true)
    public Optional<String> subjectReference(UUID imageId) {
        return jdbc.sql("SELECT subject_reference FROM image WHERE id = :id").param("id", imageId)
                .query(String.class).optional();
    }

    @Transactional(readOnly = true)
    public Optional<PredictionView> prediction(UUID id) {
        return predictions.findById(id).map(this::view);
    }

    /**
     * Newest first (or by one class's probability, highest first), one page after the query's cursor; the
     * probability bounds apply to one class's column.
     */
    @Transactional(readOnly = true)
    public PredictionPage search(PredictionQuery query) {
        String probability = query.probabilityOf() == null ? "confidence"
                : PROBABILITY_COLUMNS[query.probabilityOf().index()];
        String sortColumn = query.sortByProbabilityOf() == null ? null
                : PROBABILITY_COLUMNS[query.sortByProbabilityOf().index()];
        WhereClause where = WhereClause.all()
                .and("predicted_class = :predictedClass", "predictedClass",
                        query.predictedClass() == null ? null : (short) query.predictedClass().index())
                .and(probability + " >= :minProbability", "minProbability", query.minProbability())
                .and(probability + " <= :maxProbability", "maxProbability", query.maxProbability())
                .and("created_at >= :createdFrom", "createdFrom", query.createdFrom())
                .and("created_at < :createdTo", "createdTo", query.createdTo())
                .and("model_version_id IN (SELECT id FROM model_version WHERE model_id = :modelId)", "modelId",
                        query.modelId())
                .and("flags @> ARRAY[CAST(:flag AS text)]", "flag", query.flag() == null ? null : query.flag().code())
                .and("ood_flagged = :oodFlagged", "oodFlagged", query.outOfDistribution())
                .and("EXISTS (SELECT 1 FROM inference_job j WHERE j.image_id = prediction.image_id "
                        + "AND j.model_version_id = prediction.model_version_id AND j.priority = :priority)",
                        "priority", query.priority() == null ? null : query.priority().name());
        String order;
        Map<String, Object> params = new HashMap<>();
        if (sortColumn == null) {
            where = where.after("(created_at, id) <", KeysetCursor.decode(query.cursor()));
            order = "created_at DESC, id DESC";
        } else {
            ProbabilityCursor after = ProbabilityCursor.decode(query.cursor());
            if (after != null) {
                where = where.and("(" + sortColumn + ", id) < (:afterProbability, :afterId)", "afterProbability",
                        after.probability());
                params.put("afterId", after.id());
            }
            order = sortColumn + " DESC, id DESC";
        }
        params.putAll(where.params());
        List<UUID> ids = jdbc.sql("SELECT id FROM prediction %s ORDER BY %s LIMIT :limit".formatted(where, order))
                .params(params).param("limit", query.limit() + 1)
                .query(UUID.class).list();
        Map<UUID, PredictionEntity> rows = new HashMap<>();
        predictions.findAllById(ids).forEach(row -> rows.put(row.id(), row));
        List<PredictionEntity> ordered = ids.stream().map(rows::get).toList();
        if (sortColumn == null) {
            KeysetCursor.Slice<PredictionEntity> page = KeysetCursor.slice(ordered, query.limit(),
                    row -> new KeysetCursor(row.createdAt(), row.id()));
            return new PredictionPage(views(page.items()), page.nextCursor());
        }
        int classIndex = query.sortByProbabilityOf().index();
        List<PredictionEntity> page = ordered.subList(0, Math.min(query.limit(), ordered.size()));
        String next = ordered.size() <= query.limit() ? null : new ProbabilityCursor(
                page.get(page.size() - 1).probabilities()[classIndex], page.get(page.size() - 1).id()).encode();
        return new PredictionPage(views(page), next);
    }

    /** The position after the last row of a page ordered by a class probability (and id), opaque to clients. */
    private record ProbabilityCursor(double probability, UUID id) {

        String encode() {
            String raw = "p:" + Double.doubleToLongBits(probability) + ":" + id;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
        }

        static ProbabilityCursor decode(String cursor) {
            if (cursor == null) {
                return null;
            }
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split(":");
                if (parts.length != 3 || !parts[0].equals("p")) {
                    throw new IllegalArgumentException("not a probability cursor");
                }
                return new ProbabilityCursor(Double.longBitsToDouble(Long.parseLong(parts[1])), UUID.fromString(parts[2]));
            } catch (RuntimeException e) {
                throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid-cursor", "Invalid cursor",
                        "The cursor is not one this service issued for this ordering.");
            }
        }
    }

    private PredictionView view(PredictionEntity entity) {
        return view(entity, prioritiesOf(List.of(entity)).get(entity.id()));
    }

    /** The views in the same order, their jobs' priorities read with one query. */
    private List<PredictionView> views(List<PredictionEntity> entities) {
        Map<UUID, Priority> priorities = prioritiesOf(entities);
        return entities.stream().map(entity -> view(entity, priorities.get(entity.id()))).toList();
    }

    /** The priority of each prediction's job (one per image and model version); none for a prediction without. */
    private Map<UUID, Priority> prioritiesOf(List<PredictionEntity> entities) {
        Map<UUID, Priority> priorities = new HashMap<>();
        if (entities.isEmpty()) {
            return priorities;
        }
        jdbc.sql("""
                        SELECT p.id, j.priority FROM prediction p
                        JOIN inference_job j ON j.image_id = p.image_id AND j.model_version_id = p.model_version_id
                        WHERE p.id = ANY(:ids)""")
                .param("ids", entities.stream().map(PredictionEntity::id).toArray(UUID[]::new))
                .query(rs -> {
                    priorities.put(rs.getObject("id", UUID.class), Priority.valueOf(rs.getString("priority")));
                });
        return priorities;
    }

    private PredictionView view(PredictionEntity entity, Priority priority) {
        ReliabilityProvider provider = reliability.getIfAvailable();
        Reliability r = provider == null ? null
                : provider.reliabilityOf(entity.id(), entity.modelVersionId()).orElse(null);
        CalibrationProvider calibrations = calibration.getIfAvailable();
        CalibratedScores calibrated = calibrations == null ? null
                : calibrations.calibrate(entity.modelVersionId(), entity.probabilities()).orElse(null);
        return PredictionView.of(entity, modelVersions.byId(entity.modelVersionId()), priority, r, calibrated);
    }
}
