package org.chestlens.prediction;

import java.util.Map;

/**
 * A 3 x 5 pixel font for the heat map legend and banner: digits, sign, point, the capital letters and
 * the lower-case letters of the output names (CVX0..CVX3, CVX03vs12, ...). Unknown characters (a space
 * among them) are drawn as blanks.
 */
final class BitmapFont {

    static final int ADVANCE = 4;
    /** Each font pixel is drawn as a SCALE x SCALE square. */
    static final int SCALE = 2;
    private static final Map<Character, String> GLYPHS = Map.ofEntries(
            Map.entry('0', "111101101101111"), Map.entry('1', "010110010010111"),
            Map.entry('2', "111001111100111"), Map.entry('3', "111001111001111"),
            Map.entry('4', "101101111001001"), Map.entry('5', "111100111001111"),
            Map.entry('6', "111100111101111"), Map.entry('7', "111001010010010"),
            Map.entry('8', "111101111101111"), Map.entry('9', "111101111001111"),
            Map.entry('-', "000000111000000"), Map.entry('.', "000000000000010"),
            Map.entry('C', "111100100100111"), Map.entry('V', "101101101101010"),
            Map.entry('X', "101101010101101"), Map.entry('v', "000000101101010"),
            Map.entry('s', "000011010001110"),
            Map.entry('A', "010101111101101"), Map.entry('B', "110101110101110"),
            Map.entry('D', "110101101101110"), Map.entry('E', "111100110100111"),
            Map.entry('F', "111100110100100"), Map.entry('G', "011100101101011"),
            Map.entry('H', "101101111101101"), Map.entry('I', "111010010010111"),
            Map.entry('J', "001001001101010"), Map.entry('K', "101101110101101"),
            Map.entry('L', "100100100100111"), Map.entry('M', "101111111101101"),
            Map.entry('N', "110101101101101"), Map.entry('O', "010101101101010"),
            Map.entry('P', "110101110100100"), Map.entry('Q', "010101101110011"),
            Map.entry('R', "110101110101101"), Map.entry('S', "011100010001110"),
            Map.entry('T', "111010010010010"), Map.entry('U', "101101101101111"),
            Map.entry('W', "101101111111101"), Map.entry('Y', "101101010010010"),
            Map.entry('Z', "111001010100111"));

    private BitmapFont() {
    }

    static int width(String text) {
        return text.length() * ADVANCE * SCALE;
    }

    /** Draws {@code text} with its top-left corner at (x, y), clipped to the picture. */
    static void draw(int[] pixels, int width, int x, int y, String text, int colour) {
        int height = pixels.length / width;
        for (int c = 0; c < text.length(); c++) {
            String glyph = GLYPHS.get(text.charAt(c));
            if (glyph == null) {
                continue;
            }
            for (int p = 0; p < 15 * SCALE * SCALE; p++) {
                int row = p / (3 * SCALE * SCALE);
                int col = (p / SCALE) % 3;
                int px = x + (c * ADVANCE + col) * SCALE + p % SCALE;
                int py = y + row * SCALE + (p / (3 * SCALE)) % SCALE;
                if (glyph.charAt(row * 3 + col) == '1' && px >= 0 && px < width && py >= 0 && py < height) {
                    pixels[py * width + px] = colour;
                }
            }
        }
    }
}
