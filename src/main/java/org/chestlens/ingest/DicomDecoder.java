package org.chestlens.ingest;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import javax.imageio.ImageIO;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.CompressedFrameDecoder;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.OtherByteAttributeMultipleCompressedFrames;
import com.pixelmed.dicom.TagFromName;

import org.chestlens.platform.CpuStages;
import org.chestlens.prediction.DicomAttributes;
import org.chestlens.prediction.PatientHeader;

/**
 * Decodes a DICOM Part 10 file to the stored values of its first frame, with PixelMed reading the
 * data set and our own {@link LosslessJpeg} and {@link RleDecoder}, {@link NativeCodecs} (JPEG 2000,
 * JPEG-LS, HTJ2K, 12-bit lossy JPEG) or ImageIO (TwelveMonkeys, for 8-bit lossy JPEG) decoding
 * compressed frames. Pixels come from the {@link AttributeList}, never from PixelMed's
 * {@code SourceImage}, which mishandles signed pixels and inverts lossy JPEG 2000. Only the first
 * frame is decompressed, so a long multi-frame file costs no more than one frame.
 *
 * <p>Every failure is an {@link UploadRejectedException}: {@link DicomPreCheck} rejects what
 * would make PixelMed allocate more than the file holds, and whatever PixelMed or a codec still
 * throws (checked or unchecked, or an OutOfMemoryError or StackOverflowError) becomes 422.
 */
final class DicomDecoder {

    static {
        // Decoding happens in memory; ImageIO's disk cache would only add temp files.
        ImageIO.setUseCache(false);
        // ImageIO finds codecs through the calling thread's context class loader; register the ones
        // this class was loaded with (TwelveMonkeys) once, whichever thread decodes first.
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(DicomDecoder.class.getClassLoader());
        try {
            ImageIO.scanForPlugins();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private static final Set<DicomTransferSyntax> LOSSY = EnumSet.of(
            DicomTransferSyntax.JPEG_BASELINE, DicomTransferSyntax.JPEG_EXTENDED, DicomTransferSyntax.JPEG_2000);

    private DicomDecoder() {
    }

    /**
     * A decoded file. {@code image} holds the stored values of the first frame, sign-extended when
     * {@code signed}, not yet inverted for MONOCHROME1 (see {@link #innerEyeValues()});
     * {@code patientId} is the raw Patient ID, null when absent: hash it, never log or store it;
     * {@code patient} the header's patient module, for the PACS outbox to seal, never to store or log.
     */
    record DecodedDicom(GreyImage image, boolean signed, DicomAttributes metadata, String patientId,
                        PatientHeader patient, List<InputGate.Finding> findings) {

        DecodedDicom {
            findings = List.copyOf(findings);
        }

        /** Every finding's message: what the gate stores when each check flags. */
        List<String> warnings() {
            return findings.stream().map(InputGate.Finding::message).toList();
        }

        /** The values InnerEye's pre-processing starts from (docs/innereye.md §3 step 1). */
        GreyImage innerEyeValues() {
            return storedValuesForInnerEye(image, metadata.photometricInterpretation(), metadata.bitsStored(),
                    signed);
        }

        @Override
        public String toString() {
            return "DecodedDicom[" + image.width() + "x" + image.height() + ", signed=" + signed + ", metadata="
                    + metadata + ", patientId=" + (patientId == null ? "absent" : "(redacted)") + ", warnings="
                    + warnings() + "]";
        }
    }

    static boolean isDicom(byte[] bytes) {
        return DicomMetaHeader.isPart10(bytes);
    }

    static DecodedDicom decode(byte[] bytes, String label, long maxPixels) {
        try {
            DicomPreCheck.Layout layout = DicomPreCheck.check(bytes, label, maxPixels);
            CpuStages.lap(CpuStages.Stage.PRE_CHECK);
            boolean nativePixels = layout.pixelDataOffset() >= 0;
            AttributeList list = read(layout, nativePixels);
            DicomImageHeader header = layout.header();
            checkSameHeader(list, header, label);
            GreyImage image = nativePixels ? nativeFirstFrame(layout)
                    : new GreyImage(storedValues(firstFrameRaw(list, layout, label), header), header.columns(),
                            header.rows(), header.bitsStored(), header.photometricInterpretation());
            DicomAttributes metadata = DicomAttributeReader.metadata(list, layout);
            String patientId = DicomAttributeReader.text(list, TagFromName.PatientID);
            PatientHeader patient = new PatientHeader(DicomAttributeReader.text(list, TagFromName.PatientName),
                    patientId, DicomAttributeReader.text(list, TagFromName.PatientBirthDate),
                    DicomAttributeReader.text(list, TagFromName.PatientSex));
            return new DecodedDicom(image, header.signed(), metadata, patientId, patient,
                    DicomAttributeReader.findings(list, metadata, header));
        } catch (UploadRejectedException rejection) {
            throw rejection;
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            // PixelMed and the ImageIO codecs throw whatever they like on damaged data; none of it is
            // the server's fault, and none of it may reach the client raw.
            throw UploadRejected.corrupt(label, e instanceof OutOfMemoryError
                    ? "decoding it needs more memory than the service allows"
                    : "the pixel data cannot be decoded");
        }
    }

    /**
     * The UIDs that name an instance, read without decoding pixels: SOP Class and SOP Instance UID
     * from the data set (else from the file meta information), Study Instance UID from the data set.
     * Never throws; {@code readable} is false when the pre-check or PixelMed rejects the file, and then
     * only the file meta UIDs (if any) are known. Pixel Data is not read: PixelMed stops before it.
     */
    static IngestService.InstanceIds identify(byte[] bytes, long maxPixels) {
        String sopClass = DicomMetaHeader.string(bytes, 0x00020002);
        String sopInstance = DicomMetaHeader.string(bytes, 0x00020003);
        try {
            DicomPreCheck.Layout layout = DicomPreCheck.check(bytes, "#", maxPixels);
            AttributeList list = new AttributeList();
            list.setDecompressPixelData(false);
            String readAs = readAs(layout.syntax());
            try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(layout.dataSet(),
                    layout.dataSetOffset(), layout.dataSetLength()), readAs, false)) {
                list.read(in, TagFromName.PixelData);
            }
            String dataSetClass = DicomAttributeReader.text(list, TagFromName.SOPClassUID);
            String dataSetInstance = DicomAttributeReader.text(list, TagFromName.SOPInstanceUID);
            return new IngestService.InstanceIds(dataSetClass != null ? dataSetClass : sopClass,
                    dataSetInstance != null ? dataSetInstance : sopInstance,
                    DicomAttributeReader.text(list, TagFromName.StudyInstanceUID), true);
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            return new IngestService.InstanceIds(sopClass, sopInstance, null, false);
        }
    }

    /**
     * MONOCHROME1 stores dark as high; InnerEye inverts it within the stored range before anything
     * else: unsigned {@code 2^BitsStored - 1 - x}, signed {@code -(x + 1)}. MONOCHROME2 is returned
     * as it is.
     */
    static GreyImage storedValuesForInnerEye(GreyImage stored, String photometricInterpretation, int bitsStored,
                                             boolean signed) {
        if (!"MONOCHROME1".equals(photometricInterpretation)) {
            return stored;
        }
        return stored.inverted(bitsStored, signed);
    }

    /**
     * The data set; with {@code headerOnly} PixelMed stops before Pixel Data (native pixels are read where they
     * lie, see {@link #nativeFirstFrame}), else it reads the encapsulated frames too.
     */
    private static AttributeList read(DicomPreCheck.Layout layout, boolean headerOnly) throws Exception {
        String readAs = readAs(layout.syntax());
        AttributeList list = new AttributeList();
        list.setDecompressPixelData(false);
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(layout.dataSet(),
                layout.dataSetOffset(), layout.dataSetLength()), readAs, false)) {
            if (headerOnly) {
                list.read(in, TagFromName.PixelData);
            } else {
                list.read(in);
            }
        }
        return list;
    }

    /**
     * The first frame of native Pixel Data as stored values, read in place: 8-bit samples are the file's bytes
     * in order (also when implicit VR packs them into OW words), 16-bit ones words in the transfer syntax's byte
     * order; Bits Stored at High Bit, sign-extended when signed, as {@link #storedValues} computes them. The
     * pre-check has checked that the value holds every frame the header declares.
     */
    private static GreyImage nativeFirstFrame(DicomPreCheck.Layout layout) {
        DicomImageHeader header = layout.header();
        int bytes = header.bitsAllocated() / 8;
        GreyImage.Packed packed = new GreyImage.Packed(layout.dataSet(), layout.pixelDataOffset(),
                header.columns() * bytes, bytes, layout.syntax().encoding().bigEndian(),
                header.highBit() + 1 - header.bitsStored(), header.bitsStored(), header.signed());
        return new GreyImage(packed, header.columns(), header.rows(), header.bitsStored(),
                header.photometricInterpretation());
    }

    /**
     * The transfer syntax PixelMed is told it reads. The pre-check has already inflated a deflated data
     * set, so that is plain explicit VR LE; PixelMed (2022) does not know the HTJ2K UIDs and would not
     * split their encapsulated frames, so it reads them as what they are on the wire: explicit VR LE
     * with JPEG 2000 style fragments (the frames go to OpenJPEG, not to PixelMed's codecs).
     */
    private static String readAs(DicomTransferSyntax syntax) {
        if (syntax == DicomTransferSyntax.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN) {
            return DicomTransferSyntax.EXPLICIT_VR_LITTLE_ENDIAN.uid();
        }
        return syntax.encoding() == DicomTransferSyntax.Encoding.HTJ2K ? DicomTransferSyntax.JPEG_2000_LOSSLESS.uid()
                : syntax.uid();
    }

    /** PixelMed must have read the same header the pre-check checked; anything else is a parse divergence. */
    private static void checkSameHeader(AttributeList list, DicomImageHeader header, String label) {
        if (integer(list, TagFromName.Rows) != header.rows() || integer(list, TagFromName.Columns) != header.columns()
                || integer(list, TagFromName.BitsAllocated) != header.bitsAllocated()) {
            throw UploadRejected.corrupt(label, "the image header is ambiguous");
        }
    }

    /** The first encapsulated frame's sample words as decoded, before masking to Bits Stored. */
    private static int[] firstFrameRaw(AttributeList list, DicomPreCheck.Layout layout, String label)
            throws Exception {
        Attribute pixelData = list.get(TagFromName.PixelData);
        if (pixelData instanceof OtherByteAttributeMultipleCompressedFrames compressed) {
            return decodeFirstFrame(compressed, layout, label);
        }
        throw UploadRejected.corrupt(label, pixelData == null ? "the data set has no readable Pixel Data"
                : "the Pixel Data has an unexpected form");
    }

    private static int[] decodeFirstFrame(OtherByteAttributeMultipleCompressedFrames frames,
                                          DicomPreCheck.Layout layout, String label) throws Exception {
        DicomImageHeader header = layout.header();
        if (frames.getNumberOfFrames() < 1 || frames.getByteValuesForSelectedFrame(0) == null) {
            throw UploadRejected.corrupt(label, "the first frame is empty");
        }
        DicomTransferSyntax syntax = layout.syntax();
        DicomTransferSyntax.Encoding encoding = syntax.encoding();
        byte[] frame = frames.getByteValuesForSelectedFrame(0);
        if (encoding == DicomTransferSyntax.Encoding.RLE) {
            return RleDecoder.decode(frame, header, label);
        }
        if (syntax == DicomTransferSyntax.JPEG_LOSSLESS || syntax == DicomTransferSyntax.JPEG_LOSSLESS_SV1) {
            return LosslessJpeg.decode(frame, header, label);
        }
        if (encoding == DicomTransferSyntax.Encoding.JPEG_LS || encoding == DicomTransferSyntax.Encoding.HTJ2K
                || encoding == DicomTransferSyntax.Encoding.JPEG_2000
                || encoding == DicomTransferSyntax.Encoding.JPEG && NativeCodecs.isTwelveBitLossyJpeg(
                        header.codestream())) {
            // 12-bit lossy JPEG has no pure-Java decoder: gdcm's IJG library (through our shim) does it.
            // Signed JPEG 2000 samples come back sign-extended: clampLossy keeps the stored bits only.
            return clampLossy(NativeCodecs.decode(syntax, frame, header, label), layout);
        }
        // what is left is 8-bit lossy JPEG, for the JDK's reader through TwelveMonkeys
        CompressedFrameDecoder decoder = new CompressedFrameDecoder(syntax.uid(), frames,
                header.bitsAllocated() / 8, header.columns(), header.rows(), 1,
                ColorSpace.getInstance(ColorSpace.CS_GRAY));
        try {
            BufferedImage image = decoder.getDecompressedFrameAsBufferedImage(0);
            if (image == null || image.getWidth() != header.columns() || image.getHeight() != header.rows()
                    || image.getRaster().getNumBands() != 1) {
                throw UploadRejected.corrupt(label, "the first frame does not decode to the declared image");
            }
            Raster raster = image.getRaster();
            int[] raw = raster.getSamples(0, 0, header.columns(), header.rows(), 0,
                    new int[header.rows() * header.columns()]);
            return clampLossy(raw, layout);
        } finally {
            dispose(decoder);
        }
    }

    /**
     * Lossy codecs can overshoot the stored range: unsigned values are clamped, as dcmtk and gdcm do,
     * rather than left to wrap in their high bits (jai-imageio once turned a 4095 corner into 45).
     * Signed codecs (OpenJPEG) hand back sign-extended values: keep the stored bits only.
     */
    private static int[] clampLossy(int[] raw, DicomPreCheck.Layout layout) {
        DicomImageHeader header = layout.header();
        boolean clamp = !header.signed() && LOSSY.contains(layout.syntax());
        int highest = ((1 << header.bitsStored()) - 1) << (header.highBit() + 1 - header.bitsStored());
        int mask = header.bitsAllocated() == 8 ? 0xFF : 0xFFFF;
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (clamp ? Math.max(0, Math.min(highest, raw[i])) : raw[i]) & mask;
        }
        return raw;
    }

    @SuppressWarnings("java:S1181") // dispose() is declared to throw Throwable
    private static void dispose(CompressedFrameDecoder decoder) {
        try {
            decoder.dispose();
        } catch (Throwable ignored) {
            // releasing the ImageIO reader is best effort
        }
    }

    /** Bits Stored at High Bit, sign-extended when Pixel Representation says signed. */
    static int[] storedValues(int[] raw, DicomImageHeader header) {
        int bits = header.bitsStored();
        int shift = header.highBit() + 1 - bits;
        int mask = (1 << bits) - 1;
        int sign = 1 << (bits - 1);
        for (int i = 0; i < raw.length; i++) {
            int v = (raw[i] >>> shift) & mask;
            raw[i] = header.signed() && (v & sign) != 0 ? v - (1 << bits) : v;
        }
        return raw;
    }

    private static int integer(AttributeList list, AttributeTag tag) {
        return Attribute.getSingleIntegerValueOrDefault(list, tag, -1);
    }
}
