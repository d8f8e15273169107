package org.chestlens.platform;

import java.net.URI;
import java.util.Map;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * A failure the client can act on, answered as RFC 9457 problem+json. Each kind of problem has a
 * stable {@code type} URI so integration engines can branch on it without parsing prose.
 */
public class ApiProblem extends ErrorResponseException {

    public static final String TYPE_PREFIX = "urn:chestlens:problem:";

    public ApiProblem(HttpStatus status, String slug, String title, String detail) {
        this(status, slug, title, detail, Map.of(), null);
    }

    public ApiProblem(HttpStatus status, String slug, String title, String detail,
                      Map<String, Object> properties, Throwable cause) {
        super(status, problem(status, slug, title, detail, properties), cause);
    }

    private static ProblemDetail problem(HttpStatus status, String slug, String title, String detail,
                                         Map<String, Object> properties) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create(TYPE_PREFIX + slug));
        problem.setTitle(title);
        properties.forEach(problem::setProperty);
        return problem;
    }

    public static ApiProblem notFound(String what, Object id) {
        return new ApiProblem(HttpStatus.NOT_FOUND, "not-found", what + " not found",
                "No " + what.toLowerCase() + " with id " + id + ".");
    }
}
