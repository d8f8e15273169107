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
}
