package org.chestlens.ingest;

/** Decoding and InnerEye pre-processing of one file, as the upload path does it, without HTTP. */
public final class RawDecode {

    private RawDecode() {
    }

    /** A distinct 1024 x 1024 12-bit chest CR (its own SOP Instance UID and pixels) per {@code instance}. */
    public static byte[] syntheticDicom(long instance) {
        return IngestWarmUp.dicom(instance);
    }

    /**
     * Median milliseconds to hash, decode and pre-process {@code png}, after as many untimed runs
     * (the service has run this code thousands of times, and warms it up before it is ready).
     */
    public static double pngMillis(byte[] png, int runs) {
        return medianMillis(png, false, runs);
    }

    /** As {@link #pngMillis}, for a DICOM file. */
    public static double dicomMillis(byte[] dicom, int runs) {
        return medianMillis(dicom, true, runs);
    }

    private static double medianMillis(byte[] file, boolean dicom, int runs) {
        InnerEyePreprocessor preprocessor = new InnerEyePreprocessor(256, 224);
        for (int r = 0; r < runs; r++) {
            decode(file, dicom, preprocessor);
        }
        double[] times = new double[runs];
        for (int r = 0; r < runs; r++) {
            long start = System.nanoTime();
            decode(file, dicom, preprocessor);
            times[r] = (System.nanoTime() - start) / 1e6;
        }
        java.util.Arrays.sort(times);
        return times[runs / 2];
    }

    private static void decode(byte[] file, boolean dicom, InnerEyePreprocessor preprocessor) {
        GreyImage image = dicom ? DicomDecoder.decode(file, "bench", Long.MAX_VALUE).innerEyeValues()
                : PngDecoder.decode(file, "bench", Long.MAX_VALUE);
        preprocessor.apply(image);
        IngestService.sha256(file);
    }
}
