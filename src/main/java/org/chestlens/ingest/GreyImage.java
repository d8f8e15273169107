package org.chestlens.ingest;

/**
 * Decoded pixel values of one image, before any scaling: the stored grey values, or the luminance
 * of a colour image.
 *
 * @param colourType GREY, or the colour type that was converted to luminance
 */
record GreyImage(int[] samples, int width, int height, int bitDepth, String colourType) {
}
