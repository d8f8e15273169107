package org.chestlens.inference;

/** The model could not score a batch; the images are fine, the service is not. */
class InferenceFailedException extends RuntimeException {

    public InferenceFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
