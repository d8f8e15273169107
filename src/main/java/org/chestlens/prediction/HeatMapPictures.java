package org.chestlens.prediction;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * A prediction's heat map as a finished picture for other modules (the PACS Secondary Capture of
 * interop): the model's view with the class activation map of the predicted class blended over it and
 * its legend, exactly as {@code GET /predictions/{id}/heatmap} draws it, enlarged by an integer factor
 * (nearest neighbour, so every model-view pixel stays one visible block) with caption lines burned in
 * above it. Unlike the heat-map endpoint it never draws a map without the anatomy under it: a picture
 * meant for a PACS viewer must show where on the radiograph the evidence lies.
 */
@Service
public class HeatMapPictures {

    /** Pixel rows per caption line (the 5-row font at scale 2, plus spacing). */
    static final int CAPTION_LINE_HEIGHT = 14;
    private static final int CAPTION_BACKGROUND = 0x8b0000;
    private static final int CAPTION_TEXT = 0xffffff;

    /** Why no picture can be drawn for an existing prediction. */
    public enum Missing {
        /** The model package stores no class activation maps (format 1), or they were off. */
        NO_MAPS,
        /** The model view was not kept (retention off) or has expired. */
        NO_MODEL_VIEW
    }

    /**
     * @param rgb packed 0xRRGGBB pixels, row-major, {@code width * height}
     * @param explains the output the map explains (the predicted class, e.g. CVX1)
     * @param missing why there is no picture; then {@code rgb} is null
     */
    public record Picture(UUID predictionId, UUID imageId, String explains, int width, int height, int[] rgb,
                          Missing missing) {
        public boolean drawn() {
            return missing == null;
        }
    }

    private final Explanations explanations;
    private final ModelViews views;

    HeatMapPictures(Explanations explanations, ModelViews views) {
        this.explanations = explanations;
        this.views = views;
    }

    /**
     * The picture of the predicted class's map at {@code scale} times the model view, captions (upper-cased:
     * the bitmap font has capitals only) above it; empty for an unknown prediction.
     */
    @Transactional(readOnly = true)
    public Optional<Picture> ofPredictedClass(UUID predictionId, int scale, List<String> captions) {
        if (scale < 1 || scale > 8) {
            throw new IllegalArgumentException("scale must be 1..8");
        }
        return explanations.find(predictionId).map(e -> draw(e, scale, captions));
    }

    private Picture draw(Explanations.Explained e, int scale, List<String> captions) {
        if (e.maps() == null) {
            return new Picture(e.predictionId(), e.imageId(), null, 0, 0, null, Missing.NO_MAPS);
        }
        Optional<ModelViews.ModelView> found = views.find(e.imageId());
        if (found.isEmpty()) {
            return new Picture(e.predictionId(), e.imageId(), null, 0, 0, null, Missing.NO_MODEL_VIEW);
        }
        ModelViews.ModelView view = found.get();
        String explains = Explanations.defaultOutput(e);
        float[] map = e.maps().map(explains).orElseThrow();
        int width = view.width() * scale;
        int height = view.height() * scale;
        int[] grey = enlarge(Png.greyValues(view.png(), view.width(), view.height()), view.width(), view.height(),
                scale);
        int[] heatMap = HeatMapRenderer.render(map, e.maps().height(), e.maps().width(), grey, width, height, explains);
        int top = captions.size() * CAPTION_LINE_HEIGHT + (captions.isEmpty() ? 0 : 4);
        int totalHeight = top + height + HeatMapRenderer.LEGEND_HEIGHT;
        int[] pixels = new int[width * totalHeight];
        java.util.Arrays.fill(pixels, 0, width * top, CAPTION_BACKGROUND);
        for (int i = 0; i < captions.size(); i++) {
            String line = captions.get(i).toUpperCase(Locale.ROOT);
            BitmapFont.draw(pixels, width, Math.max(2, (width - BitmapFont.width(line)) / 2),
                    4 + i * CAPTION_LINE_HEIGHT, line, CAPTION_TEXT);
        }
        System.arraycopy(heatMap, 0, pixels, width * top, heatMap.length);
        return new Picture(e.predictionId(), e.imageId(), explains, width, totalHeight, pixels, null);
    }

    /** Nearest neighbour: each model-view pixel becomes a scale x scale block, nothing is invented. */
    static int[] enlarge(int[] grey, int width, int height, int scale) {
        int[] out = new int[width * scale * height * scale];
        for (int y = 0; y < height * scale; y++) {
            for (int x = 0; x < width * scale; x++) {
                out[y * width * scale + x] = grey[(y / scale) * width + x / scale];
            }
        }
        return out;
    }
}
