package org.chestlens.prediction;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.chestlens.platform.security.AuditedResources;
import org.chestlens.platform.security.RequiresRole;
import org.chestlens.platform.security.Role;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Lookups by hospital identifiers. POST with a JSON body so the identifiers stay out of URLs, access logs and
 * the audit trail, which records only that a search happened and the ids of what it returned.
 */
@RestController
@RequestMapping("/api/v1")
@Tag(name = "Predictions", description = "Stored images and predictions")
class HospitalLookupController {

    private final HospitalLookup lookup;

    HospitalLookupController(HospitalLookup lookup) {
        this.lookup = lookup;
    }

    @RequiresRole(value = Role.READER, action = "image.search")
    @PostMapping(path = "/images/search", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "searchImages", summary = "Find images (with their predictions) by hospital identifiers",
            description = "Accession number, Study/Series/SOP Instance UID and the upload's subject reference, in the "
                    + "body; every identifier given must match. Newest first, cursor-paginated.")
    @ApiResponse(responseCode = "200", description = "One page of matching images")
    @ApiResponse(responseCode = "400", description = "No identifier, an identifier too long, a bad limit or cursor",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    ImagePage searchImages(@RequestBody(required = false) ImageSearchRequest request) {
        ImagePage page = lookup.search(request);
        page.items().forEach(HospitalLookupController::audit);
        return page;
    }

    @RequiresRole(value = Role.READER, action = "study.read")
    @PostMapping(path = "/studies/lookup", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "getStudy", summary = "Every image of a study with its predictions, and a summary",
            description = "The Study Instance UID goes in the body. Per model version: the most likely class over "
                    + "the frontal images (View Position PA or AP; all images when none is frontal), the highest "
                    + "probability of each class, and the worst reliability.")
    @ApiResponse(responseCode = "200", description = "The study")
    @ApiResponse(responseCode = "404", description = "No image of this study is stored",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    StudyView lookupStudy(@RequestBody(required = false) StudyRequest request) {
        StudyView study = lookup.study(request);
        study.images().forEach(HospitalLookupController::audit);
        return study;
    }

    /** Our ids of what was returned: never the identifiers searched for. */
    private static void audit(ImageView image) {
        AuditedResources.add(image.id());
        image.predictions().forEach(p -> AuditedResources.add(p.id()));
    }
}
