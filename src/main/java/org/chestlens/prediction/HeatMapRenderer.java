package org.chestlens.prediction;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;

import org.springframework.core.io.ClassPathResource;

/**
 * Draws a class activation map over the model's view: the coarse grid upsampled bilinearly to the
 * view's size (half-pixel centres, as torch's {@code interpolate(align_corners=False)}), scaled from its
 * minimum to its maximum, coloured with viridis (perceptually uniform, so equal steps of evidence look
 * equally different) and blended over the grey image; below it a legend strip with the colour bar,
 * the grid's minimum and maximum, and the output it explains. The text is drawn from a small bitmap
 * font, so no system font is needed on a headless server.
 */
final class HeatMapRenderer {

    static final int LEGEND_HEIGHT = 30;
    /** Share of the colour in the blend: the anatomy stays visible under the map. */
    private static final float ALPHA = 0.45f;
    private static final int[] VIRIDIS = loadColourMap();

    private HeatMapRenderer() {
    }

    /**
     * @param grid the map, {@code gridHeight * gridWidth} values, row-major
     * @param grey the model view's grey values (0..255), {@code width * height}; null draws the map alone
     * @return packed 0xRRGGBB pixels, {@code width} by {@code height + LEGEND_HEIGHT}
     */
    static int[] render(float[] grid, int gridHeight, int gridWidth, int[] grey, int width, int height,
                        String output) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : grid) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float range = max - min;
        float[] up = upsample(grid, gridHeight, gridWidth, height, width);
        int[] pixels = new int[width * (height + LEGEND_HEIGHT)];
        for (int i = 0; i < width * height; i++) {
            float t = range > 0 ? (up[i] - min) / range : 0f;
            int colour = colour(t);
            pixels[i] = grey == null ? colour : blend(grey[i], colour);
        }
        drawLegend(pixels, width, height, min, max, output);
        return pixels;
    }

    /** Bilinear, half-pixel centres, edges clamped: what torch's interpolate(align_corners=False) computes. */
    static float[] upsample(float[] grid, int gh, int gw, int height, int width) {
        float[] out = new float[height * width];
        float sy = (float) gh / height;
        float sx = (float) gw / width;
        for (int y = 0; y < height; y++) {
            float fy = Math.max(0f, (y + 0.5f) * sy - 0.5f);
            int y0 = Math.min((int) fy, gh - 1);
            int y1 = Math.min(y0 + 1, gh - 1);
            float wy = fy - y0;
            for (int x = 0; x < width; x++) {
                float fx = Math.max(0f, (x + 0.5f) * sx - 0.5f);
                int x0 = Math.min((int) fx, gw - 1);
                int x1 = Math.min(x0 + 1, gw - 1);
                float wx = fx - x0;
                float top = grid[y0 * gw + x0] * (1 - wx) + grid[y0 * gw + x1] * wx;
                float bottom = grid[y1 * gw + x0] * (1 - wx) + grid[y1 * gw + x1] * wx;
                out[y * width + x] = top * (1 - wy) + bottom * wy;
            }
        }
        return out;
    }

    static int colour(float t) {
        return VIRIDIS[Math.max(0, Math.min(255, Math.round(t * 255f)))];
    }

    private static int blend(int grey, int colour) {
        int r = Math.round(grey * (1 - ALPHA) + ((colour >> 16) & 0xff) * ALPHA);
        int g = Math.round(grey * (1 - ALPHA) + ((colour >> 8) & 0xff) * ALPHA);
        int b = Math.round(grey * (1 - ALPHA) + (colour & 0xff) * ALPHA);
        return (r << 16) | (g << 8) | b;
    }

    /** Colour bar in the middle, minimum to its left, maximum to its right, the output's name below. */
    private static void drawLegend(int[] pixels, int width, int top, float min, float max, String output) {
        int background = 0x202020;
        for (int i = width * top; i < pixels.length; i++) {
            pixels[i] = background;
        }
        String low = number(min);
        String high = number(max);
        int barLeft = BitmapFont.width(low) + 6;
        int barRight = width - BitmapFont.width(high) - 6;
        for (int x = barLeft; x < barRight; x++) {
            int colour = colour((float) (x - barLeft) / Math.max(1, barRight - barLeft - 1));
            for (int y = top + 3; y < top + 13; y++) {
                pixels[y * width + x] = colour;
            }
        }
        int text = 0xf0f0f0;
        BitmapFont.draw(pixels, width, 2, top + 3, low, text);
        BitmapFont.draw(pixels, width, barRight + 4, top + 3, high, text);
        BitmapFont.draw(pixels, width, (width - BitmapFont.width(output)) / 2, top + 17, output, text);
    }

    static String number(float v) {
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : Math.abs(v) >= 10 ? "%.1f" : "%.2f", v);
    }

    private static int[] loadColourMap() {
        try (InputStream in = new ClassPathResource("heatmap/viridis.rgb").getInputStream()) {
            byte[] rgb = in.readAllBytes();
            if (rgb.length != 256 * 3) {
                throw new IllegalStateException("heatmap/viridis.rgb must hold 256 RGB entries");
            }
            int[] lut = new int[256];
            for (int i = 0; i < 256; i++) {
                lut[i] = ((rgb[3 * i] & 0xff) << 16) | ((rgb[3 * i + 1] & 0xff) << 8) | (rgb[3 * i + 2] & 0xff);
            }
            return lut;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
