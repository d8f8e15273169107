package org.chestlens.platform;

import java.io.IOException;
import java.io.Writer;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import tools.jackson.databind.json.JsonMapper;

/**
 * Some requests Tomcat refuses before any filter or servlet sees them: a request target with a
 * character HTTP does not allow there ({@code \}, a raw space, {@code [} in the query), a path that
 * is not percent-encoded UTF-8. Tomcat's own error report valve answers those with an HTML page; this
 * one answers the problem+json of {@link ContainerErrorController}.
 */
final class ProblemReportValve extends ErrorReportValve {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int code = response.getStatus();
        if (code < 400 || response.getContentWritten() > 0) {
            return;
        }
        HttpStatus status = HttpStatus.resolve(code) != null ? HttpStatus.resolve(code)
                : code < 500 ? HttpStatus.BAD_REQUEST : HttpStatus.INTERNAL_SERVER_ERROR;
        ProblemDetail problem = ContainerErrorController.problem(status, request.getRequestURI());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", problem.getType() == null ? "about:blank" : problem.getType().toString());
        body.put("title", problem.getTitle());
        body.put("status", code);
        body.put("detail", problem.getDetail());
        if (problem.getInstance() != null) {
            body.put("instance", problem.getInstance().toString());
        }
        try {
            response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            response.setCharacterEncoding("UTF-8");
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(JSON.writeValueAsString(body));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the client is gone or the response already started: nothing more to tell it
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Registration {

        /**
         * After Spring Boot's customizer, which adds Tomcat's valve to the host: this one then sits
         * nearer the request and reports first, and Tomcat's, seeing the error reported, stays quiet.
         */
        @Bean
        WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory> problemReportValve() {
            return new Customizer();
        }
    }

    private static final class Customizer
            implements WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory>, Ordered {

        @Override
        public void customize(ConfigurableTomcatWebServerFactory factory) {
            factory.addContextCustomizers(context -> context.getParent().getPipeline().addValve(new ProblemReportValve()));
        }

        @Override
        public int getOrder() {
            return Ordered.LOWEST_PRECEDENCE;
        }
    }
}
