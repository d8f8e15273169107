package org.chestlens.prediction;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.persistence.criteria.Predicate;

import org.chestlens.platform.ApiProblem;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.data.jpa.domain.Specification;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Images and their predictions in PostgreSQL: the one place they are written and read. */
@Service
public class PredictionStore {

    private static final String[] PROBABILITY_ATTRIBUTES = {"pCvx0", "pCvx1", "pCvx2", "pCvx3"};

    private final ImageRepository images;
    private final PredictionRepository predictions;
    private final ModelVersionRegistry modelVersions;

    PredictionStore(ImageRepository images, PredictionRepository predictions, ModelVersionRegistry modelVersions) {
        this.images = images;
        this.predictions = predictions;
        this.modelVersions = modelVersions;
    }

    /** An upload to store: the image and the prediction made for it. */
    public record Submission(NewImage image, NewPrediction prediction) {
    }

    /**
     * Stores all submissions in one transaction, so a request either leaves all its images or none.
     * An image whose bytes were stored before is reused, and so is its prediction by the same model
     * version: the answer is the stored one, never a duplicate.
     */
    @Transactional
    public List<ImageView> store(List<Submission> submissions) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        List<ImageView> stored = new ArrayList<>(submissions.size());
        for (Submission submission : submissions) {
            ImageEntity image = images.findBySha256(submission.image().sha256())
                    .orElseGet(() -> images.save(new ImageEntity(UUID.randomUUID(), submission.image(), now)));
            NewPrediction p = submission.prediction();
            long modelVersionId = modelVersions.find(p.modelId(), p.modelVersion())
                    .orElseThrow(() -> new IllegalStateException("Model version not registered: " + p.modelId()))
                    .id();
            if (predictions.findByImageIdAndModelVersionId(image.id(), modelVersionId).isEmpty()) {
                predictions.save(new PredictionEntity(UUID.randomUUID(), image.id(), modelVersionId, p, now));
            }
            stored.add(ImageView.of(image, predictionsOf(image.id())));
        }
        predictions.flush();
        return stored;
    }

    /** The stored image with these bytes, if its prediction by the given model version exists too. */
    @Transactional(readOnly = true)
    public Optional<ImageView> findScored(String sha256, String modelId, String modelVersion) {
        return images.findBySha256(sha256).flatMap(image -> modelVersions.find(modelId, modelVersion)
                .flatMap(version -> predictions.findByImageIdAndModelVersionId(image.id(), version.id()))
                .map(found -> ImageView.of(image, predictionsOf(image.id()))));
    }

    @Transactional(readOnly = true)
    public Optional<ImageView> image(UUID id) {
        return images.findById(id).map(image -> ImageView.of(image, predictionsOf(id)));
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
                Cursor after = Cursor.decode(query.cursor());
                where.add(cb.or(cb.lessThan(root.get("createdAt"), after.createdAt()),
                        cb.and(cb.equal(root.get("createdAt"), after.createdAt()),
                                cb.lessThan(root.get("id"), after.id()))));
            }
            return cb.and(where.toArray(Predicate[]::new));
        };
        Sort newestFirst = Sort.by(Sort.Order.desc("createdAt"), Sort.Order.desc("id"));
        List<PredictionEntity> rows = predictions.findAll(spec, PageRequest.of(0, query.limit() + 1, newestFirst))
                .getContent();
        boolean more = rows.size() > query.limit();
        List<PredictionEntity> page = more ? rows.subList(0, query.limit()) : rows;
        String next = more ? new Cursor(page.get(page.size() - 1).createdAt(), page.get(page.size() - 1).id()).encode()
                : null;
        return new PredictionPage(page.stream().map(this::view).toList(), next);
    }

    private List<PredictionView> predictionsOf(UUID imageId) {
        return predictions.findByImageIdOrderByCreatedAtAsc(imageId).stream().map(this::view).toList();
    }

    private PredictionView view(PredictionEntity entity) {
        return PredictionView.of(entity, modelVersions.byId(entity.modelVersionId()));
    }

    /** Keyset position: the last row's creation time and id, opaque to clients. */
    record Cursor(Instant createdAt, UUID id) {

        String encode() {
            String raw = createdAt.getEpochSecond() + ":" + createdAt.getNano() + ":" + id;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
        }

        static Cursor decode(String cursor) {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split(":");
                return new Cursor(Instant.ofEpochSecond(Long.parseLong(parts[0]), Long.parseLong(parts[1])),
                        UUID.fromString(parts[2]));
            } catch (RuntimeException e) {
                throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid-cursor", "Invalid cursor",
                        "The cursor is not one this service issued.");
            }
        }
    }
}
