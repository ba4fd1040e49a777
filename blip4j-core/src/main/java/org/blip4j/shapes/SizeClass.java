package org.blip4j.shapes;

import java.util.List;
import java.util.Locale;

/** Object sizes: a radius range as a fraction of the image side, and caption words. */
public enum SizeClass {
    SMALL(0.085, 0.105, "small", "little"),
    LARGE(0.15, 0.18, "large", "big");

    final double minFraction;
    final double maxFraction;
    private final List<String> words;

    SizeClass(double minFraction, double maxFraction, String... words) {
        this.minFraction = minFraction;
        this.maxFraction = maxFraction;
        this.words = List.of(words);
    }

    /** The canonical word. */
    public String word() {
        return words.get(0);
    }

    /** Synonyms, canonical first. */
    public List<String> words() {
        return words;
    }

    /** The size a word names, or null. */
    public static SizeClass fromWord(String w) {
        for (SizeClass s : values()) {
            if (s.words.contains(w)) {
                return s;
            }
        }
        return null;
    }

    /** Lower-case name as written in scene descriptions. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
