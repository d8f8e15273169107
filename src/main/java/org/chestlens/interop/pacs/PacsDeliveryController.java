package org.chestlens.interop.pacs;

import java.util.List;
import java.util.UUID;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.chestlens.platform.security.RequiresRole;
import org.chestlens.platform.security.Role;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The PACS destinations and what was sent to them, for administrators (like webhook deliveries). */
@RestController
@Tag(name = "PACS", description = "DICOM result objects (SR, Secondary Capture) sent to configured PACS destinations "
        + "by STOW-RS or C-STORE")
class PacsDeliveryController {

    private static final String PROBLEM_JSON = "application/problem+json";

    private final PacsDeliveries deliveries;

    PacsDeliveryController(PacsDeliveries deliveries) {
        this.deliveries = deliveries;
    }

    @RequiresRole(value = Role.ADMIN, action = "pacs.destinations")
    @GetMapping("/api/v1/pacs/destinations")
    @Operation(operationId = "listPacsDestinations",
            summary = "The configured PACS destinations (without credentials), with object counts per status")
    List<PacsDestinationView> destinations() {
        return deliveries.destinations();
    }

    @RequiresRole(value = Role.ADMIN, action = "pacs.deliveries")
    @GetMapping("/api/v1/pacs/destinations/{name}/deliveries")
    @Operation(operationId = "listPacsDeliveries", summary = "A destination's objects, newest first, each with every "
            + "attempt (HTTP or DIMSE status, error, duration)")
    @ApiResponse(responseCode = "200", description = "One page of objects")
    @ApiResponse(responseCode = "404", description = "No destination of this name is configured",
            content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = ProblemDetail.class)))
    PacsDeliveryPage list(@PathVariable String name,
                          @RequestParam(defaultValue = "50") @Min(1) @Max(PacsDeliveries.MAX_PAGE) int limit,
                          @Parameter(description = "nextCursor of the previous page")
                          @RequestParam(required = false) String cursor) {
        return deliveries.deliveries(name, limit, cursor);
    }

    @RequiresRole(value = Role.ADMIN, action = "pacs.delivery")
    @GetMapping("/api/v1/pacs/deliveries/{id}")
    @Operation(operationId = "getPacsDelivery", summary = "One object's status and attempts")
    @ApiResponse(responseCode = "200", description = "The delivery")
    @ApiResponse(responseCode = "404", description = "No such delivery",
            content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = ProblemDetail.class)))
    PacsDeliveryView get(@PathVariable UUID id) {
        return deliveries.delivery(id);
    }

    @RequiresRole(value = Role.ADMIN, action = "pacs.resend")
    @PostMapping(value = "/api/v1/pacs/deliveries/{id}/resend", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "resendPacsDelivery", summary = "Send an object again",
            description = "Makes the object due now with a fresh allowance of attempts, whatever its status (FAILED, "
                    + "or DELIVERED but lost by the PACS). The same instance goes again (same SOP Instance UID); a "
                    + "finished row no longer holds the patient module, so it goes with an empty one.")
    @ApiResponse(responseCode = "202", description = "Due now; the answer shows the delivery as it stands")
    @ApiResponse(responseCode = "404", description = "No such delivery, or its destination is no longer configured",
            content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "409", description = "The image is not scored yet (not-scored-yet)",
            content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = ProblemDetail.class)))
    ResponseEntity<PacsDeliveryView> resend(@PathVariable UUID id) {
        return ResponseEntity.accepted().body(deliveries.resend(id));
    }
}
