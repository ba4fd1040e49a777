package org.blip4j.shapes;

import java.util.List;
import java.util.Locale;

/** The colours objects come in, each with a canonical RGB (jittered a little per object) and its caption words. */
public enum ShapeColor {
    RED(220, 40, 40, "red"),
    GREEN(40, 170, 60, "green"),
    BLUE(40, 90, 225, "blue"),
    YELLOW(240, 215, 40, "yellow"),
    PURPLE(145, 60, 185, "purple", "violet"),
    ORANGE(245, 135, 30, "orange"),
    WHITE(245, 245, 245, "white"),
    BLACK(25, 25, 25, "black"),
    GRAY(140, 140, 140, "gray", "grey");

    private final int rgb;
    private final List<String> words;

    ShapeColor(int r, int g, int b, String... words) {
        this.rgb = (r << 16) | (g << 8) | b;
        this.words = List.of(words);
    }

    /** Canonical 0xRRGGBB. */
    public int rgb() {
        return rgb;
    }

    /** The canonical word (used in questions and answers). */
    public String word() {
        return words.get(0);
    }

    /** Synonyms, canonical first. */
    public List<String> words() {
        return words;
    }

    /** The colour a word names, or null. */
    public static ShapeColor fromWord(String w) {
        for (ShapeColor c : values()) {
            if (c.words.contains(w)) {
                return c;
            }
        }
        return null;
    }

    /** Lower-case name as written in scene descriptions. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Euclidean distance between two 0xRRGGBB colours. */
    static double distance(int a, int b) {
        int dr = ((a >> 16) & 255) - ((b >> 16) & 255);
        int dg = ((a >> 8) & 255) - ((b >> 8) & 255);
        int db = (a & 255) - (b & 255);
        return Math.sqrt(dr * dr + dg * dg + db * db);
    }
}
