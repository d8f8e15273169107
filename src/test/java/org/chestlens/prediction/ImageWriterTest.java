package org.chestlens.prediction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.chestlens.StoreTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.IllegalTransactionStateException;
import org.springframework.transaction.support.TransactionTemplate;

/** The image row: every column of the wide insert, duplicates found again, the subject reference. */
@StoreTest
@Import(ImageWriter.class)
class ImageWriterTest {

    @Autowired
    ImageWriter images;
    @Autowired
    JdbcClient jdbc;
    @Autowired
    TransactionTemplate transaction;

    final Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);

    @Test
    void everyDicomAttributeLandsInItsColumn() {
        String sop = "1.2.826.0.1.3680043.9." + System.nanoTime();
        DicomAttributes dicom = new DicomAttributes("DX", "CHEST", "PA", "F", "063Y", "Acme", "Acme DR 1", "St Elsewhere",
                "STATION7", "1.2.3.4", "1.2.3.4.5", sop, "ACC-9", "20240102", "MONOCHROME2", 12, List.of(0.14, 0.15),
                "1.2.840.10008.1.2.1", 120.0, 1800.0, "1.2.840.10008.5.1.4.1.1.1.1");
        NewImage image = new NewImage(sha(), "DICOM", 1234, 2048, 2500, 16, "GREY", List.of("cropped", "rescaled"),
                dicom, "hash-of-patient-id", "Patient/42");

        UUID id = insert(image);

        Map<String, Object> row = jdbc.sql("""
                        SELECT sha256, format, size_bytes, width, height, bit_depth, colour_type,
                               array_to_string(warnings, '|') AS warnings, received_at, modality, body_part_examined,
                               view_position, patient_sex, patient_age, manufacturer, manufacturer_model_name,
                               institution_name, station_name, study_instance_uid, series_instance_uid,
                               sop_instance_uid, accession_number, study_date, photometric_interpretation, bits_stored,
                               array_to_string(pixel_spacing, '|') AS pixel_spacing, transfer_syntax_uid,
                               patient_id_hash, kvp, distance_source_to_detector, subject_reference, sop_class_uid
                        FROM image WHERE id = :id""")
                .param("id", id).query().singleRow();
        assertThat(row).containsEntry("sha256", image.sha256()).containsEntry("format", "DICOM")
                .containsEntry("size_bytes", 1234L).containsEntry("width", 2048).containsEntry("height", 2500)
                .containsEntry("bit_depth", 16).containsEntry("colour_type", "GREY")
                .containsEntry("warnings", "cropped|rescaled").containsEntry("modality", "DX")
                .containsEntry("body_part_examined", "CHEST").containsEntry("view_position", "PA")
                .containsEntry("patient_sex", "F").containsEntry("patient_age", "063Y")
                .containsEntry("manufacturer", "Acme").containsEntry("manufacturer_model_name", "Acme DR 1")
                .containsEntry("institution_name", "St Elsewhere").containsEntry("station_name", "STATION7")
                .containsEntry("study_instance_uid", "1.2.3.4").containsEntry("series_instance_uid", "1.2.3.4.5")
                .containsEntry("sop_instance_uid", sop).containsEntry("accession_number", "ACC-9")
                .containsEntry("study_date", "20240102").containsEntry("photometric_interpretation", "MONOCHROME2")
                .containsEntry("bits_stored", 12).containsEntry("pixel_spacing", "0.14|0.15")
                .containsEntry("transfer_syntax_uid", "1.2.840.10008.1.2.1")
                .containsEntry("patient_id_hash", "hash-of-patient-id").containsEntry("kvp", 120.0)
                .containsEntry("distance_source_to_detector", 1800.0).containsEntry("subject_reference", "Patient/42")
                .containsEntry("sop_class_uid", "1.2.840.10008.5.1.4.1.1.1.1");
        assertThat(((java.sql.Timestamp) row.get("received_at")).toInstant()).isEqualTo(now);
    }

    @Test
    void aPngLeavesTheDicomColumnsEmpty() {
        UUID id = insert(png());

        assertThat(jdbc.sql("""
                        SELECT num_nulls(modality, body_part_examined, view_position, patient_sex, patient_age,
                            manufacturer, manufacturer_model_name, institution_name, station_name, study_instance_uid,
                            series_instance_uid, sop_instance_uid, accession_number, study_date,
                            photometric_interpretation, bits_stored, pixel_spacing, transfer_syntax_uid,
                            patient_id_hash, kvp, distance_source_to_detector, subject_reference)
                        FROM image WHERE id = :id""").param("id", id).query(Integer.class).single()).isEqualTo(22);
    }

    @Test
    void theSameBytesOrTheSameSopInstanceAreTheStoredImage() {
        NewImage first = png();
        UUID id = insert(first);
        assertThat(insert(first)).isEqualTo(id);
        assertThat(images.existingImageId(first.sha256(), null)).contains(id);

        String sop = "1.2.826.0.1.3680043.9." + System.nanoTime();
        UUID dicomId = insert(dicom(sha(), sop));
        assertThat(insert(dicom(sha(), sop))).as("other bytes, same SOP Instance UID").isEqualTo(dicomId);
        assertThat(images.existingImageId(sha(), sop)).contains(dicomId);
        assertThat(images.existingImageId(sha(), null)).isEmpty();
    }

    @Test
    void insertingOutsideTheUploadsTransactionIsRefused() {
        assertThatThrownBy(() -> images.insert(png(), now)).isInstanceOf(IllegalTransactionStateException.class);
    }

    @Test
    void aSubjectReferenceIsFilledInButNeverReplaced() {
        UUID without = insert(png());
        UUID other = insert(png().withSubjectReference("Patient/other"));

        assertThat(images.fillSubjectReference(List.of(without, other), "Patient/7")).containsExactly(other);

        assertThat(jdbc.sql("SELECT subject_reference FROM image WHERE id = ANY(:ids) ORDER BY subject_reference")
                .param("ids", new UUID[] {without, other}).query(String.class).list())
                .containsExactly("Patient/7", "Patient/other");
        assertThat(images.fillSubjectReference(List.of(without), "Patient/7")).isEmpty();
    }

    private UUID insert(NewImage image) {
        return transaction.execute(status -> images.insert(image, now));
    }

    private static NewImage png() {
        return new NewImage(sha(), "PNG", 100, 300, 300, 8, "GREY", List.of());
    }

    private static NewImage dicom(String sha, String sop) {
        return new NewImage(sha, "DICOM", 100, 300, 300, 16, "GREY", List.of(),
                new DicomAttributes("DX", null, null, null, null, null, null, null, null, null, null, sop, null, null,
                        null, null, null, null, null, null, null), null);
    }

    static String sha() {
        return UUID.randomUUID().toString().replace("-", "") + UUID.randomUUID().toString().replace("-", "");
    }
}
