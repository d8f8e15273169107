package org.chestlens.inference;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a model that cannot be served (a damaged package, {@code device=gpu} without a usable GPU) into
 * Spring Boot's "APPLICATION FAILED TO START" box, so the operator reads the cause first rather than at
 * the bottom of a stack trace.
 */
class ModelStartupFailureAnalyzer extends AbstractFailureAnalyzer<ModelPackageException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, ModelPackageException cause) {
        return new FailureAnalysis(cause.getMessage(),
                "Check chestlens.inference.model-paths and chestlens.inference.device; docs/deployment.md, "
                        + "\"Offline inference and GPU\", says what each device setting needs.",
                cause);
    }
}
