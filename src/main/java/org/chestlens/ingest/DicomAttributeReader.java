package org.chestlens.ingest;

import java.util.List;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;

import org.chestlens.prediction.DicomAttributes;

/**
 * The descriptive attributes of a decoded data set, read leniently: a missing or damaged optional
 * attribute is null (or empty), never a reason to refuse the image; what is unusual for a chest
 * radiograph becomes a warning stored with it.
 */
final class DicomAttributeReader {

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

    /** What the input gate's header checks find (see {@link InputGate#dicomFindings}). */
    static List<InputGate.Finding> findings(AttributeList list, DicomAttributes metadata, DicomImageHeader header) {
        return InputGate.dicomFindings(metadata.modality(), metadata.bodyPartExamined(), metadata.viewPosition(),
                viewCodeMeaning(list), header.frames());
    }

    /** The View Code Sequence's first item, by Code Meaning (else Code Value); null when absent or damaged. */
    private static String viewCodeMeaning(AttributeList list) {
        try {
            if (list.get(TagFromName.ViewCodeSequence) instanceof SequenceAttribute sequence
                    && sequence.getNumberOfItems() > 0) {
                AttributeList item = sequence.getItem(0).getAttributeList();
                String meaning = text(item, TagFromName.CodeMeaning);
                return meaning != null ? meaning : text(item, TagFromName.CodeValue);
            }
            return null;
        } catch (RuntimeException e) {
            return null; // a damaged optional attribute is dropped, not fatal
        }
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
