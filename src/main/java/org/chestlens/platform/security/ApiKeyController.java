package org.chestlens.platform.security;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.KeysetCursor;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1/api-keys")
@Tag(name = "Administration", description = "API keys for integration engines and the audit trail")
class ApiKeyController {

    private final ApiKeys keys;

    ApiKeyController(ApiKeys keys) {
        this.keys = keys;
    }

    @Schema(name = "ApiKeyRequest")
    record CreateRequest(
            @Schema(description = "Unique name; it identifies the caller in the audit trail", example = "mirth-radiology")
            @NotEmpty @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._-]{0,99}") String name,
            @Schema(description = "Roles granted to the key", example = "[\"submitter\", \"reader\"]")
            @NotEmpty Set<String> roles,
            @Schema(description = "When the key stops working; none: until revoked", example = "2027-12-31T00:00:00Z")
            Instant expiresAt,
            @Schema(description = "Requests per minute for this key; none: the service default", example = "1200")
            @Positive @Max(1_000_000) Integer rateLimitPerMinute,
            @Schema(description = "Priority of this key's uploads that name none: stat (scored first) or routine "
                    + "(e.g. a PACS backfill); none: routine", allowableValues = {"stat", "routine"})
            @Pattern(regexp = "stat|routine") String defaultPriority) {
    }

    @Schema(name = "ApiKey")
    record KeyView(UUID id, String name,
                   @Schema(description = "The key's first characters, to recognise it") String prefix,
                   List<String> roles, Integer rateLimitPerMinute, Instant createdAt, String createdBy,
                   Instant expiresAt, Instant revokedAt,
                   @Schema(description = "Priority of this key's uploads that name none; null: routine",
                           allowableValues = {"stat", "routine"}) String defaultPriority) {

        static KeyView of(ApiKeys.Key key) {
            return new KeyView(key.id(), key.name(), key.prefix(),
                    key.roles().stream().sorted().map(Role::wireName).toList(), key.rateLimitPerMinute(),
                    key.createdAt(), key.createdBy(), key.expiresAt(), key.revokedAt(), key.defaultPriority());
        }
    }

    @Schema(name = "CreatedApiKey")
    record CreatedView(
            @Schema(description = "The key itself. Shown only in this answer: store it in the integration engine's "
                    + "secret store; send it as the X-API-Key header") String key,
            KeyView apiKey) {
    }

    /** A later instant is a valid Instant but no SQL timestamp (nor, far enough out, a java.sql.Timestamp). */
    private static final Instant LATEST_EXPIRY = Instant.parse("9999-12-31T23:59:59Z");

    @Operation(operationId = "createApiKey", summary = "Create an API key (shown once)")
    @io.swagger.v3.oas.annotations.responses.ApiResponse(responseCode = "201",
            description = "Created; the key itself is in this answer only")
    @PostMapping
    @RequiresRole(value = Role.ADMIN, action = "api-key.create")
    ResponseEntity<CreatedView> create(@Valid @RequestBody CreateRequest request, Authentication admin) {
        Set<Role> roles = request.roles().stream().map(name -> Role.fromWireName(name).orElseThrow(() ->
                new ApiProblem(HttpStatus.BAD_REQUEST, "unknown-role", "Unknown role",
                        "Unknown role '" + name + "'; roles are submitter, reader, annotator, analyst, admin.")))
                .collect(java.util.stream.Collectors.toSet());
        if (request.expiresAt() != null && (!request.expiresAt().isAfter(Instant.now())
                || request.expiresAt().isAfter(LATEST_EXPIRY))) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid-parameter", "Invalid parameter",
                    "expiresAt must lie in the future, before the year 10000.");
        }
        ApiKeys.Created created;
        try {
            created = keys.create(request.name(), roles, request.expiresAt(), request.rateLimitPerMinute(),
                    Caller.of(admin).name(), request.defaultPriority());
        } catch (ApiKeys.KeyNameTaken e) {
            throw new ApiProblem(HttpStatus.CONFLICT, "api-key-name-taken", "Name taken", e.getMessage());
        }
        AuditedResources.add(created.key().id());
        return ResponseEntity.created(URI.create("/api/v1/api-keys/" + created.key().id()))
                .body(new CreatedView(created.secret(), KeyView.of(created.key())));
    }

    @Schema(name = "ApiKeyPage")
    record Page(List<KeyView> items,
                @JsonInclude(JsonInclude.Include.NON_NULL)
                @Schema(description = "Opaque cursor of the next page; absent on the last page", nullable = true)
                String nextCursor) {
    }

    @Operation(operationId = "listApiKeys", summary = "List API keys, oldest first (never their secrets)")
    @GetMapping
    @RequiresRole(value = Role.ADMIN, action = "api-key.list")
    Page list(@RequestParam(defaultValue = "100") @Min(1) @Max(500) int limit,
              @Parameter(description = "nextCursor of the previous page") @RequestParam(required = false) String cursor) {
        KeysetCursor.Slice<ApiKeys.Key> page = KeysetCursor.slice(keys.list(limit, KeysetCursor.decode(cursor)), limit,
                key -> new KeysetCursor(key.createdAt(), key.id()));
        return new Page(page.items().stream().map(KeyView::of).toList(), page.nextCursor());
    }

    @Operation(operationId = "getApiKey", summary = "One API key")
    @GetMapping("/{id}")
    @RequiresRole(value = Role.ADMIN, action = "api-key.read")
    KeyView one(@PathVariable UUID id) {
        return keys.find(id).map(KeyView::of).orElseThrow(() -> ApiProblem.notFound("API key", id));
    }

    @Operation(operationId = "revokeApiKey", summary = "Revoke an API key; it stops working at once on every replica")
    @DeleteMapping("/{id}")
    @RequiresRole(value = Role.ADMIN, action = "api-key.revoke")
    ResponseEntity<Void> revoke(@PathVariable UUID id, Authentication admin) {
        if (!keys.revoke(id, Caller.of(admin).name())) {
            throw ApiProblem.notFound("API key", id);
        }
        return ResponseEntity.noContent().build();
    }
}
