package org.chestlens.prediction;

import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Writes image rows: an upload's image with its DICOM attributes, found again when the same bytes
 * (or the same DICOM SOP Instance UID) arrive twice, and the client's FHIR subject reference.
 */
@Component
public class ImageWriter {

    private static final DicomAttributes NOT_DICOM = new DicomAttributes(null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null, null, null, null, null, null);

    private final JdbcClient jdbc;

    ImageWriter(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** One row of the image table; the insert's named parameters are its components. */
    private record ImageRow(UUID id, String sha256, String format, long sizeBytes, int width, int height,
                            int bitDepth, String colourType, String[] warnings, Timestamp receivedAt,
                            String modality, String bodyPartExamined, String viewPosition, String patientSex,
                            String patientAge, String manufacturer, String manufacturerModelName,
                            String institutionName, String stationName, String studyInstanceUid,
                            String seriesInstanceUid, String sopInstanceUid, String accessionNumber,
                            String studyDate, String photometricInterpretation, Integer bitsStored,
                            Double[] pixelSpacing, String transferSyntaxUid, String patientIdHash, Double kvp,
                            Double distanceSourceToDetector, String subjectReference, String sopClassUid) {

        static ImageRow of(NewImage image, Instant receivedAt) {
            DicomAttributes d = image.dicom() == null ? NOT_DICOM : image.dicom();
            return new ImageRow(UUID.randomUUID(), image.sha256(), image.format(), image.sizeBytes(), image.width(),
                    image.height(), image.bitDepth(), image.colourType(), image.warnings().toArray(String[]::new),
                    Timestamp.from(receivedAt),
                    d.modality(), d.bodyPartExamined(), d.viewPosition(), d.patientSex(),
                    d.patientAge(), d.manufacturer(), d.manufacturerModelName(),
                    d.institutionName(), d.stationName(), d.studyInstanceUid(),
                    d.seriesInstanceUid(), d.sopInstanceUid(), d.accessionNumber(),
                    d.studyDate(), d.photometricInterpretation(), d.bitsStored(),
                    d.pixelSpacing() == null ? null : d.pixelSpacing().toArray(Double[]::new),
                    d.transferSyntaxUid(), image.patientIdHash(), d.kvp(),
                    d.distanceSourceToDetector(), image.subjectReference(), d.sopClassUid());
        }
    }

    /**
     * Stores the image, or finds the stored one it duplicates (concurrent uploads of the same bytes
     * are safe). Runs only inside the upload's transaction, which also commits its job.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    UUID insert(NewImage image, Instant receivedAt) {
        ImageRow row = ImageRow.of(image, receivedAt);
        return jdbc.sql("""
                        INSERT INTO image (id, sha256, format, size_bytes, width, height, bit_depth, colour_type,
                            warnings, received_at, modality, body_part_examined, view_position, patient_sex,
                            patient_age, manufacturer, manufacturer_model_name, institution_name, station_name,
                            study_instance_uid, series_instance_uid, sop_instance_uid, accession_number, study_date,
                            photometric_interpretation, bits_stored, pixel_spacing, transfer_syntax_uid,
                            patient_id_hash, kvp, distance_source_to_detector, subject_reference, sop_class_uid)
                        VALUES (:id, :sha256, :format, :sizeBytes, :width, :height, :bitDepth, :colourType,
                            :warnings, :receivedAt, :modality, :bodyPartExamined, :viewPosition, :patientSex,
                            :patientAge, :manufacturer, :manufacturerModelName, :institutionName, :stationName,
                            :studyInstanceUid, :seriesInstanceUid, :sopInstanceUid, :accessionNumber, :studyDate,
                            :photometricInterpretation, :bitsStored, :pixelSpacing, :transferSyntaxUid,
                            :patientIdHash, :kvp, :distanceSourceToDetector, :subjectReference, :sopClassUid)
                        ON CONFLICT DO NOTHING
                        RETURNING id""")
                .paramSource(row)
                .query(UUID.class)
                .optional()
                .orElseGet(() -> existingImageId(row.sha256(), row.sopInstanceUid()).orElseThrow());
    }

    /** The stored image with these bytes or, for DICOM, this SOP Instance UID (one statement: no transaction of its own). */
    public Optional<UUID> existingImageId(String sha256, String sopInstanceUid) {
        return jdbc.sql("SELECT id FROM image WHERE sha256 = :sha256 OR sop_instance_uid = :sop LIMIT 1")
                // typed also when null: a PNG's null and a DICOM's UID would otherwise differ in type, and the
                // driver prepares the statement anew whenever the types of its parameters change
                .param("sha256", sha256).param("sop", sopInstanceUid, Types.VARCHAR).query(UUID.class).optional();
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
}
