package org.chestlens.interop.pacs;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** One page of a destination's objects, newest first. */
@Schema(name = "PacsDeliveryPage")
record PacsDeliveryPage(List<PacsDeliveryView> items,
                        @JsonInclude(JsonInclude.Include.NON_NULL)
                        @Schema(description = "Opaque cursor of the next page; absent on the last page", nullable = true)
                        String nextCursor) {
}
