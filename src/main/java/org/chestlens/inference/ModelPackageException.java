package org.chestlens.inference;

/** A model package that must not be served: missing, malformed, or not what its manifest says. */
class ModelPackageException extends RuntimeException {

    public ModelPackageException(String message) {
        super(message);
    }

    public ModelPackageException(String message, Throwable cause) {
        super(message, cause);
    }
}
