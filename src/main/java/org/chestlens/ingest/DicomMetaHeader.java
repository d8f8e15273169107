package org.chestlens.ingest;

import static org.chestlens.ingest.DicomBytes.u16;
import static org.chestlens.ingest.DicomBytes.u32;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.pixelmed.dicom.ValueRepresentation;

/**
 * The start of a DICOM Part 10 file: the 128-byte preamble, "DICM", and the file meta information
 * (group 0002), which is always explicit VR little endian whatever the data set's transfer syntax.
 *
 * @param transferSyntaxUid how the data set after the group is encoded
 * @param dataSetStart the offset of the data set's first element
 */
record DicomMetaHeader(String transferSyntaxUid, int dataSetStart) {

    static final int PREAMBLE_LENGTH = 128;
    private static final int TRANSFER_SYNTAX_UID = 0x00020010;

    private record Element(int tag, int valueStart, int length) {
    }

    /** The group's elements in file order, up to any damage; {@code damage} is null when there is none. */
    private record Group(List<Element> elements, int end, UploadRejectedException damage) {
    }

    static boolean isPart10(byte[] bytes) {
        return bytes.length >= PREAMBLE_LENGTH + 4 && bytes[PREAMBLE_LENGTH] == 'D'
                && bytes[PREAMBLE_LENGTH + 1] == 'I' && bytes[PREAMBLE_LENGTH + 2] == 'C'
                && bytes[PREAMBLE_LENGTH + 3] == 'M';
    }

    /** The file meta information of a Part 10 file; rejects a damaged group or one without a transfer syntax. */
    static DicomMetaHeader read(byte[] b, String part) {
        Group group = group(b, part);
        if (group.damage() != null) {
            throw group.damage();
        }
        String uid = null;
        for (Element element : group.elements()) {
            if (element.tag() == TRANSFER_SYNTAX_UID) {
                uid = new String(b, element.valueStart(), element.length(), StandardCharsets.US_ASCII)
                        .replace("\0", "").trim();
            }
        }
        if (uid == null || uid.isEmpty()) {
            throw UploadRejected.corrupt(part, "the file meta information has no Transfer Syntax UID");
        }
        return new DicomMetaHeader(uid, group.end());
    }

    /**
     * A string element of the file meta information, or null when the file is not Part 10, the
     * element is absent, or the group is damaged before it. Lenient on purpose: it only names an
     * instance in answers (DICOMweb STOW-RS); {@link DicomPreCheck#check} still decides whether the
     * file is acceptable.
     */
    static String string(byte[] b, int wantedTag) {
        if (!isPart10(b)) {
            return null;
        }
        for (Element element : group(b, "#").elements()) {
            if (element.tag() == wantedTag) {
                String value = new String(b, element.valueStart(), element.length(), StandardCharsets.US_ASCII)
                        .replaceAll("\\p{Cntrl}", "").trim();
                return value.isEmpty() ? null : value;
            }
        }
        return null;
    }

    private static Group group(byte[] b, String part) {
        List<Element> elements = new ArrayList<>();
        int pos = PREAMBLE_LENGTH + 4;
        while (b.length - pos >= 8 && u16(b, pos, false) == 0x0002) {
            int tag = DicomBytes.tag(b, pos, false);
            if (b[pos + 4] < 'A' || b[pos + 4] > 'Z' || b[pos + 5] < 'A' || b[pos + 5] > 'Z') {
                return new Group(elements, pos,
                        UploadRejected.corrupt(part, "the file meta information is not explicit VR little endian"));
            }
            int header = 8;
            long length = u16(b, pos + 6, false);
            if (!ValueRepresentation.isShortValueLengthVR(new byte[] {b[pos + 4], b[pos + 5]})) {
                if (b.length - pos < 12) {
                    return new Group(elements, pos, DicomBytes.truncated(part, tag));
                }
                header = 12;
                length = u32(b, pos + 8, false);
            }
            if (length > b.length - pos - header) {
                return new Group(elements, pos, DicomBytes.beyondFile(part, tag, length));
            }
            elements.add(new Element(tag, pos + header, (int) length));
            pos += header + (int) length;
        }
        return new Group(elements, pos, null);
    }
}
