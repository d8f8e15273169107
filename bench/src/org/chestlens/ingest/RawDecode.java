package org.chestlens.ingest;

/** Decoding and InnerEye pre-processing of one file, as the upload path does it, without HTTP. */
public final class RawDecode {

    private RawDecode() {
    }

    /**
     * Median milliseconds to hash, decode and pre-process {@code png}, after as many untimed runs
     * (the service has run this code thousands of times, and warms it up before it is ready).
     */
    public static double pngMillis(byte[] png, int runs) {
        InnerEyePreprocessor preprocessor = new InnerEyePreprocessor(256, 224);
        for (int r = 0; r < runs; r++) {
            preprocessor.apply(PngDecoder.decode(png, "bench", Long.MAX_VALUE));
            IngestService.sha256(png);
        }
        double[] times = new double[runs];
        for (int r = 0; r < runs; r++) {
            long start = System.nanoTime();
            preprocessor.apply(PngDecoder.decode(png, "bench", Long.MAX_VALUE));
            IngestService.sha256(png);
            times[r] = (System.nanoTime() - start) / 1e6;
        }
        java.util.Arrays.sort(times);
        return times[runs / 2];
    }
}
