package org.chestlens.ingest;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

import javax.imageio.ImageIO;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.dicom.UniqueIdentifierAttribute;
import com.pixelmed.dicom.UnsignedShortAttribute;
import org.chestlens.inference.ModelInput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * Runs the CPU work of an upload (hashing, PNG and DICOM decoding, pre-processing) on synthetic
 * images before the service reports ready, as the batcher does with the model. Left to warm up on
 * live traffic, this code competes with the forward passes for the cores, and so does the JIT
 * compiler: measured on 2 cores, the SHA-256 of an upload alone took 190 ms interpreted against
 * 1 ms compiled, and stayed slow for the first minute of a saturated run. Readiness is published
 * only after application runners have finished, so no upload meets the cold code.
 */
@Component
class IngestWarmUp implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(IngestWarmUp.class);
    private static final int SIZE = 1024;
    private static final int ROUNDS = 8;

    @Override
    public void run(ApplicationArguments args) {
        long start = System.nanoTime();
        byte[] png8 = png(BufferedImage.TYPE_BYTE_GRAY, 255);
        byte[] png16 = png(BufferedImage.TYPE_USHORT_GRAY, 65_535);
        byte[] dicom = dicom(1);
        InnerEyePreprocessor preprocessor = new InnerEyePreprocessor(256, 224);
        for (int round = 0; round < ROUNDS; round++) {
            for (byte[] png : new byte[][] {png8, png16}) {
                IngestService.sha256(png);
                requireInput(preprocessor.apply(PngDecoder.decode(png, "warm-up", Long.MAX_VALUE)));
            }
            IngestService.sha256(dicom);
            requireInput(preprocessor.apply(DicomDecoder.decode(dicom, "warm-up", Long.MAX_VALUE).innerEyeValues()));
        }
        log.info("Upload path warmed up in {} ms", (System.nanoTime() - start) / 1_000_000);
    }

    private static void requireInput(ModelInput input) {
        if (input == null) {
            throw new IllegalStateException("a warm-up image could not be pre-processed");
        }
    }

    /** A smooth gradient with a ripple, so neither decoding nor min-max meets a constant image. */
    private static int value(int x, int y, int max) {
        return (int) ((x + y) * (long) max / (2L * SIZE) + (x * 7 + y * 13) % 17) % (max + 1);
    }

    static byte[] png(int type, int max) {
        BufferedImage image = new BufferedImage(SIZE, SIZE, type);
        WritableRaster raster = image.getRaster();
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                raster.setSample(x, y, 0, value(x, y, max));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the warm-up PNG", e);
        }
        return out.toByteArray();
    }

    /**
     * A 12-bit chest CR in explicit VR little endian, the commonest upload; each {@code instance}
     * has its own SOP Instance UID and pixels (the benchmark sends many, and the service takes a
     * repeated UID or SHA-256 for the same image).
     */
    static byte[] dicom(long instance) {
        try {
            AttributeList list = new AttributeList();
            uid(list, TagFromName.SOPClassUID, SOPClass.ComputedRadiographyImageStorage);
            uid(list, TagFromName.SOPInstanceUID, "2.25." + instance);
            uid(list, TagFromName.StudyInstanceUID, "2.25.2");
            uid(list, TagFromName.SeriesInstanceUID, "2.25.3");
            text(list, TagFromName.Modality, "CR");
            text(list, TagFromName.BodyPartExamined, "CHEST");
            text(list, TagFromName.PhotometricInterpretation, "MONOCHROME2");
            number(list, TagFromName.SamplesPerPixel, 1);
            number(list, TagFromName.Rows, SIZE);
            number(list, TagFromName.Columns, SIZE);
            number(list, TagFromName.BitsAllocated, 16);
            number(list, TagFromName.BitsStored, 12);
            number(list, TagFromName.HighBit, 11);
            number(list, TagFromName.PixelRepresentation, 0);
            short[] pixels = new short[SIZE * SIZE];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (short) ((value(i % SIZE, i / SIZE, 4095) + instance * 7 * (i % 5)) % 4096);
            }
            Attribute pixelData = new OtherWordAttribute(TagFromName.PixelData);
            pixelData.setValues(pixels);
            list.put(pixelData);
            FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "CHESTLENS");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            list.write(out, TransferSyntax.ExplicitVRLittleEndian, true, true);
            return out.toByteArray();
        } catch (DicomException | IOException e) {
            throw new IllegalStateException("cannot write the warm-up DICOM", e);
        }
    }

    private static void uid(AttributeList list, AttributeTag tag, String value) throws DicomException {
        Attribute attribute = new UniqueIdentifierAttribute(tag);
        attribute.addValue(value);
        list.put(attribute);
    }

    private static void text(AttributeList list, AttributeTag tag, String value) throws DicomException {
        Attribute attribute = new CodeStringAttribute(tag);
        attribute.addValue(value);
        list.put(attribute);
    }

    private static void number(AttributeList list, AttributeTag tag, int value) throws DicomException {
        Attribute attribute = new UnsignedShortAttribute(tag);
        attribute.addValue(value);
        list.put(attribute);
    }
}
