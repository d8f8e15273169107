package org.chestlens.interop.pacs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;

import org.chestlens.prediction.DicomAttributes;
import org.chestlens.prediction.PredictionView;

/**
 * The modules the SR and the Secondary Capture share: Patient (as given, see {@link PatientModule}),
 * General Study (the source image's study, so the PACS files the object beside it), General Equipment
 * (this service, the model as its model name), SOP Common, and the Part 10 file. All times are the
 * prediction's, in UTC with the offset stated, so building the object twice gives the same bytes.
 */
final class DicomHeaders {

    static final String MANUFACTURER = "chestlens";
    /** Part 10 Source Application Entity Title: the AE title chestlens would send with. */
    static final String SOURCE_AE_TITLE = "CHESTLENS";
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HHmmss.SSSSSS").withZone(ZoneOffset.UTC);

    private DicomHeaders() {
    }

    /** Puts an attribute of the tag's dictionary VR with the given values; no value: present and empty (Type 2). */
    static void put(AttributeList list, AttributeTag tag, String... values) {
        try {
            Attribute attribute = AttributeFactory.newAttribute(tag);
            for (String value : values) {
                if (value != null) {
                    attribute.addValue(value);
                }
            }
            list.put(attribute);
        } catch (DicomException e) {
            throw new IllegalStateException("Cannot set " + tag, e);
        }
    }

    static void put(AttributeList list, AttributeTag tag, int value) {
        put(list, tag, Integer.toString(value));
    }

    static SequenceAttribute sequence(AttributeList list, AttributeTag tag) {
        SequenceAttribute sequence = new SequenceAttribute(tag);
        list.put(sequence);
        return sequence;
    }

    static String date(Instant instant) {
        return DATE.format(instant);
    }

    static String time(Instant instant) {
        return TIME.format(instant);
    }

    /** Patient Module: Type 2 attributes, present even when empty. */
    static void patient(AttributeList list, PatientModule patient) {
        put(list, TagFromName.PatientName, blankToNull(patient.name()));
        put(list, TagFromName.PatientID, blankToNull(patient.id()));
        put(list, TagFromName.PatientBirthDate, blankToNull(patient.birthDate()));
        put(list, TagFromName.PatientSex, blankToNull(patient.sex()));
    }

    /**
     * General Study Module of the source image's study: its Study Instance UID, Study Date and Accession
     * Number as stored; Study Time, Study ID and Referring Physician's Name are not kept, so empty (Type 2).
     */
    static void study(AttributeList list, DicomAttributes source) {
        put(list, TagFromName.StudyInstanceUID, source.studyInstanceUid());
        put(list, TagFromName.StudyDate, validDate(source.studyDate()));
        put(list, TagFromName.StudyTime);
        put(list, TagFromName.ReferringPhysicianName);
        put(list, TagFromName.StudyID);
        put(list, TagFromName.AccessionNumber, truncate(source.accessionNumber(), 16));
    }

    /** General (and Enhanced General) Equipment: this service, with the model as model name and version. */
    static void equipment(AttributeList list, PredictionView.ModelRef model) {
        put(list, TagFromName.Manufacturer, MANUFACTURER);
        put(list, TagFromName.ManufacturerModelName, truncate(model.id(), 64));
        put(list, TagFromName.DeviceSerialNumber, truncate(model.version(), 64));
        put(list, TagFromName.SoftwareVersions, truncate(model.id() + " " + model.version(), 64));
    }

    /** SOP Common, and the series and instance identity; content and creation time are the prediction's. */
    static void instance(AttributeList list, String sopClassUid, String sopInstanceUid, String seriesUid,
                         int seriesNumber, Instant created) {
        put(list, TagFromName.SOPClassUID, sopClassUid);
        put(list, TagFromName.SOPInstanceUID, sopInstanceUid);
        put(list, TagFromName.SeriesInstanceUID, seriesUid);
        put(list, TagFromName.SeriesNumber, seriesNumber);
        put(list, TagFromName.InstanceNumber, 1);
        put(list, TagFromName.SeriesDate, date(created));
        put(list, TagFromName.SeriesTime, time(created));
        put(list, TagFromName.ContentDate, date(created));
        put(list, TagFromName.ContentTime, time(created));
        put(list, TagFromName.InstanceCreationDate, date(created));
        put(list, TagFromName.InstanceCreationTime, time(created));
        // Every date and time here is UTC; saying so lets a viewer show them in local time.
        put(list, TagFromName.TimezoneOffsetFromUTC, "+0000");
    }

    /** A Part 10 file, explicit VR little endian. */
    static byte[] part10(AttributeList list) {
        try {
            FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, SOURCE_AE_TITLE);
            ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
            list.write(out, TransferSyntax.ExplicitVRLittleEndian, true, true);
            return out.toByteArray();
        } catch (DicomException e) {
            throw new IllegalStateException("Cannot write a DICOM file", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A stored Study Date only when it is a DICOM date (DA, 8 digits); anything else would make the file invalid. */
    static String validDate(String value) {
        return value != null && value.strip().matches("\\d{8}") ? value.strip() : null;
    }

    static String truncate(String value, int max) {
        return value == null || value.length() <= max ? value : value.substring(0, max);
    }

    private static String blankToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }
}
