package org.chestlens.evaluation;

import java.util.ArrayList;
import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

import io.swagger.v3.oas.annotations.media.Schema;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;

/** Many labels in one request: stored all together or not at all. */
@Schema(name = "LabelBatch")
record LabelBatch(
        @JsonDeserialize(using = LabelBatch.AtMostMaxLabels.class)
        @NotEmpty @Size(max = LabelBatch.MAX_LABELS) List<@Valid @NotNull Entry> labels) {

    static final int MAX_LABELS = 100_000;

    /**
     * Reads the list and stops one entry past {@link #MAX_LABELS}: validation counts only after the whole list
     * is built, and 16 MB of {@code {}} entries built 5 million of them (a few hundred MB; four such requests at
     * once ran the heap out).
     */
    static final class AtMostMaxLabels extends ValueDeserializer<List<Entry>> {

        @Override
        public List<Entry> deserialize(JsonParser parser, DeserializationContext context) {
            if (!parser.isExpectedStartArrayToken()) {
                return context.reportInputMismatch(this, "labels must be an array");
            }
            List<Entry> entries = new ArrayList<>();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                if (entries.size() == MAX_LABELS) {
                    return context.reportInputMismatch(this, "at most " + MAX_LABELS + " labels per request");
                }
                entries.add(parser.currentToken() == JsonToken.VALUE_NULL ? null
                        : context.readValue(parser, Entry.class));
            }
            return entries;
        }
    }

    @Schema(name = "LabelBatchEntry")
    public record Entry(
            @NotNull @Size(max = 128) @Schema(description = "chestlens image id or DICOM SOP Instance UID") String image,
            @Pattern(regexp = LabelStore.READER_ID) @Schema(description = "Reader id; omit for the reference label") String reader,
            @NotNull @Min(0) @Max(3) @Schema(description = "Class index 0-3") Integer label,
            @Size(max = 2000) String comment,
            @Size(max = 200) String labelledBy) {

        LabelInput value() {
            return new LabelInput(label, comment, labelledBy);
        }
    }
}
