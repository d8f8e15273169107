package org.chestlens.interop.hl7;

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
import org.chestlens.platform.ApiProblem;
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

@RestController
@Tag(name = "HL7 v2", description = "Results as HL7 v2.5.1 ORU^R01, pushed over MLLP to configured destinations")
class Hl7Controller {

    /** The media type HAPI and most interface engines use for ER7 over HTTP. */
    static final String ER7 = "application/hl7-v2";
    private static final MediaType ER7_UTF8 = MediaType.parseMediaType(ER7 + ";charset=UTF-8");

    private final Hl7Results results;

    Hl7Controller(Hl7Results results) {
        this.results = results;
    }

    @RequiresRole(value = Role.READER, action = "prediction.read-hl7v2")
    @GetMapping(value = "/api/v1/predictions/{id}/hl7v2", produces = ER7)
    @Operation(operationId = "getPredictionOru", summary = "A prediction as an HL7 v2.5.1 ORU^R01 message (ER7)",
            description = """
                    The message the MLLP destinations get (with the default MSH-5/MSH-6 and a new MSH-10): ORC/OBR \
                    with the accession number as placer and filler order number (our image id as filler when the \
                    image has none), result status P; one NM OBX per class probability and sub-task score, a CWE \
                    OBX with the most likely class, a TX OBX with the model, its notice and the reliability. PID \
                    only when the upload named a subject. Segment map: docs/hl7.md.""")
    @ApiResponse(responseCode = "200", description = "The ORU^R01, segments separated by carriage returns",
            content = @Content(mediaType = ER7, schema = @Schema(type = "string")))
    @ApiResponse(responseCode = "404", description = "No prediction with this id",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    ResponseEntity<String> oru(@PathVariable UUID id) {
        String er7 = results.oru(id).orElseThrow(() -> ApiProblem.notFound("Prediction", id));
        return ResponseEntity.ok().contentType(ER7_UTF8).body(er7);
    }

    @RequiresRole(value = Role.ADMIN, action = "hl7.destinations")
    @GetMapping("/api/v1/hl7/destinations")
    @Operation(operationId = "listMllpDestinations", summary = "The configured MLLP destinations, with message counts")
    List<Hl7DestinationView> destinations() {
        return results.destinations();
    }

    @RequiresRole(value = Role.ADMIN, action = "hl7.messages")
    @GetMapping("/api/v1/hl7/destinations/{name}/messages")
    @Operation(operationId = "listMllpMessages",
            summary = "A destination's messages, newest first, each with every attempt (ack code, error, duration)")
    @ApiResponse(responseCode = "200", description = "One page of messages")
    @ApiResponse(responseCode = "404", description = "No destination of this name is configured",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    Hl7MessagePage messages(@PathVariable String name,
                            @RequestParam(defaultValue = "50") @Min(1) @Max(Hl7Results.MAX_MESSAGES) int limit,
                            @Parameter(description = "nextCursor of the previous page")
                            @RequestParam(required = false) String cursor) {
        return results.messages(name, limit, cursor);
    }

    @RequiresRole(value = Role.ADMIN, action = "hl7.message")
    @GetMapping("/api/v1/hl7/messages/{id}")
    @Operation(operationId = "getMllpMessage", summary = "One message's status and attempts")
    @ApiResponse(responseCode = "200", description = "The message (without its text)")
    @ApiResponse(responseCode = "404", description = "No such message",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    Hl7MessageView message(@PathVariable UUID id) {
        return results.message(id);
    }

    @RequiresRole(value = Role.ADMIN, action = "hl7.resend")
    @PostMapping(value = "/api/v1/hl7/messages/{id}/resend", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "resendMllpMessage", summary = "Send a message again",
            description = "Makes the message due now with a fresh allowance of attempts, whatever its status "
                    + "(FAILED, or DELIVERED but lost by the receiver). The same bytes go again, with the same MSH-10.")
    @ApiResponse(responseCode = "202", description = "Due now; the answer shows the message as it stands")
    @ApiResponse(responseCode = "404", description = "No such message, or its destination is no longer configured",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    ResponseEntity<Hl7MessageView> resend(@PathVariable UUID id) {
        return ResponseEntity.accepted().body(results.resend(id));
    }
}
