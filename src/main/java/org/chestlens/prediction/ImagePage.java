package org.chestlens.prediction;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** One page of images (with their predictions), newest first; pass {@code nextCursor} back for the next page. */
@Schema(name = "ImagePage")
record ImagePage(
        List<ImageView> items,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "Opaque cursor of the next page; absent on the last page", nullable = true)
        String nextCursor) {
}
