package org.chestlens.evaluation;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.chestlens.prediction.ChestClass;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Reference and reader labels in PostgreSQL. Replacing a label moves the old value to
 * {@code label_history} in the same transaction.
 */
@Service
class LabelStore {

    /** Reader ids: short pseudonyms, never names; the reference label is stored under "". */
    static final String READER_ID = "[A-Za-z0-9][A-Za-z0-9._@-]{0,63}";
    private static final String REFERENCE = "";

    private final JdbcClient jdbc;

    LabelStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    record Write(UUID imageId, String reader, LabelInput value) {
        String readerKey() {
            return reader == null ? REFERENCE : reader;
        }
    }

    /** Stores the labels; returns for each whether it replaced an earlier one. */
    @Transactional
    public List<Boolean> write(List<Write> writes) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        return writes.stream().map(w -> write(w, now)).toList();
    }

    private boolean write(Write w, Instant now) {
        int archived = jdbc.sql("""
                        INSERT INTO label_history (image_id, reader_id, label, comment, labelled_by, labelled_at, replaced_at)
                        SELECT image_id, reader_id, label, comment, labelled_by, labelled_at, :now FROM image_label
                        WHERE image_id = :imageId AND reader_id = :reader
                        FOR UPDATE""")
                .param("now", Timestamp.from(now)).param("imageId", w.imageId()).param("reader", w.readerKey())
                .update();
        jdbc.sql("""
                        INSERT INTO image_label (image_id, reader_id, label, comment, labelled_by, labelled_at)
                        VALUES (:imageId, :reader, :label, :comment, :labelledBy, :now)
                        ON CONFLICT (image_id, reader_id) DO UPDATE SET label = EXCLUDED.label,
                            comment = EXCLUDED.comment, labelled_by = EXCLUDED.labelled_by,
                            labelled_at = EXCLUDED.labelled_at""")
                .param("imageId", w.imageId()).param("reader", w.readerKey())
                .param("label", w.value().label().shortValue()).param("comment", w.value().comment())
                .param("labelledBy", w.value().labelledBy()).param("now", Timestamp.from(now))
                .update();
        return archived > 0;
    }

    @Transactional(readOnly = true)
    public ImageLabels labelsOf(UUID imageId) {
        List<Label> current = jdbc.sql("""
                        SELECT reader_id, label, comment, labelled_by, labelled_at, NULL::timestamptz AS replaced_at
                        FROM image_label WHERE image_id = :imageId ORDER BY reader_id""")
                .param("imageId", imageId).query(LabelStore::label).list();
        List<Label> history = jdbc.sql("""
                        SELECT reader_id, label, comment, labelled_by, labelled_at, replaced_at
                        FROM label_history WHERE image_id = :imageId ORDER BY replaced_at DESC, id DESC""")
                .param("imageId", imageId).query(LabelStore::label).list();
        Label reference = current.stream().filter(l -> l.reader() == null).findFirst().orElse(null);
        return new ImageLabels(imageId, reference, current.stream().filter(l -> l.reader() != null).toList(), history);
    }

    /** Every image's reference label (class index). */
    @Transactional(readOnly = true)
    public Map<UUID, Integer> referenceLabels() {
        Map<UUID, Integer> labels = new HashMap<>();
        jdbc.sql("SELECT image_id, label FROM image_label WHERE reader_id = :reference").param("reference", REFERENCE)
                .query((rs, n) -> labels.put(rs.getObject("image_id", UUID.class), (int) rs.getShort("label")))
                .list();
        return labels;
    }

    private static Label label(ResultSet rs, int row) throws SQLException {
        String reader = rs.getString("reader_id");
        int label = rs.getShort("label");
        Timestamp replaced = rs.getTimestamp("replaced_at");
        return new Label(reader.isEmpty() ? null : reader, label, ChestClass.ofIndex(label).code(),
                rs.getString("comment"), rs.getString("labelled_by"), rs.getTimestamp("labelled_at").toInstant(),
                replaced == null ? null : replaced.toInstant());
    }
}
