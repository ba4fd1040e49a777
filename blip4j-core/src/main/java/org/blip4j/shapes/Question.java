package org.blip4j.shapes;

import java.util.List;
import java.util.Locale;

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
}
