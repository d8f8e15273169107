package org.chestlens.interop;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.ShortStringAttribute;
import com.pixelmed.dicom.UniqueIdentifierAttribute;
import org.chestlens.TestDicom;

/**
 * Real DICOM instances of one new study: the committed synthetic chest radiograph
 * (src/test/resources/dicom/explicit-le.dcm, 12-bit DX) rewritten by PixelMed with fresh Study,
 * Series and SOP Instance UIDs, so that every test run stores new images even against a database
 * that persists between runs.
 */
public final class StudyInstances {

    static final Path BASE = Path.of("src/test/resources/dicom/explicit-le.dcm");
    static final String DIGITAL_XRAY_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1";

    private StudyInstances() {
    }

    /** A UID under 2.25 (ITU-T X.667: a UUID as one decimal integer), unique per call. */
    public static String newUid() {
        UUID uuid = UUID.randomUUID();
        byte[] bytes = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits()).array();
        return "2.25." + new BigInteger(1, bytes);
    }

    /** The base radiograph as an instance of the given study with the given SOP Instance UID. */
    public static byte[] instance(String studyUid, String seriesUid, String sopInstanceUid) {
        return instance(studyUid, seriesUid, sopInstanceUid, null);
    }

    /** The same, with an Accession Number (none when null). */
    public static byte[] instance(String studyUid, String seriesUid, String sopInstanceUid, String accessionNumber) {
        try {
            AttributeList list = new AttributeList();
            list.read(BASE.toString());
            set(list, TagFromName.StudyInstanceUID, studyUid);
            set(list, TagFromName.SeriesInstanceUID, seriesUid);
            set(list, TagFromName.SOPInstanceUID, sopInstanceUid);
            if (accessionNumber != null) {
                ShortStringAttribute accession = new ShortStringAttribute(TagFromName.AccessionNumber);
                accession.addValue(accessionNumber);
                list.put(accession);
            }
            return TestDicom.part10(list);
        } catch (Exception e) {
            throw new IllegalStateException("cannot write a test instance from " + BASE, e);
        }
    }

    static byte[] fixture(String name) {
        try {
            return Files.readAllBytes(Path.of("src/test/resources/dicom", name));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A multipart/related; type="application/dicom" body, one part per file, as a STOW-RS client sends it. */
    public static byte[] multipartRelated(String boundary, byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            body.writeBytes(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            body.writeBytes(part);
            body.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return body.toByteArray();
    }

    public static String contentType(String boundary) {
        return "multipart/related; type=\"application/dicom\"; boundary=" + boundary;
    }

    private static void set(AttributeList list, com.pixelmed.dicom.AttributeTag tag, String value) throws Exception {
        UniqueIdentifierAttribute attribute = new UniqueIdentifierAttribute(tag);
        attribute.addValue(value);
        list.put(attribute);
    }
}
