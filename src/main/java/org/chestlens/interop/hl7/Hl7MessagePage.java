package org.chestlens.interop.hl7;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** One page of a destination's messages, newest first. */
@Schema(name = "Hl7MessagePage")
record Hl7MessagePage(List<Hl7MessageView> items,
                      @JsonInclude(JsonInclude.Include.NON_NULL)
                      @Schema(description = "Opaque cursor of the next page; absent on the last page", nullable = true)
                      String nextCursor) {
}
