package org.chestlens.platform.security;

import java.time.Instant;
import java.util.List;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import org.springframework.format.annotation.DateTimeFormat;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@Tag(name = "Administration")
class AuditController {

    private final AuditTrail trail;

    AuditController(AuditTrail trail) {
        this.trail = trail;
    }

    @Schema(name = "AuditEventPage")
    record Page(List<AuditTrail.Event> events,
                @Schema(description = "Pass as 'before' for the next (older) page; absent on the last page")
                Long nextCursor) {
    }

    @Operation(operationId = "searchAuditEvents", summary = "Query the audit trail, newest first")
    @GetMapping("/api/v1/audit-events")
    @RequiresRole(value = Role.ADMIN, action = "audit.query")
    Page query(@RequestParam(required = false) @Parameter(description = "Subject or API key name") String actor,
               @RequestParam(required = false) @Parameter(example = "prediction.read") String action,
               @RequestParam(required = false) @Parameter(description = "An image, prediction or other id") String resourceId,
               @RequestParam(required = false) @Pattern(regexp = "success|denied|rejected|error") String outcome,
               @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE_TIME)
               @Parameter(description = "Occurred at or after this instant (ISO-8601)") Instant since,
               @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE_TIME)
               @Parameter(description = "Occurred before this instant (ISO-8601)") Instant until,
               @RequestParam(required = false) @Parameter(description = "Cursor from the previous page") Long before,
               @RequestParam(defaultValue = "100") @Min(1) @Max(1000) int limit) {
        List<AuditTrail.Event> events = trail.find(new AuditTrail.Query(actor, action, resourceId, outcome, since, until,
                before, limit));
        Long next = events.size() == limit ? events.get(events.size() - 1).id() : null;
        return new Page(events, next);
    }
}
