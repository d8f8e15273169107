package org.chestlens.prediction;

/**
 * A decoded, pre-processed upload waiting to be committed with its inference job.
 *
 * @param input the model input (one grey channel, row-major float32)
 * @param patient the DICOM header's patient module, null for PNG; never stored (see {@link DicomImageQueued})
 */
public record PendingImage(NewImage image, float[] input, int inputHeight, int inputWidth, double decodeMillis,
                           PatientHeader patient) {

    public PendingImage(NewImage image, float[] input, int inputHeight, int inputWidth, double decodeMillis) {
        this(image, input, inputHeight, inputWidth, decodeMillis, null);
    }

    @Override
    public String toString() {
        return "PendingImage[" + image + ", " + inputWidth + "x" + inputHeight + "]";
    }
}
