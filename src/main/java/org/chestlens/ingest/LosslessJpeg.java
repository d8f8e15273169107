package org.chestlens.ingest;

import java.util.Arrays;

/**
 * A decoder of greyscale lossless JPEG (ITU T.81 process 14, Huffman coded, annex H): every
 * predictor (selection value 1 to 7), precision 2 to 16 bits, point transform, restart intervals.
 * It writes the samples straight into the {@code int[]} the pipeline uses, through a lookup table
 * per Huffman table and a 64-bit bit buffer, and allocates nothing per sample: several times faster
 * than the TwelveMonkeys reader it replaced, and than dcmtk's {@code dcmdjpeg} process
 * (bench/README.md, "DICOM decoding").
 *
 * <p>The output is sized from the DICOM header the pre-check already held against max-pixels; the
 * frame must declare exactly that image. Damage (a truncated scan, a Huffman table that overflows its
 * code space, a code or difference category that cannot occur, a missing restart marker) is an
 * {@link UploadRejectedException}, never a guess: the decoder reads each byte at most once, so it
 * always ends. Sample arithmetic is modulo 2^16, as in T.81 H.1.2.1 and IJG's decoder.
 */
final class LosslessJpeg {

    /**
     * Huffman codes up to this length are decoded by one table lookup, together with their extra bits
     * where code and extra bits fit (most differences of a radiograph: a 3-4 bit code, 5-8 extra bits);
     * longer codes code by code. 4096 entries: 16 KB per table.
     */
    private static final int LOOKAHEAD = 12;
    /** A {@link HuffmanTable#fast} entry that holds the difference itself (in its high 16 bits). */
    private static final int WHOLE = 0x100;
    private static final int SOF3 = 0xC3;
    private static final int DHT = 0xC4;
    private static final int DRI = 0xDD;
    private static final int SOS = 0xDA;
    private static final int EOI = 0xD9;
    private static final int RST0 = 0xD0;

    private final byte[] data;
    private final String label;
    private int pos;
    private final HuffmanTable[] tables = new HuffmanTable[4];
    private int restartInterval;
    private int precision = -1;
    // the entropy-coded bit buffer: the low `bits` bits of `buffer` are the next ones to read
    private long buffer;
    private int bits;
    /** Zero bytes fed in for lack of data (a marker or the end reached): consuming any of them is truncation. */
    private int padding;

    private LosslessJpeg(byte[] data, String label) {
        this.data = data;
        this.label = label;
    }

    /**
     * The first frame's samples, unsigned bit patterns of the frame's precision (shifted up by the point
     * transform), row by row; the frame must be one component of {@code header}'s columns x rows at
     * no more than Bits Allocated.
     */
    static int[] decode(byte[] frame, DicomImageHeader header, String label) {
        return new LosslessJpeg(frame, label).decode(header.columns(), header.rows(), header.bitsAllocated());
    }

    private int[] decode(int width, int height, int bitsAllocated) {
        if (u8() != 0xFF || u8() != 0xD8) {
            throw corrupt("it does not start with a JPEG SOI marker");
        }
        while (true) {
            int marker = nextMarker();
            if (marker == SOS) {
                if (precision < 0) {
                    throw corrupt("its scan comes before the frame header");
                }
                return scan(width, height);
            }
            int length = u16();
            int end = pos - 2 + length;
            if (length < 2 || end > data.length) {
                throw corrupt("a marker segment runs past the end of the frame");
            }
            if (marker == SOF3) {
                frameHeader(width, height, bitsAllocated);
            } else if (marker == DHT) {
                while (pos < end) {
                    huffmanTable(end);
                }
            } else if (marker == DRI) {
                restartInterval = u16();
            } else if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC8 && marker != 0xCC || marker == EOI) {
                // another process (DCT, arithmetic coding, hierarchical) or an image without a scan
                throw corrupt("it is not a lossless Huffman-coded JPEG image (marker 0xFF" + hex(marker) + ")");
            }
            pos = end;
        }
    }

    private void frameHeader(int width, int height, int bitsAllocated) {
        precision = u8();
        int rows = u16();
        int columns = u16();
        int components = u8();
        if (rows != height || columns != width || components != 1) {
            throw corrupt("its frame header declares " + columns + " x " + rows + " x " + components
                    + ", not the image the DICOM header declares");
        }
        if (precision < 2 || precision > 16 || precision > bitsAllocated) {
            throw corrupt("its precision is " + precision + " bits, with Bits Allocated " + bitsAllocated);
        }
    }

    private void huffmanTable(int end) {
        int classAndId = u8();
        if ((classAndId >> 4) > 1 || (classAndId & 0x0F) > 3) {
            throw corrupt("it has a Huffman table of class/id 0x" + hex(classAndId));
        }
        int[] counts = new int[17];
        int total = 0;
        for (int length = 1; length <= 16; length++) {
            counts[length] = u8();
            total += counts[length];
        }
        if (total > 256 || pos + total > end) {
            throw corrupt("a Huffman table holds more codes than its segment");
        }
        int[] symbols = new int[total];
        for (int i = 0; i < total; i++) {
            symbols[i] = u8();
        }
        if ((classAndId >> 4) == 0) {
            tables[classAndId & 0x0F] = new HuffmanTable(counts, symbols, this);
        } // an AC table, which a lossless scan never uses: read past, as IJG does
    }

    /**
     * One Huffman table. {@code fast[next LOOKAHEAD bits]} is, where code and extra bits fit,
     * (difference << 16 | WHOLE | bits used); where only the code fits, (category << 16 | code length);
     * else 0, and the code goes through T.81's maxcode/valptr (F.2.2.3). Category 16 (difference
     * 32768, no extra bits) is stored as -32768: the same sample modulo 2^16.
     */
    private static final class HuffmanTable {
        final int[] fast = new int[1 << LOOKAHEAD];
        final int[] maxCode = new int[18];
        final int[] offset = new int[17];
        final int[] symbols;

        HuffmanTable(int[] counts, int[] symbols, LosslessJpeg decoder) {
            this.symbols = symbols;
            int code = 0;
            int k = 0;
            for (int length = 1; length <= 16; length++) {
                offset[length] = k - code;
                for (int i = 0; i < counts[length]; i++) {
                    if (code >= 1 << length) {
                        throw decoder.corrupt("a Huffman table has more codes than its code lengths allow");
                    }
                    if (length <= LOOKAHEAD) {
                        fill(code, length, symbols[k]);
                    }
                    code++;
                    k++;
                }
                maxCode[length] = counts[length] == 0 ? -1 : code - 1;
                code <<= 1;
            }
            maxCode[17] = Integer.MAX_VALUE; // ends the slow search: any code is "found" at 17, then refused
        }

        private void fill(int code, int length, int category) {
            if (category == 16 || category == 0) {
                int entry = (category == 16 ? -32768 : 0) << 16 | WHOLE | length;
                Arrays.fill(fast, code << (LOOKAHEAD - length), (code + 1) << (LOOKAHEAD - length), entry);
            } else if (category < 16 && length + category <= LOOKAHEAD) {
                int shift = LOOKAHEAD - length - category;
                for (int extra = 0; extra < 1 << category; extra++) {
                    int entry = extend(extra, category) << 16 | WHOLE | (length + category);
                    int first = (code << category | extra) << shift;
                    Arrays.fill(fast, first, first + (1 << shift), entry);
                }
            } else {
                // categories above 16 are kept here and refused when a scan uses them
                Arrays.fill(fast, code << (LOOKAHEAD - length), (code + 1) << (LOOKAHEAD - length),
                        category << 16 | length);
            }
        }
    }

    /** T.81 F.2.2.1 EXTEND: the extra bits of a category-{@code category} difference as that difference. */
    private static int extend(int value, int category) {
        return value < 1 << (category - 1) ? value - (1 << category) + 1 : value;
    }

    private int[] scan(int width, int height) {
        int length = u16();
        int end = pos - 2 + length;
        if (length < 8 || end > data.length) {
            throw corrupt("its scan header is damaged");
        }
        int components = u8();
        u8(); // component selector: one component in frame and scan, whatever its id
        int tableId = u8() >> 4;
        int predictor = u8();
        int spectralEnd = u8();
        int approximation = u8();
        int pointTransform = approximation & 0x0F;
        if (components != 1 || predictor < 1 || predictor > 7 || spectralEnd != 0 || (approximation >> 4) != 0
                || pointTransform >= precision) {
            throw corrupt("its scan header is not a lossless scan of one component");
        }
        if (tableId > 3 || tables[tableId] == null) {
            throw corrupt("its scan uses a Huffman table it does not define");
        }
        if (restartInterval != 0 && restartInterval % width != 0) {
            // T.81 H.2: a lossless restart interval is a whole number of lines; anything else is refused
            throw corrupt("its restart interval is not a whole number of lines");
        }
        pos = end;
        int[] out = new int[width * height];
        HuffmanTable table = tables[tableId];
        int linesPerInterval = restartInterval == 0 ? Integer.MAX_VALUE : restartInterval / width;
        int initial = 1 << (precision - pointTransform - 1);
        int restarts = 0;
        for (int y = 0; y < height; y++) {
            int start = y * width;
            boolean firstLine = y % linesPerInterval == 0;
            if (firstLine && y > 0) {
                restart(restarts++);
            }
            if (firstLine) {
                out[start] = (initial + difference(table)) & 0xFFFF;
                line(out, start, width, 1, table);
            } else {
                out[start] = (out[start - width] + difference(table)) & 0xFFFF;
                line(out, start, width, predictor, table);
            }
        }
        requireNotTruncated();
        if (pointTransform > 0) {
            for (int i = 0; i < out.length; i++) {
                out[i] = (out[i] << pointTransform) & 0xFFFF;
            }
        }
        return out;
    }

    /** Samples 1 .. width-1 of the line at {@code start}: T.81 table H.1 predictors, modulo 2^16. */
    private void line(int[] out, int start, int width, int predictor, HuffmanTable table) {
        int end = start + width;
        switch (predictor) {
            case 1 -> {
                for (int i = start + 1; i < end; i++) {
                    out[i] = (out[i - 1] + difference(table)) & 0xFFFF;
                }
            }
            case 2 -> {
                for (int i = start + 1; i < end; i++) {
                    out[i] = (out[i - width] + difference(table)) & 0xFFFF;
                }
            }
            case 3 -> {
                for (int i = start + 1; i < end; i++) {
                    out[i] = (out[i - width - 1] + difference(table)) & 0xFFFF;
                }
            }
            case 4 -> {
                for (int i = start + 1; i < end; i++) {
                    out[i] = (out[i - 1] + out[i - width] - out[i - width - 1] + difference(table)) & 0xFFFF;
                }
            }
            case 5 -> {
                for (int i = start + 1; i < end; i++) {
                    out[i] = (out[i - 1] + ((out[i - width] - out[i - width - 1]) >> 1) + difference(table))
                            & 0xFFFF;
                }
            }
            case 6 -> {
                for (int i = start + 1; i < end; i++) {
                    out[i] = (out[i - width] + ((out[i - 1] - out[i - width - 1]) >> 1) + difference(table))
                            & 0xFFFF;
                }
            }
            default -> {
                for (int i = start + 1; i < end; i++) {
                    out[i] = ((out[i - 1] + out[i - width]) >> 1) + difference(table) & 0xFFFF;
                }
            }
        }
    }

    /** One Huffman-coded difference (T.81 H.1.2.2): its category, then that many extra bits. */
    private int difference(HuffmanTable table) {
        if (bits < 32) {
            fill();
        }
        int entry = table.fast[(int) (buffer >>> (bits - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)];
        if ((entry & WHOLE) != 0) {
            bits -= entry & 0xFF;
            return entry >> 16;
        }
        int category;
        if (entry != 0) {
            bits -= entry & 0xFF;
            category = entry >>> 16;
        } else {
            category = slowSymbol(table);
        }
        if (category == 0) {
            return 0;
        }
        if (category >= 16) {
            if (category > 16) {
                throw corrupt("it codes a difference category above 16");
            }
            return 32768;
        }
        bits -= category;
        return extend((int) (buffer >>> bits) & ((1 << category) - 1), category);
    }

    private int slowSymbol(HuffmanTable table) {
        int length = LOOKAHEAD + 1;
        int code = (int) (buffer >>> (bits - length)) & ((1 << length) - 1);
        while (code > table.maxCode[length]) {
            length++;
            code = (int) (buffer >>> (bits - length)) & ((1 << length) - 1);
        }
        if (length > 16) {
            throw corrupt("it holds a Huffman code its table does not define");
        }
        bits -= length;
        return table.symbols[code + table.offset[length]];
    }

    /** Tops the bit buffer up to at least 57 bits, undoing 0xFF00 stuffing; stops at a marker. */
    private void fill() {
        while (bits <= 56) {
            int b = 0;
            if (pos < data.length) {
                b = data[pos] & 0xFF;
                if (b != 0xFF) {
                    pos++;
                } else if (pos + 1 < data.length && data[pos + 1] == 0) {
                    pos += 2;
                } else {
                    b = 0; // a marker: the scan's data ends here
                    padding++;
                }
            } else {
                padding++;
            }
            buffer = buffer << 8 | b;
            bits += 8;
        }
    }

    /** Whether the bits read so far came from the scan, not from the zeros fed in after its end. */
    private void requireNotTruncated() {
        if ((long) padding * 8 > bits) {
            throw corrupt("its scan is truncated");
        }
    }

    /** T.81 F.2.2.5: the rest of the byte is padding, then RSTm (m counting modulo 8) must follow. */
    private void restart(int count) {
        requireNotTruncated();
        buffer = 0;
        bits = 0;
        padding = 0;
        // bytes the decoder did not need before the marker are skipped (IJG warns, then does the same)
        while (pos + 1 < data.length && !((data[pos] & 0xFF) == 0xFF && data[pos + 1] != 0
                && data[pos + 1] != (byte) 0xFF)) {
            pos++;
        }
        if (pos + 1 >= data.length || (data[pos + 1] & 0xFF) != RST0 + (count & 7)) {
            throw corrupt("a restart marker is missing");
        }
        pos += 2;
    }

    private int nextMarker() {
        if (u8() != 0xFF) {
            throw corrupt("its header is damaged");
        }
        int marker = u8();
        while (marker == 0xFF) {
            marker = u8(); // fill bytes
        }
        return marker;
    }

    private int u8() {
        if (pos >= data.length) {
            throw corrupt("it ends before its scan");
        }
        return data[pos++] & 0xFF;
    }

    private int u16() {
        return u8() << 8 | u8();
    }

    private UploadRejectedException corrupt(String why) {
        return UploadRejected.corrupt(label, "the lossless JPEG frame cannot be decoded: " + why);
    }

    private static String hex(int value) {
        return Integer.toHexString(value).toUpperCase(java.util.Locale.ROOT);
    }
}
