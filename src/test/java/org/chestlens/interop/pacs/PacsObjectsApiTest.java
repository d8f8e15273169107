package org.chestlens.interop.pacs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import javax.imageio.ImageIO;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.ContentItem;
import com.pixelmed.dicom.ContentItemFactory;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.StructuredReport;
import com.pixelmed.dicom.TagFromName;
import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ApiClient.BytesAnswer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.chestlens.interop.StudyInstances;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import tools.jackson.databind.JsonNode;

/**
 * The SR and the Secondary Capture of a fresh DICOM upload as the endpoints serve them: dciodvfy finds no
 * error in either, the SR's numbers are the stored prediction's, both join the source study in new series
 * with UIDs that do not change between fetches, and neither they nor the API answers nor the log carry
 * the patient identity the upload came with. A PNG upload's prediction has no study (409), an unknown id
 * is 404, and a Secondary Capture whose model view has expired is 409.
 */
@ChestlensIntegrationTest
@ExtendWith(OutputCaptureExtension.class)
class PacsObjectsApiTest {

    private static final HttpHeaders ACCEPT_DICOM = ApiClient.header("Accept", "application/dicom");

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Test
    void srAndScOfADicomUploadAreValidJoinTheStudyAndCarryNoIdentity(CapturedOutput output) throws Exception {
        ApiClient api = new ApiClient(port);
        String study = StudyInstances.newUid();
        String series = StudyInstances.newUid();
        String sop = StudyInstances.newUid();
        byte[] upload = StudyInstances.instance(study, series, sop, "ACC-PACS-1");
        for (String identity : TestImages.FIXTURE_PATIENT_IDENTITY) {
            assertThat(new String(upload, StandardCharsets.ISO_8859_1)).as("the fixture carries " + identity)
                    .contains(identity);
        }
        Answer uploaded = uploadDicom(api, upload);
        assertThat(uploaded.status()).isEqualTo(201);
        JsonNode prediction = uploaded.body().path("images").path(0).path("predictions").path(0);
        String predictionId = prediction.path("id").asString();

        // The SR: valid, in the source study, with the stored numbers.
        BytesAnswer sr = api.getBytes("/api/v1/predictions/" + predictionId + "/dicom-sr", ACCEPT_DICOM);
        assertThat(sr.status()).isEqualTo(200);
        assertThat(sr.headers().getContentType().toString()).isEqualTo("application/dicom");
        assertValid(sr.body(), "sr");
        AttributeList srList = read(sr.body());
        assertThat(text(srList, TagFromName.SOPClassUID)).isEqualTo("1.2.840.10008.5.1.4.1.1.88.33");
        assertThat(text(srList, TagFromName.StudyInstanceUID)).isEqualTo(study);
        assertThat(text(srList, TagFromName.SeriesInstanceUID)).isNotEqualTo(series);
        assertThat(text(srList, TagFromName.AccessionNumber)).isEqualTo("ACC-PACS-1");
        assertThat(text(srList, TagFromName.Modality)).isEqualTo("SR");
        assertThat(text(srList, TagFromName.VerificationFlag)).isEqualTo("UNVERIFIED");
        assertEmptyPatientModule(srList);
        ContentItem root = (ContentItem) new StructuredReport(srList).getRoot();
        List<ContentItem> items = flatten(root);
        assertThat(items).anySatisfy(i -> {
            assertThat(i.getConceptNameCodeValue()).isEqualTo("121005");
            assertThat(((ContentItemFactory.CodeContentItem) i).getConceptCode().getCodeValue()).isEqualTo("121007");
        });
        assertThat(items).anySatisfy(i -> {
            assertThat(i.getValueType()).isEqualTo("IMAGE");
            assertThat(i.getReferencedSOPClassUID()).isEqualTo("1.2.840.10008.5.1.4.1.1.1.1");
            assertThat(i.getReferencedSOPInstanceUID()).isEqualTo(sop);
        });
        for (int k = 0; k < 4; k++) {
            String code = "CVX" + k + "P";
            double stored = prediction.path("probabilities").path("CVX" + k).asDouble();
            ContentItem num = items.stream().filter(i -> code.equals(i.getConceptNameCodeValue())).findFirst()
                    .orElseThrow(() -> new AssertionError("no NUM " + code));
            assertThat(num.getValueType()).isEqualTo("NUM");
            assertThat(Double.parseDouble(((ContentItemFactory.NumericContentItem) num).getNumericValue()))
                    .isCloseTo(stored, within(1e-6));
        }
        assertThat(prediction.path("subTaskScores").size()).as("only the three scores in the API").isEqualTo(3);
        ContentItem score = items.stream().filter(i -> "CVX03vs12".equals(i.getConceptNameCodeValue())).findFirst()
                .orElseThrow();
        assertThat(Double.parseDouble(((ContentItemFactory.NumericContentItem) score).getNumericValue()))
                .isCloseTo(prediction.path("subTaskScores").path("CVX03vs12").asDouble(), within(1e-6));
        ContentItem finding = items.stream().filter(i -> "121071".equals(i.getConceptNameCodeValue())).findFirst()
                .orElseThrow();
        assertThat(finding.getValueType()).isEqualTo("CODE");
        assertThat(((ContentItemFactory.CodeContentItem) finding).getConceptCode().getCodeValue())
                .isEqualTo(prediction.path("predictedClass").path("code").asString());
        assertThat(items).anySatisfy(i -> assertThat(i.getConceptNameCodeValue()).isEqualTo("NOTICE"));
        List<String> checksums = new ArrayList<>();
        prediction.path("model").path("foldChecksums").forEach(c -> checksums.add(c.asString()));
        assertThat(checksums).isNotEmpty()
                .allSatisfy(c -> assertThat(new String(sr.body(), StandardCharsets.UTF_8)).contains(c));

        // Fetched again: the same instance, byte for byte; If-None-Match answers 304.
        BytesAnswer again = api.getBytes("/api/v1/predictions/" + predictionId + "/dicom-sr", ACCEPT_DICOM);
        assertThat(again.body()).isEqualTo(sr.body());
        HttpHeaders conditional = ApiClient.header("If-None-Match", sr.headers().getETag());
        conditional.add("Accept", "application/dicom");
        assertThat(api.getBytes("/api/v1/predictions/" + predictionId + "/dicom-sr", conditional).status())
                .isEqualTo(304);

        // The Secondary Capture: valid, burned-in banner declared, the picture's size.
        BytesAnswer sc = api.getBytes("/api/v1/predictions/" + predictionId + "/dicom-sc", ACCEPT_DICOM);
        assertThat(sc.status()).isEqualTo(200);
        assertValid(sc.body(), "sc");
        AttributeList scList = read(sc.body());
        assertThat(text(scList, TagFromName.SOPClassUID)).isEqualTo("1.2.840.10008.5.1.4.1.1.7");
        assertThat(text(scList, TagFromName.StudyInstanceUID)).isEqualTo(study);
        assertThat(text(scList, TagFromName.SeriesInstanceUID)).isNotIn(series,
                text(srList, TagFromName.SeriesInstanceUID));
        assertThat(text(scList, TagFromName.BurnedInAnnotation)).isEqualTo("YES");
        assertThat(text(scList, TagFromName.PhotometricInterpretation)).isEqualTo("RGB");
        assertThat(Attribute.getSingleIntegerValueOrDefault(scList, TagFromName.Columns, 0)).isEqualTo(448);
        assertThat(Attribute.getSingleIntegerValueOrDefault(scList, TagFromName.Rows, 0)).isEqualTo(510);
        assertEmptyPatientModule(scList);
        assertThat(api.getBytes("/api/v1/predictions/" + predictionId + "/dicom-sc", ACCEPT_DICOM).body())
                .isEqualTo(sc.body());
        BufferedImage picture = picture(scList);
        // The banner row is the burned-in red strip; the legend strip at the bottom is dark grey.
        assertThat(picture.getRGB(1, 1) & 0xffffff).isEqualTo(0x8b0000);
        assertThat(picture.getRGB(1, 509) & 0xffffff).isEqualTo(0x202020);
        Path target = Path.of("target/pacs");
        Files.createDirectories(target);
        ImageIO.write(picture, "png", target.resolve("secondary-capture.png").toFile());
        Files.write(target.resolve("prediction-sr.dcm"), sr.body());
        Files.write(target.resolve("prediction-sc.dcm"), sc.body());

        // No identity from the upload in the objects, the API's answers or the log. The SC is checked up to
        // its pixels (the last element: 12 bytes of header, then 448 x 510 x 3 bytes), whose colours could
        // spell anything.
        int scHeaderLength = sc.body().length - 12 - 448 * 510 * 3;
        Answer image = api.get("/api/v1/images/" + uploaded.body().path("images").path(0).path("id").asString());
        Answer predictionAnswer = api.get("/api/v1/predictions/" + predictionId);
        for (String identity : TestImages.FIXTURE_PATIENT_IDENTITY) {
            assertThat(new String(sr.body(), StandardCharsets.ISO_8859_1)).as("SR containing " + identity)
                    .doesNotContain(identity);
            assertThat(new String(sc.body(), 0, scHeaderLength, StandardCharsets.ISO_8859_1))
                    .as("SC attributes containing " + identity).doesNotContain(identity);
            assertThat(uploaded.body().toString() + image.body() + predictionAnswer.body())
                    .as("API answers containing " + identity).doesNotContain(identity);
            assertThat(output.getAll()).as("logs containing " + identity).doesNotContain(identity);
        }
    }

    @Test
    void aPngUploadHasNoStudyAnUnknownIdIsNotFoundAndAnExpiredModelViewHasNoCapture() {
        ApiClient api = new ApiClient(port);
        Answer png = api.upload(ApiClient.header("Prefer", "wait=120"), TestImages.syntheticPng(20, 256, 256));
        assertThat(png.status()).isEqualTo(201);
        String pngPrediction = png.body().path("images").path(0).path("predictions").path(0).path("id").asString();
        for (String object : List.of("dicom-sr", "dicom-sc")) {
            Answer conflict = api.get("/api/v1/predictions/" + pngPrediction + "/" + object);
            assertThat(conflict.status()).as(object).isEqualTo(409);
            assertThat(conflict.contentType()).startsWith("application/problem+json");
            assertThat(conflict.body().path("type").asString()).isEqualTo("urn:chestlens:problem:no-dicom-study");
            Answer unknown = api.get("/api/v1/predictions/" + UUID.randomUUID() + "/" + object);
            assertThat(unknown.status()).as(object).isEqualTo(404);
            assertThat(unknown.contentType()).startsWith("application/problem+json");
        }

        Answer dicom = uploadDicom(api, StudyInstances.instance(StudyInstances.newUid(), StudyInstances.newUid(),
                StudyInstances.newUid()));
        JsonNode image = dicom.body().path("images").path(0);
        jdbc.sql("DELETE FROM image_model_view WHERE image_id = :id")
                .param("id", UUID.fromString(image.path("id").asString())).update();
        String predictionId = image.path("predictions").path(0).path("id").asString();
        Answer expired = api.get("/api/v1/predictions/" + predictionId + "/dicom-sc");
        assertThat(expired.status()).isEqualTo(409);
        assertThat(expired.body().path("type").asString()).isEqualTo("urn:chestlens:problem:model-view-unavailable");
        // The SR needs no picture.
        assertThat(api.getBytes("/api/v1/predictions/" + predictionId + "/dicom-sr", ACCEPT_DICOM).status())
                .isEqualTo(200);
    }

    static Answer uploadDicom(ApiClient api, byte[] file) {
        MultiValueMap<String, Object> body = new LinkedMultiValueMap<>();
        body.add("file", ApiClient.filePart(file, "study.dcm", MediaType.parseMediaType("application/dicom")));
        return api.post("/api/v1/images", body, ApiClient.header("Prefer", "wait=120"));
    }

    static void assertValid(byte[] part10, String name) throws IOException, InterruptedException {
        Dciodvfy.Report report = Dciodvfy.check(part10, name);
        assertThat(report.errors()).as("dciodvfy errors in the " + name + ":\n" + report.output()).isEmpty();
        Path target = Path.of("target/pacs");
        Files.createDirectories(target);
        Files.writeString(target.resolve("dciodvfy-" + name + ".txt"), report.output());
    }

    static AttributeList read(byte[] part10) throws Exception {
        AttributeList list = new AttributeList();
        list.read(new DicomInputStream(new ByteArrayInputStream(part10)));
        return list;
    }

    private static String text(AttributeList list, com.pixelmed.dicom.AttributeTag tag) {
        return Attribute.getSingleStringValueOrEmptyString(list, tag);
    }

    private static void assertEmptyPatientModule(AttributeList list) {
        for (var tag : List.of(TagFromName.PatientName, TagFromName.PatientID, TagFromName.PatientBirthDate,
                TagFromName.PatientSex)) {
            assertThat(list.get(tag)).as("Type 2 " + tag + " present").isNotNull();
            assertThat(list.get(tag).getVL()).as(tag + " empty").isZero();
        }
    }

    private static List<ContentItem> flatten(ContentItem item) {
        List<ContentItem> all = new ArrayList<>();
        all.add(item);
        for (int i = 0; i < item.getChildCount(); i++) {
            all.addAll(flatten((ContentItem) item.getChildAt(i)));
        }
        return all;
    }

    private static BufferedImage picture(AttributeList list) throws Exception {
        int width = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Columns, 0);
        int height = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Rows, 0);
        byte[] rgb = list.get(TagFromName.PixelData).getByteValues();
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < width * height; i++) {
            image.setRGB(i % width, i / width,
                    ((rgb[3 * i] & 0xff) << 16) | ((rgb[3 * i + 1] & 0xff) << 8) | (rgb[3 * i + 2] & 0xff));
        }
        return image;
    }
}
