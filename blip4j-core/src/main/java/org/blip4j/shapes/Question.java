package org.blip4j.shapes;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A VQA question about one scene with its single correct answer, and the ten annotator answers written to the
 * dataset (all correct, or with one or two plausible mistakes).
 *
 * @param text the question, lower case, ending in "?"
 * @param answer the correct answer (one word of {@link ShapesVocabulary#answers()})
 * @param type what it asks about
 * @param annotators ten answers as a VQA annotation lists them
 */
public record Question(String text, String answer, Type type, List<String> annotators) {
    public Question {
        annotators = List.copyOf(annotators);
    }

    /** Question types. */
    public enum Type {
        COLOR,
        SHAPE,
        COUNT,
        EXIST,
        RELATION;

        /** Lower-case name. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Weights for drawing question types, indexed by {@link Type#ordinal()}, from weights by type id ({@code
     * {relation: 3}}); types not named weigh 1. Throws with the problem named for an unknown type, a negative or
     * non-finite weight, or weights that are all zero.
     */
    public static double[] typeWeights(Map<String, Double> byId) {
        double[] w = new double[Type.values().length];
        Arrays.fill(w, 1.0);
        for (Map.Entry<String, Double> e : byId.entrySet()) {
            Type t = Arrays.stream(Type.values())
                    .filter(x -> x.id().equals(e.getKey()))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown question type '" + e.getKey()
                            + "' (types: "
                            + String.join(
                                    ", ",
                                    Arrays.stream(Type.values()).map(Type::id).toList())
                            + ")"));
            double v = e.getValue();
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException(
                        "question type weight must be a finite number >= 0, got " + t.id() + ": " + v);
            }
            w[t.ordinal()] = v;
        }
        if (Arrays.stream(w).sum() <= 0) {
            throw new IllegalArgumentException("question type weights are all 0: no question could be drawn");
        }
        return w;
    }
}
