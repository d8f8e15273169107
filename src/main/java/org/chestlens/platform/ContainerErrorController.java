package org.chestlens.platform;

import java.net.URI;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;

import io.swagger.v3.oas.annotations.Hidden;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Errors the servlet container raises itself, before or around Spring MVC, reach {@code /error}: a
 * body that ends before its Content-Length (Tomcat answers 400 even when the controller reading it
 * has answered otherwise), a request it cannot parse. Spring Boot's own error controller would
 * answer them as plain JSON; every error of this service is problem+json.
 */
@Hidden
@RestController
public class ContainerErrorController implements ErrorController {

    /** Also what a controller answers when the body it reads breaks off. */
    public static final String UNREADABLE_REQUEST = "unreadable-request";

    private final ObjectProvider<DatabaseAvailability> database;

    /** The database's availability is absent from web slices, which have no database. */
    ContainerErrorController(ObjectProvider<DatabaseAvailability> database) {
        this.database = database;
    }

    @RequestMapping("/error")
    ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        if (request.getAttribute(RequestDispatcher.ERROR_EXCEPTION) instanceof Throwable failure
                && DatabaseAvailability.isOutage(failure)) {
            // A filter (before Spring MVC and its advice) could not reach the database.
            DatabaseAvailability known = database.getIfAvailable();
            return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER,
                            Long.toString(known == null ? DatabaseProperties.DEFAULT_RETRY_AFTER_SECONDS
                                    : known.properties().retryAfterSeconds()))
                    .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .body(DatabaseAvailability.problem(String.valueOf(request.getAttribute(
                            RequestDispatcher.ERROR_REQUEST_URI))));
        }
        if (code == null) {
            // Not an error dispatch: somebody asked for /error itself, which is no resource of ours.
            ProblemDetail notFound = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, "No resource at this path.");
            notFound.setType(URI.create(ApiProblem.TYPE_PREFIX + "not-found"));
            notFound.setTitle(HttpStatus.NOT_FOUND.getReasonPhrase());
            return ResponseEntity.status(HttpStatus.NOT_FOUND).contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .body(notFound);
        }
        HttpStatus status = code instanceof Integer value && HttpStatus.resolve(value) != null
                ? HttpStatus.resolve(value) : HttpStatus.INTERNAL_SERVER_ERROR;
        ProblemDetail problem = problem(status, request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI));
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }

    /** Also what {@link ProblemReportValve} answers for the requests Tomcat refuses before any servlet. */
    static ProblemDetail problem(HttpStatus status, Object requestUri) {
        ProblemDetail problem;
        // 501 (a transfer coding Tomcat does not know) and 505 (an HTTP version it does not speak) are the
        // client's request too, not a failure of ours.
        if (status.is4xxClientError() || status == HttpStatus.NOT_IMPLEMENTED
                || status == HttpStatus.HTTP_VERSION_NOT_SUPPORTED) {
            problem = ProblemDetail.forStatusAndDetail(status, "The request could not be read: "
                    + status.getReasonPhrase() + ".");
            problem.setType(URI.create(ApiProblem.TYPE_PREFIX + UNREADABLE_REQUEST));
        } else {
            problem = ProblemDetail.forStatusAndDetail(status, "An internal error occurred; it has been logged.");
        }
        problem.setTitle(status.getReasonPhrase());
        if (requestUri instanceof String uri) {
            try {
                problem.setInstance(URI.create(uri));
            } catch (IllegalArgumentException notAUri) {
                // a request target Tomcat let through but java.net.URI does not parse: no instance then
            }
        }
        return problem;
    }
}
