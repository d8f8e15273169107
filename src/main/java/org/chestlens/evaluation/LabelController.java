package org.chestlens.evaluation;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Pattern;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.chestlens.platform.ApiProblem;
import org.chestlens.prediction.PredictionStore;
import org.chestlens.platform.security.AuditedResources;
import org.chestlens.platform.security.RequiresRole;
import org.chestlens.platform.security.Role;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.MappingIterator;
import tools.jackson.dataformat.csv.CsvMapper;
import tools.jackson.dataformat.csv.CsvSchema;

@RestController
@RequestMapping("/api/v1")
@Tag(name = "Labels", description = "Reference and reader labels for evaluating a model (the labelling study)")
class LabelController {

    private static final CsvMapper CSV = CsvMapper.builder().build();
    private static final int MAX_REPORTED = 20;

    private final LabelStore labels;
    private final PredictionStore images;

    LabelController(LabelStore labels, PredictionStore images) {
        this.labels = labels;
        this.images = images;
    }

    record BatchResult(int stored, int replaced) {
    }

    @RequiresRole(value = {Role.ANNOTATOR, Role.ANALYST}, action = "label.read")
    @GetMapping("/images/{imageId}/labels")
    @Operation(operationId = "getImageLabels",
            summary = "An image's reference label, reader labels and the values they replaced")
    ImageLabels labelsOf(@PathVariable UUID imageId) {
        requireImage(imageId);
        return labels.labelsOf(imageId);
    }

    @RequiresRole(value = Role.ANNOTATOR, action = "label.write")
    @PutMapping("/images/{imageId}/labels/reference")
    @Operation(operationId = "setReferenceLabel",
            summary = "Set the image's reference label", description = "201 when new, 200 when it replaced a "
            + "value (kept in the history)")
    @ApiResponse(responseCode = "201", description = "A new label")
    @ApiResponse(responseCode = "200", description = "Replaced an earlier value, which stays in the history")
    ResponseEntity<ImageLabels> putReference(@PathVariable UUID imageId, @Valid @RequestBody LabelInput label) {
        return put(imageId, null, label);
    }

    @RequiresRole(value = Role.ANNOTATOR, action = "label.write")
    @PutMapping("/images/{imageId}/labels/readers/{readerId}")
    @Operation(operationId = "setReaderLabel",
            summary = "Set one reader's label for the image", description = "201 when new, 200 when the reader "
            + "relabelled the image (the previous value is kept in the history)")
    @ApiResponse(responseCode = "201", description = "A new label")
    @ApiResponse(responseCode = "200", description = "Replaced an earlier value, which stays in the history")
    ResponseEntity<ImageLabels> putReader(@PathVariable UUID imageId,
                                          @PathVariable @Pattern(regexp = LabelStore.READER_ID) String readerId,
                                          @Valid @RequestBody LabelInput label) {
        return put(imageId, readerId, label);
    }

    @RequiresRole(value = Role.ANNOTATOR, action = "label.import")
    @PostMapping(path = "/labels", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "importLabels",
            summary = "Store many labels at once", description = "All or nothing: one unknown image (404) or bad "
            + "class (400) stores none. Images are named by chestlens image id or DICOM SOP Instance UID.")
    BatchResult postJson(@Valid @RequestBody LabelBatch batch) {
        return store(batch.labels().stream().map(e -> new Pending(e.image(), e.reader(), e.value())).toList());
    }

    @RequiresRole(value = Role.ANNOTATOR, action = "label.import")
    @PostMapping(path = "/labels", consumes = "text/csv")
    @Operation(operationId = "importLabels",
            summary = "Store labels from InnerEye's dataset.csv", description = "Columns series (chestlens image "
            + "id or DICOM SOP Instance UID) and final_label (0-3); subject, filepath and other columns are ignored. "
            + "Reference labels unless reader is given. All or nothing.")
    BatchResult postCsv(@RequestBody String csv,
                        @Parameter(description = "Store the rows as this reader's labels; reference labels when omitted")
                        @RequestParam(required = false) @Pattern(regexp = LabelStore.READER_ID) String reader) {
        List<Pending> pending = new ArrayList<>();
        // The first bad rows, for the answer, and how many there were: a body of nothing but bad rows is 16 MB.
        List<String> bad = new ArrayList<>();
        int badRows = 0;
        try (MappingIterator<Map<String, String>> rows = CSV.readerForMapOf(String.class)
                .with(CsvSchema.emptySchema().withHeader()).readValues(csv)) {
            int line = 1;
            while (rows.hasNextValue()) {
                Map<String, String> row = rows.nextValue();
                line++;
                if (line == 2 && (!row.containsKey("series") || !row.containsKey("final_label"))) {
                    throw badRequest("bad-csv", "The CSV needs the columns series and final_label (InnerEye's dataset.csv).");
                }
                if (line - 1 > LabelBatch.MAX_LABELS) {
                    throw badRequest("bad-csv", "At most " + LabelBatch.MAX_LABELS + " labels per request.");
                }
                Integer label = parseClass(row.get("final_label"));
                String series = row.get("series") == null ? "" : row.get("series").trim();
                if (label == null || series.isEmpty()) {
                    if (badRows++ < MAX_REPORTED) {
                        bad.add("line " + line);
                    }
                    continue;
                }
                pending.add(new Pending(series, reader, new LabelInput(label, null, null)));
            }
        } catch (JacksonException unreadable) {
            throw badRequest("bad-csv", "The body is not readable as CSV with a header row.");
        }
        if (badRows > 0) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "bad-label", "Bad label",
                    badRows + " row(s) lack a series or have a final_label outside 0-3; nothing was stored.",
                    Map.of("rows", bad), null);
        }
        if (pending.isEmpty()) {
            throw badRequest("bad-csv", "The CSV has no rows.");
        }
        return store(pending);
    }

    private record Pending(String image, String reader, LabelInput value) {
    }

    private BatchResult store(List<Pending> pending) {
        Map<String, UUID> resolved = images.resolveImages(pending.stream().map(Pending::image).toList());
        Set<String> unknown = new LinkedHashSet<>();
        pending.stream().map(Pending::image).filter(i -> !resolved.containsKey(i)).forEach(unknown::add);
        if (!unknown.isEmpty()) {
            throw new ApiProblem(HttpStatus.NOT_FOUND, "not-found", "Image not found",
                    unknown.size() + " image reference(s) match no uploaded image; nothing was stored.",
                    Map.of("unknownImages", unknown.stream().limit(MAX_REPORTED).toList()), null);
        }
        List<Boolean> replaced = labels.write(pending.stream()
                .map(p -> new LabelStore.Write(resolved.get(p.image()), p.reader(), p.value())).toList());
        // The audit trail names each labelled image (up to AuditedResources' cap), not just the request.
        resolved.values().stream().distinct().forEach(AuditedResources::add);
        return new BatchResult(replaced.size(), (int) replaced.stream().filter(r -> r).count());
    }

    private ResponseEntity<ImageLabels> put(UUID imageId, String reader, LabelInput label) {
        requireImage(imageId);
        boolean replaced = labels.write(List.of(new LabelStore.Write(imageId, reader, label))).get(0);
        return ResponseEntity.status(replaced ? HttpStatus.OK : HttpStatus.CREATED).body(labels.labelsOf(imageId));
    }

    private void requireImage(UUID imageId) {
        if (images.resolveImages(List.of(imageId.toString())).isEmpty()) {
            throw ApiProblem.notFound("Image", imageId);
        }
    }

    private static Integer parseClass(String text) {
        if (text == null) {
            return null;
        }
        return switch (text.trim()) {
            case "0" -> 0;
            case "1" -> 1;
            case "2" -> 2;
            case "3" -> 3;
            default -> null;
        };
    }

    private static ApiProblem badRequest(String slug, String detail) {
        return new ApiProblem(HttpStatus.BAD_REQUEST, slug, "Bad request", detail);
    }
}
