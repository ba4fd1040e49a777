package org.blip4j.shapes;

import java.util.Locale;

/** Background colours (solid, stripe base, gradient ends), chosen apart from most object colours. */
public enum BackgroundColor {
    WHITE(232, 232, 226, "white"),
    BLACK(30, 30, 36, "black"),
    GRAY(112, 112, 112, "gray"),
    BEIGE(222, 206, 168, "beige"),
    TEAL(38, 108, 116, "teal");

    private final int rgb;
    private final String word;

    BackgroundColor(int r, int g, int b, String word) {
        this.rgb = (r << 16) | (g << 8) | b;
        this.word = word;
    }

    /** 0xRRGGBB. */
    public int rgb() {
        return rgb;
    }

    /** The caption word. */
    public String word() {
        return word;
    }

    /** Lower-case name as written in scene descriptions. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The colour a word names, or null. */
    public static BackgroundColor fromWord(String w) {
        for (BackgroundColor c : values()) {
            if (c.word.equals(w)) {
                return c;
            }
        }
        return null;
    }
}
