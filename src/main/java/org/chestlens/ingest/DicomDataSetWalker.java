package org.chestlens.ingest;

import static org.chestlens.ingest.DicomBytes.beyondFile;
import static org.chestlens.ingest.DicomBytes.hex;
import static org.chestlens.ingest.DicomBytes.tag;
import static org.chestlens.ingest.DicomBytes.u16;
import static org.chestlens.ingest.DicomBytes.u32;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomDictionary;
import com.pixelmed.dicom.ValueRepresentation;

/**
 * One pass over a data set, recursing into sequences, that checks every length against the bytes
 * really there and keeps the top-level image pixel attributes. It follows PixelMed's own reading
 * rules (its dictionary for implicit VR, its recovery from implicit-VR elements inside explicit VR
 * data sets, UN with undefined length read as an implicit VR sequence), so the elements checked
 * here are the elements PixelMed will read; where PixelMed would read past a declared boundary, the
 * walk rejects the file instead.
 */
final class DicomDataSetWalker {

    private static final long UNDEFINED_LENGTH = 0xFFFFFFFFL;
    /** Deeper nesting than any real radiograph has, and shallow enough for PixelMed's recursion. */
    static final int MAX_SEQUENCE_DEPTH = 16;
    /**
     * PixelMed keeps one object per element; a file of millions of 8-byte elements would cost
     * gigabytes of heap. Real radiographs have hundreds to a few thousand.
     */
    static final int MAX_ELEMENTS = 200_000;
    /** How much of the first frame is kept for reading its JPEG or JPEG 2000 header. */
    private static final int CODESTREAM_HEADER_WINDOW = 64 << 10;

    private static final int PIXEL_DATA = 0x7FE00010;
    private static final int ITEM = 0xFFFEE000;
    private static final int ITEM_DELIMITER = 0xFFFEE00D;
    private static final int SEQUENCE_DELIMITER = 0xFFFEE0DD;
    private static final byte[] UN = {'U', 'N'};
    private static final byte[] LO = {'L', 'O'};
    private static final DicomDictionary DICTIONARY = AttributeList.getDictionary();

    /** Where a data set ended, and whether it ended at an item delimiter. */
    private record End(int pos, boolean delimited) {
    }

    /** A value length and the size of the element header in front of the value. */
    private record Length(long value, int header) {
    }

    private final byte[] b;
    private final String part;
    private final boolean encapsulatedSyntax;
    private int elements;

    private final DicomPixelAttributes.Collector found;

    private DicomDataSetWalker(byte[] b, String part, boolean encapsulatedSyntax) {
        this.b = b;
        this.part = part;
        this.encapsulatedSyntax = encapsulatedSyntax;
        this.found = new DicomPixelAttributes.Collector(b, part);
    }

    /** Walks {@code length} bytes from {@code offset}, encoded as {@code encoding} says. */
    static DicomPixelAttributes walk(byte[] b, int offset, int length, DicomTransferSyntax.Encoding encoding,
                                String part) {
        DicomDataSetWalker walker = new DicomDataSetWalker(b, part, encoding.encapsulated());
        walker.dataSet(offset, offset + length, encoding.explicitVr(), encoding.bigEndian(), 0, true);
        return walker.found.attributes();
    }

    /** Reads elements from {@code pos} up to {@code stop}; an item of undefined length ends at its delimiter. */
    private End dataSet(int pos, int stop, boolean explicit, boolean big, int depth, boolean topLevel) {
        while (pos < stop) {
            if (topLevel && stop - pos < 8) {
                return new End(stop, false); // PixelMed stops at a partial tag at the very end, as if the file ended
            }
            need(pos, 8, stop, 0);
            countElement();
            int tag = tag(b, pos, big);
            if (tag == ITEM_DELIMITER) {
                return new End(pos + 8, true);
            }
            if (tag == ITEM || tag == SEQUENCE_DELIMITER) {
                pos += 8; // stray item headers: PixelMed skips the 8 bytes and reads on
                continue;
            }
            pos = element(pos, stop, tag, explicit, big, depth, topLevel);
        }
        return new End(pos, false);
    }

    private int element(int pos, int stop, int tag, boolean explicit, boolean big, int depth, boolean topLevel) {
        AttributeTag attributeTag = new AttributeTag(tag >>> 16, tag & 0xFFFF);
        byte[] vr;
        Length length;
        if (explicit) {
            byte v0 = b[pos + 4];
            byte v1 = b[pos + 5];
            if ((v0 == '-' && v1 == '-') || (v0 == 0 && v1 == 0)) {
                vr = UN;
                length = longForm(pos, stop, big, tag);
            } else if (v0 < 'A' || v1 < 'A') {
                // an implicit VR element inside an explicit VR data set: PixelMed re-reads it so
                vr = UN;
                length = new Length(u32(b, pos + 4, big), 8);
            } else {
                vr = new byte[] {v0, v1};
                length = ValueRepresentation.isShortValueLengthVR(vr) ? new Length(u16(b, pos + 6, big), 8)
                        : longForm(pos, stop, big, tag);
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
            length = new Length(u32(b, pos + 4, big), 8);
        }
        if (attributeTag.isPrivateCreator()) {
            vr = LO;
        }
        return value(pos + length.header(), length.value(), stop, tag, vr, explicit, big, depth, topLevel);
    }

    /** The value of an element whose header ends at {@code valueStart}; returns where the element ends. */
    private int value(int valueStart, long length, int stop, int tag, byte[] vr, boolean explicit, boolean big,
                      int depth, boolean topLevel) {
        boolean unknown = ValueRepresentation.isUnknownVR(vr);
        if (ValueRepresentation.isSequenceVR(vr) || (unknown && length == UNDEFINED_LENGTH)) {
            boolean implicitInside = unknown || !explicit;
            if (unknown && big) {
                throw UploadRejected.corrupt(part, "a UN sequence in a big endian data set " + hex(tag));
            }
            return sequence(valueStart, length, stop, !implicitInside && explicit, !implicitInside && big,
                    depth + 1, tag);
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
            found.element(tag, vr, valueStart, (int) length, big);
        }
        return valueEnd;
    }

    /** A long-form VR: two reserved bytes, then a 32-bit length (PixelMed's fallbacks included). */
    private Length longForm(int pos, int stop, boolean big, int tag) {
        int reserved = u16(b, pos + 6, big);
        if (reserved == 0 || reserved == 0x3030) {
            need(pos, 12, stop, tag);
            return new Length(u32(b, pos + 8, big), 12);
        }
        return new Length(reserved, 8);
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
            countElement();
            pos = item(pos, itemLength, sequenceEnd, explicit, big, depth, tag);
        }
        if (undefined) {
            throw UploadRejected.corrupt(part, "sequence " + hex(tag) + " has no sequence delimiter "
                    + "(truncated file)");
        }
        return pos;
    }

    /** One item of sequence {@code tag}, its header already read; returns where the item ends. */
    private int item(int pos, long length, int sequenceEnd, boolean explicit, boolean big, int depth, int tag) {
        if (length == UNDEFINED_LENGTH) {
            End end = dataSet(pos, sequenceEnd, explicit, big, depth, false);
            if (!end.delimited()) {
                throw UploadRejected.corrupt(part, "an item of sequence " + hex(tag)
                        + " has no item delimiter (truncated file)");
            }
            return end.pos();
        }
        if (length > sequenceEnd - pos) {
            throw beyondFile(part, tag, length);
        }
        int itemEnd = pos + (int) length;
        if (dataSet(pos, itemEnd, explicit, big, depth, false).pos() != itemEnd) {
            throw UploadRejected.corrupt(part, "an item of sequence " + hex(tag) + " ends before its declared length");
        }
        return itemEnd;
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
            countElement();
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
            found.encapsulatedPixelData(Math.max(0, count - 1), head(firstOffset, Math.min(window,
                    CODESTREAM_HEADER_WINDOW)));
        }
        return pos;
    }

    /** The first {@code size} bytes of the fragments from the one whose value starts at {@code offset}. */
    private byte[] head(int offset, int size) {
        byte[] head = new byte[size];
        int filled = 0;
        int pos = offset - 8;
        while (filled < head.length) {
            int length = (int) u32(b, pos + 4, false);
            int take = Math.min(length, head.length - filled);
            System.arraycopy(b, pos + 8, head, filled, take);
            filled += take;
            pos += 8 + length;
        }
        return head;
    }

    private void countElement() {
        if (++elements > MAX_ELEMENTS) {
            throw UploadRejected.corrupt(part, "the data set has more than " + MAX_ELEMENTS + " elements");
        }
    }

    private void need(int pos, int count, int stop, int tag) {
        if (stop - pos < count) {
            throw DicomBytes.truncated(part, tag);
        }
    }
}
