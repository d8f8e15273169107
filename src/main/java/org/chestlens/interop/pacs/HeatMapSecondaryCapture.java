package org.chestlens.interop.pacs;

import static org.chestlens.interop.pacs.DicomHeaders.put;

import java.util.List;
import java.util.Locale;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.CodedSequenceItem;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.TagFromName;

import org.chestlens.prediction.DicomAttributes;
import org.chestlens.prediction.HeatMapPictures;
import org.chestlens.prediction.PredictionView;


/**
 * The heat map of the most likely class as a DICOM Secondary Capture Image (PS3.3 A.8.1) for people
 * reading in a PACS viewer: the model's view enlarged twice, the map blended over it, the legend below,
 * and a banner above saying what it is, all burned into the pixels (Burned In Annotation YES), 8-bit
 * RGB. A new series of the source image's study, like the SR.
 */
final class HeatMapSecondaryCapture {

    static final String SOP_CLASS = SOPClass.SecondaryCaptureImageStorage;
    static final int SERIES_NUMBER = 9902;
    /** The model view is 224 x 224; at 2x the banner's 48 characters of the 8-pixel font fit the width. */
    static final int SCALE = 2;
    static final String BANNER = "AI output - not for diagnostic use - preliminary";

    private HeatMapSecondaryCapture() {
    }

    /** The caption lines burned in above the picture: the banner, then what the map shows. */
    static List<String> captions(PredictionView p) {
        return List.of(BANNER, "Heat map of most likely class " + p.predictedClass().code() + " p "
                + String.format(Locale.ROOT, "%.2f", p.confidence()));
    }

    static AttributeList build(PredictionView p, HeatMapPictures.Picture picture, DicomAttributes source,
                               String sourceSopClassUid, PatientModule patient, String sopInstanceUid,
                               String seriesUid) {
        try {
            AttributeList list = new AttributeList();
            DicomHeaders.patient(list, patient);
            DicomHeaders.study(list, source);
            DicomHeaders.equipment(list, p.model());
            DicomHeaders.instance(list, SOP_CLASS, sopInstanceUid, seriesUid, SERIES_NUMBER, p.createdAt());
            // General Series: "OT", the modality of a picture that no acquisition device made.
            put(list, TagFromName.Modality, "OT");
            // The source's body part; a chest model's input is a chest when the upload did not say. Laterality
            // (Type 2C) belongs only to paired body parts: absent for the chest, empty (unknown) for others.
            String bodyPart = source.bodyPartExamined() == null ? "CHEST" : DicomHeaders.truncate(
                    source.bodyPartExamined(), 16);
            put(list, TagFromName.BodyPartExamined, bodyPart);
            if (!bodyPart.equals("CHEST")) {
                put(list, TagFromName.Laterality);
            }
            put(list, TagFromName.SeriesDescription, "AI heat map (chestlens, not for diagnostic use)");
            // SC Equipment: a synthetic image, drawn by software.
            put(list, TagFromName.ConversionType, "SYN");
            // General Image
            put(list, TagFromName.PatientOrientation);
            put(list, TagFromName.ImageType, "DERIVED", "SECONDARY");
            put(list, TagFromName.BurnedInAnnotation, "YES");
            put(list, TagFromName.LossyImageCompression, "00");
            put(list, TagFromName.ImageComments, BANNER + ". Class activation map of " + picture.explains()
                    + " by model " + p.model().id() + " " + p.model().version() + ", not reviewed by a clinician.");
            put(list, TagFromName.DerivationDescription, "Model view of the source image (InnerEye pre-processing, "
                    + "224 x 224) enlarged " + SCALE + "x, class activation map of " + picture.explains()
                    + " blended in viridis, legend and banner burned in");
            sourceImage(list, source, sourceSopClassUid);
            put(list, TagFromName.DateOfSecondaryCapture, DicomHeaders.date(p.createdAt()));
            put(list, TagFromName.TimeOfSecondaryCapture, DicomHeaders.time(p.createdAt()));
            pixels(list, picture);
            return list;
        } catch (DicomException e) {
            throw new IllegalStateException("Cannot build the Secondary Capture of prediction " + p.id(), e);
        }
    }

    /** Image Pixel Module: 8-bit RGB, colour-by-pixel. */
    private static void pixels(AttributeList list, HeatMapPictures.Picture picture) throws DicomException {
        put(list, TagFromName.Rows, picture.height());
        put(list, TagFromName.Columns, picture.width());
        put(list, TagFromName.SamplesPerPixel, 3);
        put(list, TagFromName.PhotometricInterpretation, "RGB");
        put(list, TagFromName.PlanarConfiguration, 0);
        put(list, TagFromName.BitsAllocated, 8);
        put(list, TagFromName.BitsStored, 8);
        put(list, TagFromName.HighBit, 7);
        put(list, TagFromName.PixelRepresentation, 0);
        int[] rgb = picture.rgb();
        byte[] bytes = new byte[rgb.length * 3];
        for (int i = 0; i < rgb.length; i++) {
            bytes[3 * i] = (byte) (rgb[i] >> 16);
            bytes[3 * i + 1] = (byte) (rgb[i] >> 8);
            bytes[3 * i + 2] = (byte) rgb[i];
        }
        OtherByteAttribute pixelData = new OtherByteAttribute(TagFromName.PixelData);
        pixelData.setValues(bytes);
        list.put(pixelData);
    }

    /** Source Image Sequence: the scored image, the source of this derived picture (DCM 121322). */
    private static void sourceImage(AttributeList list, DicomAttributes source, String sourceSopClassUid)
            throws DicomException {
        AttributeList item = new AttributeList();
        put(item, TagFromName.ReferencedSOPClassUID, sourceSopClassUid);
        put(item, TagFromName.ReferencedSOPInstanceUID, source.sopInstanceUid());
        CodedSequenceItem.putSingleCodedSequenceItem(item, TagFromName.PurposeOfReferenceCodeSequence,
                "121322", "DCM", "Source image for image processing operation");
        DicomHeaders.sequence(list, TagFromName.SourceImageSequence).addItem(item);
    }
}
