package org.chestlens.platform;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.util.unit.DataSize;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The largest body any endpoint but the uploads reads (the label import has a larger limit of its own). Spring MVC
 * reads a JSON or text body whole before any validation can count its items, so without a bound one request could
 * fill the heap (a label import of 72 MB did). A declared Content-Length over the limit is answered 413 at once; a body sent without one (chunked)
 * is counted as it is read and cut off at the limit, which the API answers with the same 413. The uploads
 * ({@code POST /api/v1/images} and DICOMweb STOW-RS) have limits of their own ({@code chestlens.ingest.*}).
 */
final class RequestBodyLimit extends OncePerRequestFilter {

    static final String TYPE = "request-too-large";

    /** Thrown by the counted body when it passes the limit; {@link ProblemDetailsAdvice} answers it 413. */
    static final class BodyTooLarge extends IOException {
        private final long limit;

        BodyTooLarge(long limit) {
            super("request body over " + limit + " bytes");
            this.limit = limit;
        }

        long limit() {
            return limit;
        }
    }

    /**
     * @param maxBodySize largest request body of any endpoint but the image uploads and the label import; larger ones
     *                    are answered 413 request-too-large (what a few kilobytes of JSON say, read as tiny list
     *                    items, can take twenty times their size in memory)
     * @param maxLabelImportSize largest label import (POST /api/v1/labels, JSON or CSV; 100 000 labels are about
     *                           7 MB), which is read no further than 100 000 labels
     */
    @ConfigurationProperties("chestlens.api")
    record Properties(@DefaultValue("1MB") DataSize maxBodySize, @DefaultValue("16MB") DataSize maxLabelImportSize) {
    }

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(Properties.class)
    static class Registration {

        /** Before Spring Security: a body too large is refused whoever sends it, and before anything reads it. */
        @Bean
        FilterRegistrationBean<RequestBodyLimit> requestBodyLimit(Properties properties, ProblemResponses problems) {
            FilterRegistrationBean<RequestBodyLimit> registration = new FilterRegistrationBean<>(new RequestBodyLimit(
                    properties.maxBodySize().toBytes(), properties.maxLabelImportSize().toBytes(), problems));
            registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
            return registration;
        }
    }

    private final long defaultLimit;
    private final long labelImportLimit;
    private final ProblemResponses problems;

    RequestBodyLimit(long defaultLimit, long labelImportLimit, ProblemResponses problems) {
        this.defaultLimit = defaultLimit;
        this.labelImportLimit = labelImportLimit;
        this.problems = problems;
    }

    /** The servlet path is decoded and normalised, as the handler mapping sees it: "/dicomweb/../api" is no upload. */
    private static String path(HttpServletRequest request) {
        return request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = path(request);
        return path.startsWith("/dicomweb/")
                || ("POST".equals(request.getMethod()) && "/api/v1/images".equals(path));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long limit = "POST".equals(request.getMethod()) && "/api/v1/labels".equals(path(request))
                ? labelImportLimit : defaultLimit;
        if (request.getContentLengthLong() > limit) {
            // The body is not read: the connection closes after the answer rather than taking it in.
            response.setHeader("Connection", "close");
            problems.write(request, response, HttpStatus.CONTENT_TOO_LARGE, TYPE, "Request too large", detail(limit));
            return;
        }
        chain.doFilter(new Counted(request, limit), response);
    }

    static String detail(long limit) {
        return "The request body is larger than this endpoint accepts (" + DataSize.ofBytes(limit).toMegabytes()
                + " MB; chestlens.api.max-body-size, or max-label-import-size for a label import).";
    }

    /** The request with its body counted as it is read. */
    private static final class Counted extends HttpServletRequestWrapper {

        private final long limit;
        private ServletInputStream counted;

        Counted(HttpServletRequest request, long limit) {
            super(request);
            this.limit = limit;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (counted == null) {
                counted = new CountedStream(super.getInputStream(), limit);
            }
            return counted;
        }

        @Override
        public BufferedReader getReader() throws IOException {
            String encoding = getCharacterEncoding();
            Charset charset = encoding == null ? StandardCharsets.ISO_8859_1 : Charset.forName(encoding);
            return new BufferedReader(new InputStreamReader(getInputStream(), charset));
        }
    }

    private static final class CountedStream extends ServletInputStream {

        private final ServletInputStream body;
        private final long limit;
        private long read;

        CountedStream(ServletInputStream body, long limit) {
            this.body = body;
            this.limit = limit;
        }

        private void count(long bytes) throws BodyTooLarge {
            read += bytes;
            if (read > limit) {
                throw new BodyTooLarge(limit);
            }
        }

        @Override
        public int read() throws IOException {
            int b = body.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = body.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        @Override
        public boolean isFinished() {
            return body.isFinished();
        }

        @Override
        public boolean isReady() {
            return body.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            body.setReadListener(listener);
        }
    }
}
