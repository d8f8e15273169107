package org.chestlens.prediction;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.KeysetCursor;
import org.chestlens.platform.WhereClause;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Images found by the identifiers a hospital knows them by (accession number, Study/Series/SOP Instance UID,
 * the upload's subject reference), a whole study with a summary, and an image's identifiers for the
 * messages that carry results to the hospital (webhooks, HL7 v2).
 */
@Service
public class HospitalLookup {

    static final int MAX_STUDY_IMAGES = 1000;
    private static final List<String> FRONTAL = List.of("PA", "AP");

    private final JdbcClient jdbc;
    private final PredictionStore store;

    HospitalLookup(JdbcClient jdbc, PredictionStore store) {
        this.jdbc = jdbc;
        this.store = store;
    }

    /** The identifiers the image came with; {@link HospitalIdentifiers#NONE} for an unknown image. */
    @Transactional(readOnly = true)
    public HospitalIdentifiers identifiers(UUID imageId) {
        return jdbc.sql("""
                        SELECT accession_number, study_instance_uid, series_instance_uid, sop_instance_uid,
                               subject_reference FROM image WHERE id = :id""")
                .param("id", imageId)
                .query((rs, n) -> new HospitalIdentifiers(blankToNull(rs.getString("accession_number")),
                        blankToNull(rs.getString("study_instance_uid")), blankToNull(rs.getString("series_instance_uid")),
                        blankToNull(rs.getString("sop_instance_uid")), blankToNull(rs.getString("subject_reference"))))
                .optional().orElse(HospitalIdentifiers.NONE);
    }

    /** Newest first; every identifier given must match. */
    @Transactional(readOnly = true)
    ImagePage search(ImageSearchRequest request) {
        if (request == null) {
            throw invalid("A JSON body with at least one identifier is required.");
        }
        int limit = request.limit() == null ? 50 : request.limit();
        if (limit < 1 || limit > 500) {
            throw invalid("\"limit\" must be between 1 and 500.");
        }
        WhereClause where = WhereClause.all()
                .and("accession_number = :accession", "accession", checked("accessionNumber", request.accessionNumber()))
                .and("study_instance_uid = :study", "study", checked("studyInstanceUid", request.studyInstanceUid()))
                .and("series_instance_uid = :series", "series", checked("seriesInstanceUid", request.seriesInstanceUid()))
                .and("sop_instance_uid = :sop", "sop", checked("sopInstanceUid", request.sopInstanceUid()))
                .and("subject_reference = :subject", "subject", checked("subject", request.subject()));
        if (where.params().isEmpty()) {
            throw invalid("Give at least one of accessionNumber, studyInstanceUid, seriesInstanceUid, sopInstanceUid, "
                    + "subject.");
        }
        where.after("(received_at, id) <", KeysetCursor.decode(request.cursor()));
        record Row(UUID id, java.time.Instant receivedAt) {
        }
        List<Row> rows = jdbc.sql("SELECT id, received_at FROM image %s ORDER BY received_at DESC, id DESC LIMIT :limit"
                        .formatted(where))
                .params(where.params()).param("limit", limit + 1)
                .query((rs, n) -> new Row(rs.getObject("id", UUID.class), rs.getTimestamp("received_at").toInstant()))
                .list();
        KeysetCursor.Slice<Row> page = KeysetCursor.slice(rows, limit, r -> new KeysetCursor(r.receivedAt(), r.id()));
        return new ImagePage(store.images(page.items().stream().map(Row::id).toList()), page.nextCursor());
    }

    /** Every image of the study, oldest first, with one summary per model version. */
    @Transactional(readOnly = true)
    StudyView study(StudyRequest request) {
        String uid = request == null ? null : checked("studyInstanceUid", request.studyInstanceUid());
        if (uid == null) {
            throw invalid("\"studyInstanceUid\" is required.");
        }
        List<UUID> ids = jdbc.sql("""
                        SELECT id FROM image WHERE study_instance_uid = :uid ORDER BY received_at, id LIMIT :limit""")
                .param("uid", uid).param("limit", MAX_STUDY_IMAGES).query(UUID.class).list();
        if (ids.isEmpty()) {
            throw new ApiProblem(HttpStatus.NOT_FOUND, "not-found", "Study not found",
                    "No image of this study is stored.");
        }
        List<ImageView> images = store.images(ids);
        return new StudyView(images, summaries(images));
    }

    static List<StudyView.Summary> summaries(List<ImageView> images) {
        record Scored(ImageView image, PredictionView prediction) {
        }
        Map<String, List<Scored>> byModel = new LinkedHashMap<>();
        for (ImageView image : images) {
            for (PredictionView p : image.predictions()) {
                byModel.computeIfAbsent(p.model().id() + "\u0000" + p.model().version(), k -> new ArrayList<>())
                        .add(new Scored(image, p));
            }
        }
        List<StudyView.Summary> summaries = new ArrayList<>();
        for (List<Scored> scored : byModel.values()) {
            List<Scored> frontal = scored.stream().filter(s -> s.image().dicom() != null
                    && FRONTAL.contains(s.image().dicom().viewPosition())).toList();
            List<Scored> basis = frontal.isEmpty() ? scored : frontal;
            ChestClass best = null;
            double bestMean = -1;
            Map<String, Double> highest = new LinkedHashMap<>();
            for (ChestClass c : ChestClass.values()) {
                double mean = basis.stream().mapToDouble(s -> s.prediction().probabilities().get(c.code())).average()
                        .orElse(0);
                if (mean > bestMean) {
                    bestMean = mean;
                    best = c;
                }
                highest.put(c.code(), scored.stream().mapToDouble(s -> s.prediction().probabilities().get(c.code()))
                        .max().orElse(0));
            }
            Reliability worst = scored.stream().map(s -> s.prediction().reliability()).filter(Objects::nonNull)
                    .max(Comparator.comparingDouble(Reliability::errorRate)).orElse(null);
            summaries.add(new StudyView.Summary(scored.get(0).prediction().model(), scored.size(), frontal.size(),
                    PredictionView.ClassRef.of(best), !frontal.isEmpty(), highest, worst));
        }
        return summaries;
    }

    /** Null when absent or blank; a 400 when too long or not storable text (the value is never echoed). */
    private static String checked(String field, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        if (value.length() > ImageSearchRequest.MAX_IDENTIFIER_LENGTH) {
            throw invalid("\"" + field + "\" must be at most " + ImageSearchRequest.MAX_IDENTIFIER_LENGTH
                    + " characters.");
        }
        if (value.indexOf('\u0000') >= 0) {
            throw invalid("\"" + field + "\" holds a NUL character, which no identifier does.");
        }
        return value.strip();
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    private static ApiProblem invalid(String detail) {
        return new ApiProblem(HttpStatus.BAD_REQUEST, "invalid-search", "Invalid search", detail);
    }
}
