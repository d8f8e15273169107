package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import org.chestlens.platform.ApiProblem;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpOutputMessage;
import org.springframework.http.MediaType;
import org.springframework.http.converter.FormHttpMessageConverter;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;

class FormDataBodyTest {

    private static final String BOUNDARY = "q1w2e3r4";

    @Test
    void partsOfABodyAsSpringsClientEncodesIt() throws IOException {
        byte[] dicom = new byte[300_000];
        new Random(3).nextBytes(dicom);
        // Near-delimiters inside the content: only a whole CRLF--boundary ends a part.
        byte[] nearMiss = ("\r\n--" + BOUNDARY.substring(0, 7) + "x\r\n--\r\n").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(nearMiss, 0, dicom, 1000, nearMiss.length);
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        MultiValueMap<String, Object> form = new LinkedMultiValueMap<>();
        form.add("file", file(dicom, "chest.dcm", MediaType.parseMediaType("application/dicom")));
        form.add("subject", "Patient/ünï");
        form.add("file", file(png, "chest.png", MediaType.IMAGE_PNG));

        Encoded encoded = encode(form);
        List<FormDataBody.Part> parts = FormDataBody.parse(encoded.body(), encoded.body().length,
                FormDataBody.boundaryOf(encoded.contentType()));

        // A MultiValueMap keeps the values of one name together.
        assertThat(parts).extracting(FormDataBody.Part::name).containsExactly("file", "file", "subject");
        assertThat(parts.get(0).content()).isEqualTo(dicom);
        assertThat(parts.get(0).filename()).isEqualTo("chest.dcm");
        assertThat(parts.get(0).contentType()).isEqualTo(MediaType.parseMediaType("application/dicom"));
        assertThat(parts.get(1).content()).isEqualTo(png);
        assertThat(parts.get(2).text()).isEqualTo("Patient/ünï");
        assertThat(parts.get(2).filename()).isNull();
    }

    @Test
    void randomFilesFullOfNearDelimitersComeBackByteForByte() {
        Random random = new Random(11);
        for (int round = 0; round < 200; round++) {
            String boundary = "b" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36).substring(0, 1 + random.nextInt(12));
            byte[] delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII);
            byte[][] files = new byte[1 + random.nextInt(3)][];
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (int f = 0; f < files.length; f++) {
                files[f] = new byte[random.nextInt(5000)];
                random.nextBytes(files[f]);
                // Plant prefixes of the delimiter (never the whole of it) all over the file.
                for (int plant = 0; plant < files[f].length / 100; plant++) {
                    int length = 1 + random.nextInt(delimiter.length - 1);
                    int at = random.nextInt(Math.max(1, files[f].length - length));
                    if (at + length <= files[f].length) {
                        System.arraycopy(delimiter, 0, files[f], at, length);
                    }
                }
                breakWholeDelimiters(files[f], delimiter);
                body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                body.writeBytes(files[f]);
                body.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] bytes = body.toByteArray();
            List<FormDataBody.Part> parts = FormDataBody.parse(bytes, bytes.length, boundary);
            assertThat(parts).as("round %d", round).hasSize(files.length);
            for (int f = 0; f < files.length; f++) {
                assertThat(parts.get(f).content()).as("round %d, file %d", round, f).isEqualTo(files[f]);
            }
        }
    }

    @Test
    void preambleEpilogueTransportPaddingAndPartsThatAreNoFormFieldsAreIgnored() {
        String body = "This is the preamble.\r\n--" + BOUNDARY + "  \t\r\n"
                + "content-disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n"
                + "abc\r\n--" + BOUNDARY + "\r\n"
                + "Content-Type: text/plain\r\n\r\n"
                + "no disposition\r\n--" + BOUNDARY + "\r\n"
                + "\r\n"
                + "no headers at all\r\n--" + BOUNDARY + "--\r\nThis is the epilogue.";
        List<FormDataBody.Part> parts = parse(body);
        assertThat(parts).hasSize(1);
        assertThat(new String(parts.get(0).content(), StandardCharsets.US_ASCII)).isEqualTo("abc");
    }

    @Test
    void anEmptyFilePartIsAPartWithNoBytes() {
        List<FormDataBody.Part> parts = parse("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; "
                + "filename=\"\"\r\n\r\n\r\n--" + BOUNDARY + "--\r\n");
        assertThat(parts).singleElement().satisfies(part -> assertThat(part.content()).isEmpty());
    }

    @Test
    void aBodyCutOffAnywhereBeforeItsClosingDelimiterIsRefused() throws IOException {
        byte[] file = new byte[2000];
        new Random(5).nextBytes(file);
        MultiValueMap<String, Object> form = new LinkedMultiValueMap<>();
        form.add("file", file(file, "x.dcm", MediaType.APPLICATION_OCTET_STREAM));
        Encoded encoded = encode(form);
        String boundary = FormDataBody.boundaryOf(encoded.contentType());
        int closing = encoded.body().length - ("--" + boundary + "--\r\n").length();
        for (int length : new int[] {0, 10, 60, 200, 1500, closing - 2, closing + 2}) {
            assertThatThrownBy(() -> FormDataBody.parse(encoded.body(), length, boundary))
                    .as("cut at %d of %d bytes", length, encoded.body().length)
                    .isInstanceOfSatisfying(ApiProblem.class, problem -> {
                        assertThat(problem.getStatusCode().value()).isEqualTo(400);
                        assertThat(problem.getBody().getType().toString())
                                .isEqualTo("urn:chestlens:problem:malformed-multipart");
                    });
        }
        assertThat(FormDataBody.parse(encoded.body(), encoded.body().length, boundary)).hasSize(1);
    }

    @Test
    void headersWithoutAnEndAreRefusedAfterTheLimit() {
        String endless = "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"\r\nX: "
                + "y".repeat(FormDataBody.MAX_HEADER_BYTES) + "\r\n\r\nabc\r\n--" + BOUNDARY + "--";
        assertThatThrownBy(() -> parse(endless)).isInstanceOf(ApiProblem.class).hasMessageContaining("headers");
    }

    @Test
    void readingTheStreamGivesWhatParsingTheWholeBodyGives() {
        Random random = new Random(17);
        for (int round = 0; round < 400; round++) {
            String letters = Long.toString(random.nextLong() & Long.MAX_VALUE, 36);
            String boundary = "b" + letters.substring(0, 1 + random.nextInt(letters.length()));
            byte[] delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            if (random.nextInt(8) == 0) {
                body.writeBytes("a preamble\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            int parts = random.nextInt(4) == 0 ? 2 + random.nextInt(2) : 1;
            for (int p = 0; p < parts; p++) {
                body.writeBytes(("--" + boundary + (random.nextInt(10) == 0 ? " \t" : "") + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                switch (random.nextInt(10)) {
                    case 0 -> body.writeBytes("\r\nno headers".getBytes(StandardCharsets.US_ASCII));
                    case 1 -> body.writeBytes("Content-Disposition: form-data; name=\"subject\"\r\n\r\nPatient/1"
                            .getBytes(StandardCharsets.US_ASCII));
                    case 2 -> body.writeBytes("Content-Type: text/plain\r\n\r\nnot a form field"
                            .getBytes(StandardCharsets.US_ASCII));
                    default -> {
                        // small files, files that end inside the first 16 KB read, and files well past it
                        byte[] file = new byte[random.nextInt(3) == 0 ? random.nextInt(200) : random.nextInt(60_000)];
                        random.nextBytes(file);
                        for (int plant = 0; plant < file.length / 500; plant++) {
                            int length = 1 + random.nextInt(delimiter.length - 1);
                            int at = random.nextInt(Math.max(1, file.length - length));
                            if (at + length <= file.length) {
                                System.arraycopy(delimiter, 0, file, at, length);
                            }
                        }
                        if (file.length > delimiter.length && random.nextInt(5) == 0) {
                            // the end of the file looks like the start of a delimiter
                            int length = 1 + random.nextInt(delimiter.length - 1);
                            System.arraycopy(delimiter, 0, file, file.length - length, length);
                        }
                        breakWholeDelimiters(file, delimiter);
                        body.writeBytes(("Content-Disposition: form-data; name=\"file\"; filename=\"x.dcm\"\r\n"
                                + "Content-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        body.writeBytes(file);
                    }
                }
                body.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            body.writeBytes(("--" + boundary + switch (random.nextInt(6)) {
                case 0 -> "--";
                case 1 -> "--\r\nan epilogue";
                case 2 -> "";
                default -> "--\r\n";
            }).getBytes(StandardCharsets.US_ASCII));
            byte[] bytes = body.toByteArray();
            Object parsed = outcome(() -> FormDataBody.parse(bytes, bytes.length, boundary));
            assertThat(outcome(() -> FormDataBody.read(new ByteArrayInputStream(bytes), bytes.length, boundary)))
                    .as("round %d", round).isEqualTo(parsed);
            // A client that stops sending early: what it sent is parsed (refused unless it closed the body).
            int cut = random.nextInt(bytes.length);
            assertThat(outcome(() -> FormDataBody.read(new ByteArrayInputStream(bytes, 0, cut), bytes.length, boundary)))
                    .as("round %d, the stream ending after %d of %d bytes", round, cut, bytes.length)
                    .isEqualTo(outcome(() -> FormDataBody.parse(bytes, cut, boundary)));
        }
    }

    /** The parts, each as its name, file name, type and bytes, or the problem that refused the body. */
    private static Object outcome(java.util.concurrent.Callable<List<FormDataBody.Part>> split) {
        try {
            List<List<String>> parts = new ArrayList<>();
            for (FormDataBody.Part part : split.call()) {
                parts.add(List.of(part.name(), String.valueOf(part.filename()), String.valueOf(part.contentType()),
                        HexFormat.of().formatHex(part.content())));
            }
            return parts;
        } catch (ApiProblem problem) {
            return problem.getStatusCode().value() + " " + problem.getBody().getTitle();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void boundaryComesFromTheContentTypeQuotedOrNot() {
        assertThat(FormDataBody.boundaryOf("multipart/form-data; boundary=abc")).isEqualTo("abc");
        assertThat(FormDataBody.boundaryOf("multipart/form-data; boundary=\"a b:c\"")).isEqualTo("a b:c");
        for (String bad : new String[] {"multipart/form-data", "multipart/form-data; boundary=\"\"", "x",
                "multipart/form-data; boundary=" + "b".repeat(71), "multipart/form-data; boundary=\"a\rb\""}) {
            assertThatThrownBy(() -> FormDataBody.boundaryOf(bad)).as(bad).isInstanceOf(ApiProblem.class);
        }
    }

    /** A plant next to a random byte that happens to complete it is a whole delimiter: not a file's byte. */
    private static void breakWholeDelimiters(byte[] file, byte[] delimiter) {
        for (int i = 0; i + delimiter.length <= file.length; i++) {
            if (Arrays.equals(file, i, i + delimiter.length, delimiter, 0, delimiter.length)) {
                file[i + delimiter.length - 1] ^= 0x7f;
            }
        }
    }

    private static List<FormDataBody.Part> parse(String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return FormDataBody.parse(bytes, bytes.length, BOUNDARY);
    }

    private static HttpEntity<ByteArrayResource> file(byte[] bytes, String name, MediaType type) {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(type);
        return new HttpEntity<>(new ByteArrayResource(bytes) {
            @Override
            public String getFilename() {
                return name;
            }
        }, headers);
    }

    private record Encoded(String contentType, byte[] body) {
    }

    /** What Spring's RestClient sends for a multipart form: the client most integrations are tested with. */
    private static Encoded encode(MultiValueMap<String, Object> form) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        HttpHeaders headers = new HttpHeaders();
        new FormHttpMessageConverter().write(form, MediaType.MULTIPART_FORM_DATA, new HttpOutputMessage() {
            @Override
            public java.io.OutputStream getBody() {
                return out;
            }

            @Override
            public HttpHeaders getHeaders() {
                return headers;
            }
        });
        return new Encoded(headers.getContentType().toString(), out.toByteArray());
    }
}
