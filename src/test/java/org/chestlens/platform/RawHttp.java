package org.chestlens.platform;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * HTTP/1.1 over a plain socket, bytes exactly as given: Java's clients re-encode a request target
 * and refuse invalid percent-escapes, and hostile requests are exactly those. One request per
 * connection ({@code Connection: close}).
 */
final class RawHttp {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final int port;
    private final int timeoutMillis;

    RawHttp(int port, int timeoutMillis) {
        this.port = port;
        this.timeoutMillis = timeoutMillis;
    }

    /** A request as it goes on the wire; {@code target} and the header values are sent byte for byte (ISO-8859-1). */
    record Request(String method, String target, Map<String, String> headers, byte[] body, String version) {

        Request {
            headers = new LinkedHashMap<>(headers);
            body = body == null ? new byte[0] : body;
        }

        Request(String method, String target, Map<String, String> headers, byte[] body) {
            this(method, target, headers, body, "HTTP/1.1");
        }

        static Request get(String target, Map<String, String> headers) {
            return new Request("GET", target, headers, null);
        }

        byte[] bytes() {
            StringBuilder head = new StringBuilder(method).append(' ').append(target).append(' ').append(version).append("\r\n");
            head.append("Host: localhost\r\nConnection: close\r\n");
            headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
            if (body.length > 0 || method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            byte[] start = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            byte[] all = new byte[start.length + body.length];
            System.arraycopy(start, 0, all, 0, start.length);
            System.arraycopy(body, 0, all, start.length, body.length);
            return all;
        }

        /** For a failure message: short, with the body's start only. */
        String describe() {
            String text = method + " " + abbreviate(target, 300) + " " + headers.keySet();
            return body.length == 0 ? text
                    : text + " body[" + body.length + "]=" + abbreviate(new String(body, StandardCharsets.ISO_8859_1), 200);
        }
    }

    /** status -1: no answer within the timeout (a hang) or the connection closed without one. */
    record Response(int status, Map<String, String> headers, byte[] body) {

        String contentType() {
            return headers.getOrDefault("content-type", "");
        }

        boolean isProblem() {
            return contentType().startsWith("application/problem+json");
        }

        /** The problem's type, or null when the body is no JSON object with one. */
        String problemType() {
            try {
                JsonNode node = JSON.readTree(body);
                return node.path("type").isString() ? node.path("type").asString() : null;
            } catch (RuntimeException notJson) {
                return null;
            }
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    Response send(Request request) {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(timeoutMillis);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request.bytes());
                out.flush();
            } catch (IOException closedEarly) {
                // The server may answer (and close) before reading a refused body: read what it said.
            }
            return parse(socket.getInputStream().readAllBytes());
        } catch (SocketTimeoutException hang) {
            return new Response(-1, Map.of(), "no answer within the timeout".getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Response(-1, Map.of(), e.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    private static Response parse(byte[] raw) throws IOException {
        int headerEnd = indexOf(raw, new byte[] {'\r', '\n', '\r', '\n'}, 0);
        if (headerEnd < 0) {
            return new Response(-1, Map.of(), raw);
        }
        String[] lines = new String(raw, 0, headerEnd, StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
        }
        byte[] body = java.util.Arrays.copyOfRange(raw, headerEnd + 4, raw.length);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = dechunk(body);
        }
        return new Response(status, headers, body);
    }

    private static byte[] dechunk(byte[] chunked) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int at = 0;
        while (at < chunked.length) {
            int lineEnd = indexOf(chunked, new byte[] {'\r', '\n'}, at);
            if (lineEnd < 0) {
                break;
            }
            String sizeText = new String(chunked, at, lineEnd - at, StandardCharsets.ISO_8859_1).split(";")[0].trim();
            int size = Integer.parseInt(sizeText, 16);
            if (size == 0) {
                break;
            }
            body.write(chunked, lineEnd + 2, Math.min(size, chunked.length - lineEnd - 2));
            at = lineEnd + 2 + size + 2;
        }
        return body.toByteArray();
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = from; i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static String abbreviate(String text, int max) {
        String printable = text.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() <= max ? printable : printable.substring(0, max) + "...(" + text.length() + ")";
    }

}
