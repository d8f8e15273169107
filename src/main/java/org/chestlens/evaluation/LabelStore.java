package org.chestlens.evaluation;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

    /**
     * Stores the labels; returns for each whether it replaced an earlier one. Within one call the last label for an
     * image and reader wins (an earlier one in the same call counts as replaced, but only a value that was stored
     * goes to the history). Three statements whatever the number of labels: lock the stored ones, move them to the
     * history, upsert the new ones; 100 000 labels one by one held their rows for minutes. Rows are locked and
     * inserted in key order, so two imports of the same labels in opposite orders wait for each other instead of
     * deadlocking.
     */
    @Transactional
    public List<Boolean> write(List<Write> writes) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Map<Key, Write> last = new LinkedHashMap<>();
        for (Write w : writes) {
            last.put(new Key(w.imageId(), w.readerKey()), w);
        }
        List<Write> distinct = List.copyOf(last.values());
        UUID[] imageIds = distinct.stream().map(Write::imageId).toArray(UUID[]::new);
        String[] readers = distinct.stream().map(Write::readerKey).toArray(String[]::new);
        Set<Key> stored = jdbc.sql("""
                        SELECT l.image_id, l.reader_id FROM image_label l
                        JOIN unnest(:imageIds, :readers) AS w(image_id, reader_id) USING (image_id, reader_id)
                        ORDER BY l.image_id, l.reader_id
                        FOR UPDATE OF l""")
                .param("imageIds", imageIds).param("readers", readers)
                .query((rs, n) -> new Key(rs.getObject("image_id", UUID.class), rs.getString("reader_id")))
                .set();
        if (!stored.isEmpty()) {
            jdbc.sql("""
                            INSERT INTO label_history (image_id, reader_id, label, comment, labelled_by, labelled_at,
                                                       replaced_at)
                            SELECT l.image_id, l.reader_id, l.label, l.comment, l.labelled_by, l.labelled_at, :now
                            FROM image_label l
                            JOIN unnest(:imageIds, :readers) AS w(image_id, reader_id) USING (image_id, reader_id)""")
                    .param("now", Timestamp.from(now)).param("imageIds", imageIds).param("readers", readers)
                    .update();
        }
        jdbc.sql("""
                        INSERT INTO image_label (image_id, reader_id, label, comment, labelled_by, labelled_at)
                        SELECT image_id, reader_id, label, comment, labelled_by, :now
                        FROM unnest(:imageIds, :readers, :labels, :comments, :labelledBy)
                            AS w(image_id, reader_id, label, comment, labelled_by)
                        ORDER BY image_id, reader_id
                        ON CONFLICT (image_id, reader_id) DO UPDATE SET label = EXCLUDED.label,
                            comment = EXCLUDED.comment, labelled_by = EXCLUDED.labelled_by,
                            labelled_at = EXCLUDED.labelled_at""")
                .param("imageIds", imageIds).param("readers", readers)
                .param("labels", distinct.stream().map(w -> w.value().label().shortValue()).toArray(Short[]::new))
                .param("comments", distinct.stream().map(w -> w.value().comment()).toArray(String[]::new))
                .param("labelledBy", distinct.stream().map(w -> w.value().labelledBy()).toArray(String[]::new))
                .param("now", Timestamp.from(now))
                .update();
        // The first label of each key replaced what was stored; later ones in this call replaced an earlier one.
        Set<Key> seen = new HashSet<>();
        List<Boolean> replaced = new ArrayList<>(writes.size());
        for (Write w : writes) {
            Key key = new Key(w.imageId(), w.readerKey());
            replaced.add(!seen.add(key) || stored.contains(key));
        }
        return replaced;
    }

    private record Key(UUID imageId, String reader) {
    }

    @Transactional(readOnly = true)
    public ImageLabels labelsOf(UUID imageId) {
        List<Label> current = jdbc.sql("""
                        SELECT reader_id, label, comment, labelled_by, labelled_at, NULL::timestamptz AS replaced_at
                        FROM image_label WHERE image_id = :imageId ORDER BY reader_id""")
                .param("imageId", imageId).query(LabelStore::label).list();
        List<Label> history = jdbc.sql("""
                        SELECT reader_id, label, comment, labelled_by, labelled_at, replaced_at
                        FROM label_history WHERE image_id = :imageId ORDER BY replaced_at DESC, id DESC
                        LIMIT :shown""")
                .param("imageId", imageId).param("shown", ImageLabels.HISTORY_SHOWN).query(LabelStore::label).list();
        long historyTotal = history.size() < ImageLabels.HISTORY_SHOWN ? history.size()
                : jdbc.sql("SELECT count(*) FROM label_history WHERE image_id = :imageId").param("imageId", imageId)
                        .query(Long.class).single();
        Label reference = current.stream().filter(l -> l.reader() == null).findFirst().orElse(null);
        return new ImageLabels(imageId, reference, current.stream().filter(l -> l.reader() != null).toList(), history,
                historyTotal);
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
