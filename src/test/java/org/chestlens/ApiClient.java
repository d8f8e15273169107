package org.chestlens;

import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.client.RestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A plain HTTP client against the running test server; it never throws on 4xx/5xx. */
public final class ApiClient {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final RestClient http;

    /** With a token holding every role; see {@link TestSecurity}. */
    public ApiClient(int port) {
        this(port, TestSecurity.allRoles());
    }

    /** With the given credential headers (none: an empty {@link HttpHeaders}). */
    public ApiClient(int port, HttpHeaders credentials) {
        this.http = RestClient.builder()
                // The JDK client: Apache HttpClient 5 (on the test class path through a dependency) would
                // silently retry a 429 or 503 after its Retry-After, hiding exactly what tests check.
                .requestFactory(new JdkClientHttpRequestFactory())
                .baseUrl("http://localhost:" + port)
                .defaultHeaders(h -> h.addAll(credentials))
                .defaultStatusHandler(HttpStatusCode::isError, (request, response) -> {
                })
                .build();
    }

    public record Answer(int status, HttpHeaders headers, JsonNode body) {
        public String contentType() {
            return headers.getContentType() == null ? null : headers.getContentType().toString();
        }
    }

    public Answer upload(byte[]... files) {
        return upload(new HttpHeaders(), files);
    }

    public Answer upload(HttpHeaders headers, byte[]... files) {
        MultiValueMap<String, Object> body = new LinkedMultiValueMap<>();
        for (int i = 0; i < files.length; i++) {
            body.add("file", filePart(files[i], "image-" + i + ".png", MediaType.IMAGE_PNG));
        }
        return post("/api/v1/images", body, headers);
    }

    /**
     * Uploads one image and returns it (the {@code images[0]} of the answer) once scored: the upload waits up to
     * 120 s, and on a loaded machine that needs longer the image is polled for up to 5 minutes more.
     */
    public JsonNode uploadScored(byte[] png) {
        Answer answer = upload(header("Prefer", "wait=120"), png);
        if (answer.status() != 201 && answer.status() != 202 && answer.status() != 200) {
            throw new AssertionError("upload answered " + answer.status() + ": " + answer.body());
        }
        JsonNode image = answer.body().path("images").path(0);
        long deadline = System.nanoTime() + 300_000_000_000L;
        while (image.path("predictions").isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            image = get("/api/v1/images/" + image.path("id").asString()).body();
        }
        if (image.path("predictions").isEmpty()) {
            throw new AssertionError("not scored within 7 minutes: " + image);
        }
        return image;
    }

    public static HttpHeaders header(String name, String value) {
        HttpHeaders headers = new HttpHeaders();
        headers.add(name, value);
        return headers;
    }

    public static HttpEntity<ByteArrayResource> filePart(byte[] bytes, String filename, MediaType type) {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(type);
        headers.setContentDispositionFormData("file", filename);
        return new HttpEntity<>(new ByteArrayResource(bytes) {
            @Override
            public String getFilename() {
                return filename;
            }
        }, headers);
    }

    public Answer post(String path, MultiValueMap<String, Object> multipart) {
        return post(path, multipart, new HttpHeaders());
    }

    public Answer post(String path, MultiValueMap<String, Object> multipart, HttpHeaders headers) {
        ResponseEntity<String> response = http.post().uri(path).contentType(MediaType.MULTIPART_FORM_DATA)
                .headers(h -> h.addAll(headers)).body(multipart).retrieve().toEntity(String.class);
        return answer(response);
    }

    /** A request with a body as it is (e.g. a DICOMweb multipart/related body built by the test). */
    public Answer post(String path, String contentType, byte[] body) {
        return post(path, contentType, body, new HttpHeaders());
    }

    public Answer post(String path, String contentType, byte[] body, HttpHeaders headers) {
        ResponseEntity<String> response = http.post().uri(path).contentType(MediaType.parseMediaType(contentType))
                .headers(h -> h.addAll(headers)).body(body).retrieve().toEntity(String.class);
        return answer(response);
    }

    public Answer get(String path) {
        return answer(http.get().uri(path).retrieve().toEntity(String.class));
    }

    /** Any request; the headers are added to (or, for the same name, replace) the client's credentials. */
    public Answer send(HttpMethod method, String path, HttpHeaders headers, MediaType contentType, Object body) {
        RestClient.RequestBodySpec request = http.method(method).uri(path).headers(h -> headers.forEach(h::put));
        if (contentType != null) {
            request.contentType(contentType);
        }
        if (body != null) {
            request.body(body);
        }
        return answer(request.retrieve().toEntity(String.class));
    }

    public record BytesAnswer(int status, HttpHeaders headers, byte[] body) {
    }

    /** A GET whose answer is kept as bytes (a PNG); the headers are added to the credentials. */
    public BytesAnswer getBytes(String path, HttpHeaders headers) {
        ResponseEntity<byte[]> response = http.get().uri(path).headers(h -> headers.forEach(h::put)).retrieve()
                .toEntity(byte[].class);
        return new BytesAnswer(response.getStatusCode().value(), response.getHeaders(), response.getBody());
    }

    public Answer putJson(String path, Object body) {
        return send(HttpMethod.PUT, path, new HttpHeaders(), MediaType.APPLICATION_JSON, body);
    }

    public Answer postJson(String path, Object body) {
        return send(HttpMethod.POST, path, new HttpHeaders(), MediaType.APPLICATION_JSON, body);
    }

    /** An answer whose body is kept as text (e.g. FHIR JSON for HAPI's parser and validator). */
    public record TextAnswer(int status, HttpHeaders headers, String body) {
        public String contentType() {
            return headers.getContentType() == null ? null : headers.getContentType().toString();
        }
    }

    public TextAnswer getText(String path, HttpHeaders headers) {
        ResponseEntity<String> response = http.get().uri(path).headers(h -> h.addAll(headers)).retrieve()
                .toEntity(String.class);
        return new TextAnswer(response.getStatusCode().value(), response.getHeaders(), response.getBody());
    }

    /** Any method with a JSON body (POST, PUT, PATCH). */
    public Answer sendJson(HttpMethod method, String path, String json) {
        return answer(http.method(method).uri(path).contentType(MediaType.APPLICATION_JSON).body(json).retrieve()
                .toEntity(String.class));
    }

    public Answer delete(String path) {
        return answer(http.delete().uri(path).retrieve().toEntity(String.class));
    }

    private static Answer answer(ResponseEntity<String> response) {
        String text = response.getBody();
        JsonNode body = text == null || text.isBlank() ? JSON.missingNode() : JSON.readTree(text);
        return new Answer(response.getStatusCode().value(), response.getHeaders(), body);
    }

}
