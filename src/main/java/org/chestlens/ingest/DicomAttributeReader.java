package org.chestlens.ingest;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.TagFromName;

import org.chestlens.prediction.DicomAttributes;

/**
 * The descriptive attributes of a decoded data set, read leniently: a missing or damaged optional
 * attribute is null (or empty), never a reason to refuse the image; what is unusual for a chest
 * radiograph becomes a warning stored with it.
 */
final class DicomAttributeReader {

    private static final Set<String> RADIOGRAPHY = Set.of("CR", "DX");
    private static final String CHEST = "CHEST";

    private DicomAttributeReader() {
    }

    static DicomAttributes metadata(AttributeList list, DicomPreCheck.Layout layout) {
        DicomImageHeader header = layout.header();
        return new DicomAttributes(
                text(list, TagFromName.Modality),
                text(list, TagFromName.BodyPartExamined),
                text(list, TagFromName.ViewPosition),
                text(list, TagFromName.PatientSex),
                text(list, TagFromName.PatientAge),
                text(list, TagFromName.Manufacturer),
                text(list, TagFromName.ManufacturerModelName),
                text(list, TagFromName.InstitutionName),
                text(list, TagFromName.StationName),
                text(list, TagFromName.StudyInstanceUID),
                text(list, TagFromName.SeriesInstanceUID),
                text(list, TagFromName.SOPInstanceUID),
                text(list, TagFromName.AccessionNumber),
                text(list, TagFromName.StudyDate),
                header.photometricInterpretation(),
                header.bitsStored(),
                pixelSpacing(list),
                layout.syntax().uid(),
                positive(list, new AttributeTag(0x0018, 0x0060)),  // KVP: no constant in PixelMed's TagFromName
                positive(list, TagFromName.DistanceSourceToDetector),
                text(list, TagFromName.SOPClassUID));
    }

    static List<String> warnings(DicomAttributes metadata, DicomImageHeader header) {
        List<String> warnings = new ArrayList<>();
        if (header.frames() > 1) {
            warnings.add("first of " + header.frames() + " frames used");
        }
        if (metadata.modality() == null) {
            warnings.add("Modality missing; expected CR or DX");
        } else if (!RADIOGRAPHY.contains(metadata.modality())) {
            warnings.add("Modality is " + metadata.modality() + ", not CR or DX");
        }
        if (metadata.bodyPartExamined() == null) {
            warnings.add("BodyPartExamined missing; expected CHEST");
        } else if (!CHEST.equals(metadata.bodyPartExamined())) {
            warnings.add("BodyPartExamined is " + metadata.bodyPartExamined() + ", not CHEST");
        }
        return warnings;
    }

    static String text(AttributeList list, AttributeTag tag) {
        try {
            String value = Attribute.getSingleStringValueOrNull(list, tag);
            if (value == null) {
                return null;
            }
            // Control characters (a NUL above all, which PostgreSQL text refuses) are never meaningful here.
            value = value.replaceAll("\\p{Cntrl}", "").trim();
            return value.isEmpty() ? null : value;
        } catch (RuntimeException e) {
            return null; // a damaged optional attribute is dropped, not fatal
        }
    }

    /** A positive, finite decimal attribute, else null (absent, empty or damaged). */
    private static Double positive(AttributeList list, AttributeTag tag) {
        try {
            double value = Attribute.getSingleDoubleValueOrDefault(list, tag, Double.NaN);
            return Double.isFinite(value) && value > 0 ? value : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static List<Double> pixelSpacing(AttributeList list) {
        try {
            double[] values = Attribute.getDoubleValues(list, TagFromName.PixelSpacing);
            if (values == null || values.length != 2 || !(values[0] > 0) || !(values[1] > 0)) {
                return List.of();
            }
            return List.of(values[0], values[1]);
        } catch (RuntimeException e) {
            return List.of();
        }
    }
}
