package org.chestlens.prediction;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

@Entity
@Table(name = "image")
class ImageEntity {

    @Id
    private UUID id;
    private String sha256;
    private String format;
    private long sizeBytes;
    private int width;
    private int height;
    private int bitDepth;
    private String colourType;
    @JdbcTypeCode(SqlTypes.ARRAY)
    @Column(columnDefinition = "text[]")
    private List<String> warnings;
    private Instant receivedAt;
    private String modality;
    private String bodyPartExamined;
    private String viewPosition;
    private String patientSex;
    private String patientAge;
    private String manufacturer;
    private String manufacturerModelName;
    private String institutionName;
    private String stationName;
    private String studyInstanceUid;
    private String seriesInstanceUid;
    private String sopInstanceUid;
    private String accessionNumber;
    private String studyDate;
    private String photometricInterpretation;
    private Integer bitsStored;
    private Double[] pixelSpacing;
    private String transferSyntaxUid;
    private Double kvp;
    private Double distanceSourceToDetector;
    private String sopClassUid;

    protected ImageEntity() {
    }

    UUID id() { return id; }
    String sha256() { return sha256; }
    String format() { return format; }
    long sizeBytes() { return sizeBytes; }
    int width() { return width; }
    int height() { return height; }
    int bitDepth() { return bitDepth; }
    String colourType() { return colourType; }
    List<String> warnings() { return warnings; }
    Instant receivedAt() { return receivedAt; }

    DicomAttributes dicom() {
        if (!"DICOM".equals(format)) {
            return null;
        }
        return new DicomAttributes(modality, bodyPartExamined, viewPosition, patientSex, patientAge, manufacturer,
                manufacturerModelName, institutionName, stationName, studyInstanceUid, seriesInstanceUid,
                sopInstanceUid, accessionNumber, studyDate, photometricInterpretation, bitsStored,
                pixelSpacing == null ? List.of() : List.of(pixelSpacing), transferSyntaxUid, kvp,
                distanceSourceToDetector, sopClassUid);
    }
}
