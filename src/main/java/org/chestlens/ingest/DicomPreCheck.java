package org.chestlens.ingest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomDictionary;
import com.pixelmed.dicom.ValueRepresentation;

/**
 * Walks a DICOM Part 10 file before PixelMed sees it. PixelMed allocates whatever a length field
 * declares (a 10 MB file declaring 2 GB of pixel data ends in OutOfMemoryError), inflates deflated
 * data sets without a limit, hides some read errors (a truncated file becomes an attribute list
 * without Pixel Data) and hands JPEG and JPEG 2000 frames to ImageIO decoders that allocate what
 * the codestream header declares. So every length is checked against the bytes that are really
 * there, inflation stops at a cap, and the image size is checked against {@code maxPixels} both in
 * the DICOM header and in the first frame's codestream header.
 *
 * <p>The walk follows PixelMed's own reading rules (its dictionary for implicit VR, its recovery
 * from implicit-VR elements inside explicit VR data sets, UN with undefined length read as an
 * implicit VR sequence), so the elements checked here are the elements PixelMed will read. Where
 * PixelMed would read past a declared boundary, this walk rejects the file instead.
 */
final class DicomPreCheck {

    static final int PREAMBLE_LENGTH = 128;
    private static final long UNDEFINED_LENGTH = 0xFFFFFFFFL;
    /** Deeper nesting than any real radiograph has, and shallow enough for PixelMed's recursion. */
    static final int MAX_SEQUENCE_DEPTH = 16;
    /**
     * PixelMed keeps one object per element; a file of millions of 8-byte elements would cost
     * gigabytes of heap. Real radiographs have hundreds to a few thousand.
     */
    static final int MAX_ELEMENTS = 200_000;
    /** A deflated data set may inflate to one full frame at the pixel limit plus this much header. */
    static final long INFLATION_HEADROOM = 16L << 20;
    /** How much of the first frame is searched for the JPEG or JPEG 2000 header. */
    private static final int CODESTREAM_HEADER_WINDOW = 64 << 10;

    private static final int PIXEL_DATA = 0x7FE00010;
    private static final int ITEM = 0xFFFEE000;
    private static final int ITEM_DELIMITER = 0xFFFEE00D;
    private static final int SEQUENCE_DELIMITER = 0xFFFEE0DD;
    private static final int TRANSFER_SYNTAX_UID = 0x00020010;
    private static final byte[] UN = {'U', 'N'};
    private static final byte[] LO = {'L', 'O'};

    private DicomPreCheck() {
    }

    /** What the walk found: where PixelMed should read from, and the checked image header. */
    record Layout(DicomTransferSyntax syntax, byte[] dataSet, int dataSetOffset, int dataSetLength,
                  ImageHeader header) {
    }

    /**
     * The top-level image pixel attributes, checked for consistency with each other and with the
     * pixel data; {@code codestream} is the first frame's JPEG or JPEG 2000 header, else null.
     */
    record ImageHeader(int rows, int columns, int frames, int samplesPerPixel, int bitsAllocated, int bitsStored,
                       int highBit, boolean signed, String photometricInterpretation, int fragments,
                       DicomCodestream codestream) {
    }

    static boolean isPart10(byte[] bytes) {
        return bytes.length >= PREAMBLE_LENGTH + 4 && bytes[PREAMBLE_LENGTH] == 'D'
                && bytes[PREAMBLE_LENGTH + 1] == 'I' && bytes[PREAMBLE_LENGTH + 2] == 'C'
                && bytes[PREAMBLE_LENGTH + 3] == 'M';
    }

    static Layout check(byte[] bytes, String part, long maxPixels) {
        if (!isPart10(bytes)) {
            throw UploadRejected.notDicomPart10(part);
        }
        int[] dataSetStart = new int[1];
        String uid = readMetaHeader(bytes, part, dataSetStart);
        DicomTransferSyntax syntax = DicomTransferSyntax.of(uid)
                .orElseThrow(() -> UploadRejected.unsupportedTransferSyntax(part, uid, null));
        if (!syntax.decodable()) {
            throw UploadRejected.unsupportedTransferSyntax(part, uid, syntax.title());
        }
        byte[] dataSet = bytes;
        int offset = dataSetStart[0];
        int length = bytes.length - offset;
        if (syntax.encoding() == DicomTransferSyntax.Encoding.DEFLATED) {
            dataSet = inflate(bytes, offset, part, inflationCap(maxPixels));
            offset = 0;
            length = dataSet.length;
        }
        Walker walker = new Walker(dataSet, part, syntax.encoding().encapsulated());
        walker.dataSet(offset, offset + length, syntax.encoding().explicitVr(), syntax.encoding().bigEndian(), 0,
                true);
        ImageHeader header = walker.imageHeader(syntax, maxPixels);
        return new Layout(syntax, dataSet, offset, length, header);
    }

    /** One 16-bit frame at the pixel limit plus header room, and never more than a Java array holds. */
    static long inflationCap(long maxPixels) {
        long cap = maxPixels > (Integer.MAX_VALUE - INFLATION_HEADROOM) / 2 ? Integer.MAX_VALUE
                : 2 * maxPixels + INFLATION_HEADROOM;
        return Math.min(cap, Integer.MAX_VALUE - 8L);
    }

    /**
     * A string element of the file meta information (group 0002), or null when the file is not Part 10,
     * the element is absent, or the group is damaged. Lenient on purpose: it only names an instance
     * in answers (DICOMweb STOW-RS); {@link #check} still decides whether the file is acceptable.
     */
    static String metaString(byte[] b, int wantedTag) {
        if (!isPart10(b)) {
            return null;
        }
        int pos = PREAMBLE_LENGTH + 4;
        while (b.length - pos >= 8 && u16(b, pos, false) == 0x0002) {
            int tag = tag(b, pos, false);
            if (b[pos + 4] < 'A' || b[pos + 4] > 'Z' || b[pos + 5] < 'A' || b[pos + 5] > 'Z') {
                return null;
            }
            int header = 8;
            long length = u16(b, pos + 6, false);
            if (!ValueRepresentation.isShortValueLengthVR(new byte[] {b[pos + 4], b[pos + 5]})) {
                if (b.length - pos < 12) {
                    return null;
                }
                header = 12;
                length = u32(b, pos + 8, false);
            }
            if (length > b.length - pos - header) {
                return null;
            }
            if (tag == wantedTag) {
                String value = new String(b, pos + header, (int) length, StandardCharsets.US_ASCII)
                        .replaceAll("\\p{Cntrl}", "").trim();
                return value.isEmpty() ? null : value;
            }
            pos += header + (int) length;
        }
        return null;
    }

    /** The group 0002 elements, always explicit VR little endian; returns the transfer syntax UID. */
    private static String readMetaHeader(byte[] b, String part, int[] dataSetStart) {
        int pos = PREAMBLE_LENGTH + 4;
        String uid = null;
        while (b.length - pos >= 8 && u16(b, pos, false) == 0x0002) {
            int tag = tag(b, pos, false);
            if (b[pos + 4] < 'A' || b[pos + 4] > 'Z' || b[pos + 5] < 'A' || b[pos + 5] > 'Z') {
                throw UploadRejected.corrupt(part, "the file meta information is not explicit VR little endian");
            }
            byte[] vr = {b[pos + 4], b[pos + 5]};
            int header = 8;
            long length = u16(b, pos + 6, false);
            if (!ValueRepresentation.isShortValueLengthVR(vr)) {
                if (b.length - pos < 12) {
                    throw truncated(part, tag);
                }
                header = 12;
                length = u32(b, pos + 8, false);
            }
            if (length > b.length - pos - header) {
                throw beyondFile(part, tag, length);
            }
            if (tag == TRANSFER_SYNTAX_UID) {
                uid = new String(b, pos + header, (int) length, StandardCharsets.US_ASCII)
                        .replace("\0", "").trim();
            }
            pos += header + (int) length;
        }
        if (uid == null || uid.isEmpty()) {
            throw UploadRejected.corrupt(part, "the file meta information has no Transfer Syntax UID");
        }
        dataSetStart[0] = pos;
        return uid;
    }

    /** Raw deflate (PS3.5 A.5), stopped as soon as the output passes {@code cap}. */
    static byte[] inflate(byte[] b, int offset, String part, long cap) {
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(b, offset, b.length - offset);
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(b.length * 4, 1 << 20));
            byte[] chunk = new byte[64 << 10];
            while (!inflater.finished()) {
                int n = inflater.inflate(chunk);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw UploadRejected.corrupt(part, "the deflated data set ends early (truncated file)");
                }
                if ((long) out.size() + n > cap) {
                    throw UploadRejected.corrupt(part, "the deflated data set inflates to more than " + cap
                            + " bytes");
                }
                out.write(chunk, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw UploadRejected.corrupt(part, "the deflated data set is damaged");
        } finally {
            inflater.end();
        }
    }

    /** One pass over a data set, recursing into sequences; top-level pixel attributes are kept. */
    private static final class Walker {

        private static final DicomDictionary DICTIONARY = AttributeList.getDictionary();

        private final byte[] b;
        private final String part;
        private final boolean encapsulatedSyntax;
        private int elements;
        /** Whether the last {@link #dataSet} call ended at an item delimiter. */
        private boolean delimited;

        private Integer rows;
        private Integer columns;
        private Integer bitsAllocated;
        private Integer bitsStored;
        private Integer highBit;
        private Integer pixelRepresentation;
        private Integer samplesPerPixel;
        private String numberOfFrames;
        private String photometric;
        private long pixelDataLength = -1;
        private boolean encapsulated;
        private int fragments;
        private int firstFragmentOffset = -1;
        private int fragmentBytesAfterFirst;

        Walker(byte[] b, String part, boolean encapsulatedSyntax) {
            this.b = b;
            this.part = part;
            this.encapsulatedSyntax = encapsulatedSyntax;
        }

        /**
         * Reads elements from {@code pos} up to {@code stop}; returns where the data set ended (after
         * an item delimiter, for an item of undefined length).
         */
        int dataSet(int pos, int stop, boolean explicit, boolean big, int depth, boolean topLevel) {
            delimited = false;
            while (pos < stop) {
                if (topLevel && stop - pos < 8) {
                    return stop; // PixelMed stops at a partial tag at the very end, as if the file ended
                }
                need(pos, 8, stop, 0);
                if (++elements > MAX_ELEMENTS) {
                    throw UploadRejected.corrupt(part, "the data set has more than " + MAX_ELEMENTS + " elements");
                }
                int tag = tag(b, pos, big);
                if (tag == ITEM_DELIMITER) {
                    delimited = true;
                    return pos + 8;
                }
                if (tag == ITEM || tag == SEQUENCE_DELIMITER) {
                    pos += 8; // stray item headers: PixelMed skips the 8 bytes and reads on
                    continue;
                }
                pos = element(pos, stop, tag, explicit, big, depth, topLevel);
                delimited = false;
            }
            return pos;
        }

        private int element(int pos, int stop, int tag, boolean explicit, boolean big, int depth, boolean topLevel) {
            AttributeTag attributeTag = new AttributeTag(tag >>> 16, tag & 0xFFFF);
            byte[] vr;
            long length;
            int header;
            if (explicit) {
                byte v0 = b[pos + 4];
                byte v1 = b[pos + 5];
                if ((v0 == '-' && v1 == '-') || (v0 == 0 && v1 == 0)) {
                    vr = UN;
                    long[] form = longForm(pos, stop, big, tag);
                    length = form[0];
                    header = (int) form[1];
                } else if (v0 < 'A' || v1 < 'A') {
                    // an implicit VR element inside an explicit VR data set: PixelMed re-reads it so
                    vr = UN;
                    length = u32(b, pos + 4, big);
                    header = 8;
                } else {
                    vr = new byte[] {v0, v1};
                    if (ValueRepresentation.isShortValueLengthVR(vr)) {
                        length = u16(b, pos + 6, big);
                        header = 8;
                    } else {
                        long[] form = longForm(pos, stop, big, tag);
                        length = form[0];
                        header = (int) form[1];
                    }
                }
                if (ValueRepresentation.isUnknownVR(vr)) {
                    byte[] known = DICTIONARY.getValueRepresentationFromTag(attributeTag);
                    if (known != null && known.length >= 2 && !ValueRepresentation.isSequenceVR(known)) {
                        vr = known;
                    }
                }
            } else {
                byte[] known = DICTIONARY.getValueRepresentationFromTag(attributeTag);
                vr = known == null ? UN : known;
                length = u32(b, pos + 4, big);
                header = 8;
            }
            if (attributeTag.isPrivateCreator()) {
                vr = LO;
            }
            int valueStart = pos + header;
            boolean unknown = ValueRepresentation.isUnknownVR(vr);
            if (ValueRepresentation.isSequenceVR(vr) || (unknown && length == UNDEFINED_LENGTH)) {
                boolean implicitInside = unknown || !explicit;
                if (unknown && big) {
                    throw UploadRejected.corrupt(part, "a UN sequence in a big endian data set " + hex(tag));
                }
                return sequence(valueStart, length, stop, implicitInside ? false : explicit,
                        implicitInside ? false : big, depth + 1, tag);
            }
            if (length == UNDEFINED_LENGTH) {
                if (tag == PIXEL_DATA && encapsulatedSyntax) {
                    return encapsulatedPixelData(valueStart, stop, topLevel);
                }
                throw UploadRejected.corrupt(part, "element " + hex(tag) + " has an undefined length but is not "
                        + "a sequence");
            }
            if (length > stop - valueStart) {
                throw beyondFile(part, tag, length);
            }
            int valueEnd = valueStart + (int) length;
            if (unknown && (tag >>> 16) % 2 == 1 && length >= 8 && tag(b, valueStart, false) == ITEM) {
                // PixelMed reads some private UN elements as implicit VR sequences; check what it would read
                sequence(valueStart, length, valueEnd, false, false, depth + 1, tag);
            }
            if (topLevel) {
                keep(tag, vr, valueStart, (int) length, big);
            }
            return valueEnd;
        }

        /** A long-form VR: two reserved bytes, then a 32-bit length (PixelMed's fallbacks included). */
        private long[] longForm(int pos, int stop, boolean big, int tag) {
            int reserved = u16(b, pos + 6, big);
            if (reserved == 0 || reserved == 0x3030) {
                need(pos, 12, stop, tag);
                return new long[] {u32(b, pos + 8, big), 12};
            }
            return new long[] {reserved, 8};
        }

        private int sequence(int pos, long length, int stop, boolean explicit, boolean big, int depth, int tag) {
            if (depth > MAX_SEQUENCE_DEPTH) {
                throw UploadRejected.corrupt(part, "sequences are nested deeper than " + MAX_SEQUENCE_DEPTH);
            }
            boolean undefined = length == UNDEFINED_LENGTH;
            if (!undefined && length > stop - pos) {
                throw beyondFile(part, tag, length);
            }
            int sequenceEnd = undefined ? stop : pos + (int) length;
            while (pos < sequenceEnd) {
                need(pos, 8, sequenceEnd, tag);
                int itemTag = tag(b, pos, big);
                long itemLength = u32(b, pos + 4, big);
                pos += 8;
                if (itemTag == SEQUENCE_DELIMITER) {
                    if (!undefined) {
                        throw UploadRejected.corrupt(part, "a sequence delimiter ends the defined-length sequence "
                                + hex(tag));
                    }
                    return pos;
                }
                if (itemTag != ITEM) {
                    throw UploadRejected.corrupt(part, "sequence " + hex(tag) + " holds " + hex(itemTag)
                            + " where an item should be");
                }
                if (++elements > MAX_ELEMENTS) {
                    throw UploadRejected.corrupt(part, "the data set has more than " + MAX_ELEMENTS + " elements");
                }
                if (itemLength == UNDEFINED_LENGTH) {
                    int after = dataSet(pos, sequenceEnd, explicit, big, depth, false);
                    if (!delimited) {
                        throw UploadRejected.corrupt(part, "an item of sequence " + hex(tag)
                                + " has no item delimiter (truncated file)");
                    }
                    pos = after;
                } else {
                    if (itemLength > sequenceEnd - pos) {
                        throw beyondFile(part, tag, itemLength);
                    }
                    int itemEnd = pos + (int) itemLength;
                    int after = dataSet(pos, itemEnd, explicit, big, depth, false);
                    if (after != itemEnd) {
                        throw UploadRejected.corrupt(part, "an item of sequence " + hex(tag)
                                + " ends before its declared length");
                    }
                    pos = itemEnd;
                }
            }
            if (undefined) {
                throw UploadRejected.corrupt(part, "sequence " + hex(tag) + " has no sequence delimiter "
                        + "(truncated file)");
            }
            return pos;
        }

        /** Fragments of encapsulated pixel data: the offset table, then items, then the delimiter. */
        private int encapsulatedPixelData(int pos, int stop, boolean topLevel) {
            int count = 0;
            int firstOffset = -1;
            int window = 0;
            while (true) {
                need(pos, 8, stop, PIXEL_DATA);
                int itemTag = tag(b, pos, false);
                long length = u32(b, pos + 4, false);
                pos += 8;
                if (itemTag == SEQUENCE_DELIMITER) {
                    break;
                }
                if (itemTag != ITEM || length == UNDEFINED_LENGTH) {
                    throw UploadRejected.corrupt(part, "the encapsulated pixel data holds " + hex(itemTag)
                            + " where a fragment should be");
                }
                if (length > stop - pos) {
                    throw UploadRejected.corrupt(part, "a pixel data fragment declares " + length
                            + " bytes but the file ends sooner (truncated file)");
                }
                if (++elements > MAX_ELEMENTS) {
                    throw UploadRejected.corrupt(part, "the data set has more than " + MAX_ELEMENTS + " elements");
                }
                if (count == 1) {
                    firstOffset = pos;
                }
                if (count >= 1) {
                    window += (int) Math.min(length, CODESTREAM_HEADER_WINDOW);
                }
                count++;
                pos += (int) length;
            }
            if (topLevel) {
                encapsulated = true;
                pixelDataLength = -1;
                fragments = Math.max(0, count - 1);
                firstFragmentOffset = firstOffset;
                fragmentBytesAfterFirst = window;
            }
            return pos;
        }

        private void keep(int tag, byte[] vr, int at, int length, boolean big) {
            switch (tag) {
                case 0x00280010 -> rows = us(tag, vr, at, length, big);
                case 0x00280011 -> columns = us(tag, vr, at, length, big);
                case 0x00280100 -> bitsAllocated = us(tag, vr, at, length, big);
                case 0x00280101 -> bitsStored = us(tag, vr, at, length, big);
                case 0x00280102 -> highBit = us(tag, vr, at, length, big);
                case 0x00280103 -> pixelRepresentation = us(tag, vr, at, length, big);
                case 0x00280002 -> samplesPerPixel = us(tag, vr, at, length, big);
                case 0x00280008 -> numberOfFrames = text(at, length);
                case 0x00280004 -> photometric = text(at, length);
                case PIXEL_DATA -> {
                    encapsulated = false;
                    pixelDataLength = length;
                }
                default -> {
                }
            }
        }

        /** A single US value, which is what PixelMed will read for these attributes. */
        private Integer us(int tag, byte[] vr, int at, int length, boolean big) {
            if (length != 2 || !(vr[0] == 'U' && vr[1] == 'S')) {
                throw UploadRejected.corrupt(part, "attribute " + hex(tag) + " is not a single unsigned short");
            }
            return u16(b, at, big);
        }

        private String text(int at, int length) {
            return new String(b, at, length, StandardCharsets.ISO_8859_1).replace("\0", "").trim();
        }

        ImageHeader imageHeader(DicomTransferSyntax syntax, long maxPixels) {
            if (pixelDataLength < 0 && !encapsulated) {
                throw UploadRejected.corrupt(part, "the data set has no Pixel Data");
            }
            if (encapsulated != syntax.encoding().encapsulated()) {
                throw UploadRejected.corrupt(part, "the Pixel Data is " + (encapsulated ? "" : "not ")
                        + "encapsulated, which " + syntax.title() + " does not allow");
            }
            if (rows == null || columns == null || rows == 0 || columns == 0) {
                throw UploadRejected.corrupt(part, "Rows or Columns is missing or zero");
            }
            int samples = samplesPerPixel == null ? 1 : samplesPerPixel;
            String pi = photometric == null ? "" : photometric;
            if (samples != 1 || !(pi.equals("MONOCHROME1") || pi.equals("MONOCHROME2"))) {
                if (pi.isEmpty() && samples == 1) {
                    throw UploadRejected.corrupt(part, "the data set has no Photometric Interpretation");
                }
                throw UploadRejected.notGreyscale(part, pi.isEmpty() ? "(none)" : pi, samples);
            }
            if ((long) rows * columns > maxPixels) {
                throw UploadRejected.tooManyPixels(part, columns, rows, maxPixels);
            }
            if (bitsAllocated == null || (bitsAllocated != 8 && bitsAllocated != 16)) {
                throw UploadRejected.unsupportedPixelData(part, "Bits Allocated is " + bitsAllocated
                        + "; only 8 and 16 are supported");
            }
            if (bitsStored == null || bitsStored < 1 || bitsStored > bitsAllocated) {
                throw UploadRejected.corrupt(part, "Bits Stored is " + bitsStored + " with Bits Allocated "
                        + bitsAllocated);
            }
            int high = highBit == null ? bitsStored - 1 : highBit;
            if (high < bitsStored - 1 || high >= bitsAllocated) {
                throw UploadRejected.corrupt(part, "High Bit " + high + " does not fit Bits Stored " + bitsStored);
            }
            int representation = pixelRepresentation == null ? 0 : pixelRepresentation;
            if (representation > 1) {
                throw UploadRejected.corrupt(part, "Pixel Representation is " + representation);
            }
            int frames = frames();
            DicomCodestream codestream = null;
            if (encapsulated) {
                if (fragments < 1) {
                    throw UploadRejected.corrupt(part, "the encapsulated pixel data has no fragments");
                }
                if (frames > fragments) {
                    throw UploadRejected.corrupt(part, "the data set declares " + frames + " frames but its pixel "
                            + "data has only " + fragments + " fragments");
                }
                codestream = checkCodestream(syntax, bitsAllocated);
            } else {
                long needed;
                try {
                    needed = Math.multiplyExact(Math.multiplyExact((long) frames, (long) rows * columns),
                            bitsAllocated / 8L);
                } catch (ArithmeticException e) {
                    needed = Long.MAX_VALUE;
                }
                if (needed > pixelDataLength) {
                    throw UploadRejected.corrupt(part, "the Pixel Data holds " + pixelDataLength + " bytes but "
                            + frames + " frame(s) of " + columns + " x " + rows + " at " + bitsAllocated
                            + " bits need " + needed);
                }
            }
            return new ImageHeader(rows, columns, frames, samples, bitsAllocated, bitsStored, high,
                    representation == 1, pi, fragments, codestream);
        }

        private int frames() {
            if (numberOfFrames == null || numberOfFrames.isEmpty()) {
                return 1;
            }
            try {
                int frames = Integer.parseInt(numberOfFrames);
                if (frames >= 1) {
                    return frames;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw UploadRejected.corrupt(part, "Number of Frames is not a positive integer");
        }

        /** The first frame's own header must describe the image that the DICOM header declares. */
        private DicomCodestream checkCodestream(DicomTransferSyntax syntax, int bitsAllocated) {
            DicomCodestream codestream = DicomCodestream.read(syntax, firstFrameHead(), part);
            if (codestream == null) {
                return null;
            }
            if (codestream.width() != columns || codestream.height() != rows) {
                throw UploadRejected.corrupt(part, "the first frame is " + codestream.width() + " x "
                        + codestream.height() + " but the header declares " + columns + " x " + rows);
            }
            if (codestream.components() != 1) {
                throw UploadRejected.corrupt(part, "the first frame has " + codestream.components()
                        + " components but the image is greyscale");
            }
            codestream.checkJpegProcess(syntax, part);
            if (codestream.precision() > bitsAllocated) {
                throw UploadRejected.corrupt(part, "the first frame has " + codestream.precision()
                        + "-bit samples but Bits Allocated is " + bitsAllocated);
            }
            return codestream;
        }

        /** The first bytes of the first frame, joined across fragments. */
        private byte[] firstFrameHead() {
            byte[] head = new byte[Math.min(fragmentBytesAfterFirst, CODESTREAM_HEADER_WINDOW)];
            int filled = 0;
            int pos = firstFragmentOffset - 8;
            while (filled < head.length) {
                int length = (int) u32(b, pos + 4, false);
                int take = Math.min(length, head.length - filled);
                System.arraycopy(b, pos + 8, head, filled, take);
                filled += take;
                pos += 8 + length;
            }
            return head;
        }

        private void need(int pos, int count, int stop, int tag) {
            if (stop - pos < count) {
                throw truncated(part, tag);
            }
        }
    }

    private static UploadRejectedException truncated(String part, int tag) {
        return UploadRejected.corrupt(part, "the data set ends inside "
                + (tag == 0 ? "an element header" : "element " + hex(tag)) + " (truncated file)");
    }

    private static UploadRejectedException beyondFile(String part, int tag, long length) {
        return UploadRejected.corrupt(part, "element " + hex(tag) + " declares " + length
                + " bytes but the file ends sooner (truncated file or damaged length)");
    }

    static String hex(int tag) {
        return String.format("(%04X,%04X)", tag >>> 16, tag & 0xFFFF);
    }

    private static int tag(byte[] b, int pos, boolean big) {
        return (u16(b, pos, big) << 16) | u16(b, pos + 2, big);
    }

    static int u16(byte[] b, int pos, boolean big) {
        int b0 = b[pos] & 0xFF;
        int b1 = b[pos + 1] & 0xFF;
        return big ? (b0 << 8) | b1 : (b1 << 8) | b0;
    }

    static long u32(byte[] b, int pos, boolean big) {
        long lo = u16(b, pos, big);
        long hi = u16(b, pos + 2, big);
        return big ? (lo << 16) | hi : (hi << 16) | lo;
    }
}
