package org.chestlens.platform;

import java.net.URI;
import java.sql.SQLException;
import java.util.List;

import org.apache.tomcat.util.http.InvalidParameterException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.TypeMismatchException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.ServletRequestBindingException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.support.MissingServletRequestPartException;
import org.springframework.web.servlet.NoHandlerFoundException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * Every error leaves the service as problem+json. Spring's handler covers the framework's own
 * exceptions and {@link ApiProblem}s (a feature's typed failures, such as rejected uploads, have an
 * advice of their own, ordered before this one); the additions here give bad parameters and the
 * framework's refusals a stable type and turn anything unexpected into a 500 that logs the stack
 * trace but tells the client nothing internal.
 */
@RestControllerAdvice
class ProblemDetailsAdvice extends ResponseEntityExceptionHandler {

    private static final String INVALID_PARAMETER = "invalid-parameter";

    private static final Logger log = LoggerFactory.getLogger(ProblemDetailsAdvice.class);

    private final ObjectProvider<DatabaseAvailability> database;

    /** The database's availability is absent from web slices, which have no database. */
    ProblemDetailsAdvice(ObjectProvider<DatabaseAvailability> database) {
        this.database = database;
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<ProblemDetail> badParameter(MethodArgumentTypeMismatchException ex, WebRequest request) {
        return invalidParameter("Parameter '" + ex.getName() + "' has an invalid value.", request);
    }

    /**
     * Tomcat parses the query string (and a form body) when a parameter is first asked for, inside
     * Spring MVC: a value that is not percent-encoded UTF-8, or too many of them, fails there (400), as
     * does a form body over the container's size limit (413). Its message quotes the value, so the
     * answer does not.
     */
    @ExceptionHandler(InvalidParameterException.class)
    ResponseEntity<ProblemDetail> undecodableParameter(InvalidParameterException ex, WebRequest request) {
        HttpStatus status = ex.getErrorCode() == HttpStatus.CONTENT_TOO_LARGE.value() ? HttpStatus.CONTENT_TOO_LARGE
                : HttpStatus.BAD_REQUEST;
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, status == HttpStatus.BAD_REQUEST
                ? "The query string or form could not be decoded: parameters must be percent-encoded UTF-8, and "
                        + "not too many."
                : "The form body is larger than this service accepts.");
        problem.setType(URI.create(ApiProblem.TYPE_PREFIX
                + (status == HttpStatus.BAD_REQUEST ? INVALID_PARAMETER : "request-too-large")));
        problem.setTitle(status == HttpStatus.BAD_REQUEST ? "Invalid parameter" : "Request too large");
        return renderable(ResponseEntity.status(status).body(problem), request);
    }

    /** A body cut off at {@code chestlens.api.max-body-size} while it was read (one sent without a length). */
    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
                                                                  HttpHeaders headers, HttpStatusCode status,
                                                                  WebRequest request) {
        for (Throwable cause = ex; cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            if (cause instanceof RequestBodyLimit.BodyTooLarge tooLarge) {
                ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONTENT_TOO_LARGE,
                        RequestBodyLimit.detail(tooLarge.limit()));
                problem.setType(URI.create(ApiProblem.TYPE_PREFIX + RequestBodyLimit.TYPE));
                problem.setTitle("Request too large");
                return renderable(ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE)
                        .header(HttpHeaders.CONNECTION, "close").body(problem), request);
            }
        }
        return super.handleHttpMessageNotReadable(ex, headers, status, request);
    }

    /** Bean Validation on a method outside Spring MVC's own parameter validation: still the client's error. */
    @ExceptionHandler(jakarta.validation.ConstraintViolationException.class)
    ResponseEntity<ProblemDetail> constraintViolation(jakarta.validation.ConstraintViolationException ex,
                                                      WebRequest request) {
        return invalidParameter("Invalid request: " + ex.getConstraintViolations().stream()
                .map(v -> v.getPropertyPath() + " " + v.getMessage()).sorted().toList(), request);
    }

    /**
     * PostgreSQL's data exceptions (SQLSTATE class 22): a value the database cannot hold, such as a
     * NUL character in text (which no column type stores) or a number or date beyond its range. Such
     * a value can only have come from the request; which one is not said, as the database's message
     * quotes it. Any other integrity violation is unexpected.
     */
    @ExceptionHandler(DataIntegrityViolationException.class)
    ResponseEntity<ProblemDetail> unstorableValue(DataIntegrityViolationException ex, WebRequest request) {
        for (Throwable cause = ex; cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("22")) {
                // The state only: the message quotes the value, which may identify a patient.
                log.warn("Refused a value the database cannot hold (SQLSTATE {})", sql.getSQLState());
                return invalidParameter("A value of the request cannot be stored or compared: it contains a NUL "
                        + "character or is out of range.", request);
            }
        }
        return unexpected(ex, request);
    }

    private static ResponseEntity<ProblemDetail> invalidParameter(String detail, WebRequest request) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, detail);
        problem.setType(URI.create(ApiProblem.TYPE_PREFIX + INVALID_PARAMETER));
        problem.setTitle("Invalid parameter");
        return renderable(ResponseEntity.badRequest().body(problem), request);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception ex, WebRequest request) {
        if (DatabaseAvailability.isOutage(ex)) {
            return databaseUnavailable(ex, request);
        }
        log.error("Unhandled exception", LogSafe.escaped(ex));
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
                "An internal error occurred; it has been logged.");
        problem.setTitle("Internal error");
        return renderable(ResponseEntity.internalServerError().body(problem), request);
    }

    /**
     * The database could not be reached, or did not answer in time: a 503 the client can act on (it was
     * not the request's fault, and a retry after Retry-After may succeed), never a 500.
     */
    private ResponseEntity<ProblemDetail> databaseUnavailable(Exception ex, WebRequest request) {
        log.debug("Answered 503 database-unavailable: {}", LogSafe.escape(ex.toString()));
        DatabaseAvailability known = database.getIfAvailable();
        HttpHeaders headers = new HttpHeaders();
        headers.set(HttpHeaders.RETRY_AFTER, Long.toString(known == null ? DatabaseProperties.DEFAULT_RETRY_AFTER_SECONDS
                : known.properties().retryAfterSeconds()));
        if (known != null) {
            known.rejected();
        }
        String path = request instanceof ServletWebRequest servlet ? servlet.getRequest().getRequestURI() : null;
        return renderable(ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).headers(headers)
                .body(DatabaseAvailability.problem(path)), request);
    }

    /**
     * Spring's answers to what it refuses before a controller runs (a method or media type the
     * endpoint does not take, a missing or unconvertible parameter, an unreadable body) carry
     * {@code about:blank}; ours name the problem like every other 4xx of this service.
     */
    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception ex, Object body, HttpHeaders headers,
                                                             HttpStatusCode statusCode, WebRequest request) {
        ResponseEntity<Object> response = super.handleExceptionInternal(ex, body, headers, statusCode, request);
        if (response != null && response.getBody() instanceof ProblemDetail problem
                && response.getStatusCode().is4xxClientError()
                && (problem.getType() == null || "about:blank".equals(problem.getType().toString()))) {
            problem.setType(URI.create(ApiProblem.TYPE_PREFIX + slug(ex)));
        }
        return response == null ? null : renderable(response, request);
    }

    /**
     * Spring renders a problem in the type the Accept header asks for (problem+json, else JSON, else
     * problem+json anyway); an Accept header it cannot parse would leave the answer without a body,
     * so then the type is fixed beforehand.
     */
    private static <T> ResponseEntity<T> renderable(ResponseEntity<T> response, WebRequest request) {
        String[] accept = request.getHeaderValues(HttpHeaders.ACCEPT);
        if (accept != null) {
            try {
                MediaType.parseMediaTypes(List.of(accept));
            } catch (InvalidMediaTypeException unparseable) {
                return ResponseEntity.status(response.getStatusCode()).headers(response.getHeaders())
                        .contentType(MediaType.APPLICATION_PROBLEM_JSON).body(response.getBody());
            }
        }
        return response;
    }

    private static String slug(Exception ex) {
        if (ex instanceof HttpRequestMethodNotSupportedException) {
            return "method-not-allowed";
        } else if (ex instanceof HttpMediaTypeNotSupportedException) {
            return "unsupported-media-type";
        } else if (ex instanceof HttpMediaTypeNotAcceptableException) {
            return "not-acceptable";
        } else if (ex instanceof HttpMessageNotReadableException || ex instanceof MethodArgumentNotValidException) {
            return "invalid-body";
        } else if (ex instanceof NoResourceFoundException || ex instanceof NoHandlerFoundException) {
            return "not-found";
        } else if (ex instanceof MaxUploadSizeExceededException) {
            return "upload-too-large";
        } else if (ex instanceof ServletRequestBindingException || ex instanceof TypeMismatchException
                || ex instanceof HandlerMethodValidationException || ex instanceof MissingServletRequestPartException) {
            return INVALID_PARAMETER;
        }
        return "bad-request";
    }
}
