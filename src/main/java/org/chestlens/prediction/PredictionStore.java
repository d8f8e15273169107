package org.chestlens.prediction;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import jakarta.persistence.criteria.Predicate;

import org.chestlens.platform.KeysetCursor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.data.jpa.domain.Specification;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Images and their predictions in PostgreSQL: the one place they are written and read. */
@Service
public class PredictionStore {

    private static final String[] PROBABILITY_ATTRIBUTES = {"pCvx0", "pCvx1", "pCvx2", "pCvx3"};

    private final ImageRepository images;
    private final PredictionRepository predictions;
    private final ModelVersionRegistry modelVersions;
    private final JdbcClient jdbc;
    private final ObjectProvider<ReliabilityProvider> reliability;

    PredictionStore(ImageRepository images, PredictionRepository predictions, ModelVersionRegistry modelVersions,
                    JdbcClient jdbc, ObjectProvider<ReliabilityProvider> reliability) {
        this.images = images;
        this.predictions = predictions;
        this.modelVersions = modelVersions;
        this.jdbc = jdbc;
        this.reliability = reliability;
    }

    @Transactional(readOnly = true)
    public Optional<ImageView> image(UUID id) {
        return images.findById(id).map(image -> ImageView.of(image, jobsOf(id), predictionsOf(id)));
    }

    /** The images in the given order; ids that do not exist are skipped. */
    @Transactional(readOnly = true)
    public List<ImageView> images(List<UUID> ids) {
        return ids.stream().map(this::image).flatMap(Optional::stream).toList();
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

    @Transactional(readOnly = true)
    public PredictionPage search(PredictionQuery query) {
        Specification<PredictionEntity> spec = (root, cq, cb) -> {
            List<Predicate> where = new ArrayList<>();
            if (query.predictedClass() != null) {
                where.add(cb.equal(root.get("predictedClass"), (short) query.predictedClass().index()));
            }
            if (query.minProbability() != null || query.maxProbability() != null) {
                var probability = query.probabilityOf() != null
                        ? root.<Double>get(PROBABILITY_ATTRIBUTES[query.probabilityOf().index()])
                        : root.<Double>get("confidence");
                if (query.minProbability() != null) {
                    where.add(cb.greaterThanOrEqualTo(probability, query.minProbability()));
                }
                if (query.maxProbability() != null) {
                    where.add(cb.lessThanOrEqualTo(probability, query.maxProbability()));
                }
            }
            if (query.createdFrom() != null) {
                where.add(cb.greaterThanOrEqualTo(root.get("createdAt"), query.createdFrom()));
            }
            if (query.createdTo() != null) {
                where.add(cb.lessThan(root.get("createdAt"), query.createdTo()));
            }
            if (query.modelId() != null) {
                List<Long> ids = modelVersions.idsOf(query.modelId());
                where.add(ids.isEmpty() ? cb.disjunction() : root.get("modelVersionId").in(ids));
            }
            if (query.cursor() != null) {
                KeysetCursor after = KeysetCursor.decode(query.cursor());
                where.add(cb.or(cb.lessThan(root.get("createdAt"), after.createdAt()),
                        cb.and(cb.equal(root.get("createdAt"), after.createdAt()),
                                cb.lessThan(root.get("id"), after.id()))));
            }
            return cb.and(where.toArray(Predicate[]::new));
        };
        Sort newestFirst = Sort.by(Sort.Order.desc("createdAt"), Sort.Order.desc("id"));
        List<PredictionEntity> rows = predictions.findAll(spec, PageRequest.of(0, query.limit() + 1, newestFirst))
                .getContent();
        KeysetCursor.Slice<PredictionEntity> page = KeysetCursor.slice(rows, query.limit(),
                row -> new KeysetCursor(row.createdAt(), row.id()));
        return new PredictionPage(page.items().stream().map(this::view).toList(), page.nextCursor());
    }

    private List<ImageView.JobView> jobsOf(UUID imageId) {
        return jdbc.sql("""
                        SELECT m.model_id, m.version, j.status, j.attempts, j.failure_reason
                        FROM inference_job j JOIN model_version m ON m.id = j.model_version_id
                        WHERE j.image_id = :imageId ORDER BY j.created_at""")
                .param("imageId", imageId)
                .query((rs, n) -> new ImageView.JobView(rs.getString("model_id"), rs.getString("version"),
                        JobStatus.valueOf(rs.getString("status")), rs.getInt("attempts"),
                        rs.getString("failure_reason")))
                .list();
    }

    private List<PredictionView> predictionsOf(UUID imageId) {
        return predictions.findByImageIdOrderByCreatedAtAsc(imageId).stream().map(this::view).toList();
    }

    private PredictionView view(PredictionEntity entity) {
        ReliabilityProvider provider = reliability.getIfAvailable();
        Reliability r = provider == null ? null
                : provider.reliabilityOf(entity.id(), entity.modelVersionId()).orElse(null);
        return PredictionView.of(entity, modelVersions.byId(entity.modelVersionId()), r);
    }
}
