package org.chestlens;

import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.client.RestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A plain HTTP client against the running test server; it never throws on 4xx/5xx. */
public final class ApiClient {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final RestClient http;

    public ApiClient(int port) {
        this.http = RestClient.builder()
                .baseUrl("http://localhost:" + port)
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

    public Answer get(String path) {
        return answer(http.get().uri(path).retrieve().toEntity(String.class));
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
        JsonNode body = response.getBody() == null ? JSON.missingNode() : JSON.readTree(response.getBody());
        return new Answer(response.getStatusCode().value(), response.getHeaders(), body);
    }

}
