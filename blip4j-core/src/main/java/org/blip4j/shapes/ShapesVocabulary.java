package org.blip4j.shapes;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The fixed vocabulary of the shapes world: every word its captions, questions, answers, statements and junk texts
 * use, the answer list, and a BERT WordPiece {@code vocab.txt} that covers all of it without {@code [UNK]}.
 */
public final class ShapesVocabulary {
    private ShapesVocabulary() {}

    /** Words of the caption, question and statement templates (attribute words come from the enums). */
    static final String TEMPLATE_WORDS = String.join(
            " ",
            // captions
            "a an and there is are picture image drawing photo of single shape shapes object objects on against",
            "background gradient striped to the",
            // numbers
            "zero one two three four five six seven eight nine",
            // questions and answers
            "what color which kind how many in can you see any yes no",
            // statements
            "left right image images contains has more than both contain neither exactly total same number");

    /** The special tokens at the head of {@code vocab.txt}, in BERT's order. */
    public static final List<String> SPECIAL = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");

    private static final Set<String> WORDS = buildWords();

    private static Set<String> buildWords() {
        Set<String> w = new TreeSet<>();
        Collections.addAll(w, TEMPLATE_WORDS.split(" "));
        for (ShapeKind k : ShapeKind.values()) {
            w.addAll(k.words());
            w.addAll(k.plurals());
        }
        for (ShapeColor c : ShapeColor.values()) {
            w.addAll(c.words());
        }
        for (SizeClass s : SizeClass.values()) {
            w.addAll(s.words());
        }
        for (BackgroundColor c : BackgroundColor.values()) {
            w.add(c.word());
        }
        for (Region r : Region.values()) {
            for (String p : r.phrases()) {
                Collections.addAll(w, p.split(" "));
            }
        }
        for (Relation r : Relation.values()) {
            Collections.addAll(w, r.questionPhrase().split(" "));
            for (String p : r.phrases()) {
                Collections.addAll(w, p.split(" "));
            }
        }
        for (String s : WebNoise.ADS) {
            w.addAll(words(s));
        }
        for (String s : WebNoise.FILE_NAMES) {
            w.addAll(words(s));
        }
        w.removeIf(x -> x.chars().allMatch(Character::isDigit));
        return Collections.unmodifiableSet(w);
    }

    /** The whole words of the world, sorted. */
    public static Set<String> words() {
        return WORDS;
    }

    /** The answer list: yes/no, counts 0..maxObjects, colours, shapes (canonical words). */
    public static List<String> answers(int maxObjects) {
        List<String> a = new ArrayList<>(List.of("yes", "no"));
        for (int i = 0; i <= maxObjects; i++) {
            a.add(Integer.toString(i));
        }
        for (ShapeColor c : ShapeColor.values()) {
            a.add(c.word());
        }
        for (ShapeKind k : ShapeKind.values()) {
            a.add(k.word());
        }
        return a;
    }

    /**
     * The lines of {@code vocab.txt}: special tokens, ASCII punctuation, digits and letters, the words, then
     * {@code ##} digits and letters (so that file names and numbers in junk texts split into pieces, never [UNK]).
     */
    public static List<String> vocabLines() {
        List<String> lines = new ArrayList<>(SPECIAL);
        Set<String> seen = new TreeSet<>(SPECIAL);
        for (char ch = '!'; ch <= '~'; ch++) {
            if (!Character.isLetterOrDigit(ch)) {
                add(lines, seen, String.valueOf(ch));
            }
        }
        for (char ch = '0'; ch <= '9'; ch++) {
            add(lines, seen, String.valueOf(ch));
        }
        for (char ch = 'a'; ch <= 'z'; ch++) {
            add(lines, seen, String.valueOf(ch));
        }
        for (String w : WORDS) {
            add(lines, seen, w);
        }
        for (char ch = '0'; ch <= '9'; ch++) {
            add(lines, seen, "##" + ch);
        }
        for (char ch = 'a'; ch <= 'z'; ch++) {
            add(lines, seen, "##" + ch);
        }
        return lines;
    }

    private static void add(List<String> lines, Set<String> seen, String t) {
        if (seen.add(t)) {
            lines.add(t);
        }
    }

    /** Lower-case alphanumeric runs of a text, as BERT's basic tokenizer splits it (punctuation aside). */
    static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }

    /**
     * Checks that a generated text uses only vocabulary words (numbers and, if {@code junk}, file-name fragments
     * such as "dsc00123" are allowed: they split into pieces).
     *
     * @throws IllegalStateException naming the first unknown word (a bug in a template)
     */
    static void check(String text, boolean junk) {
        for (String w : words(text)) {
            boolean number = w.chars().allMatch(Character::isDigit);
            if (!number && !junk && !WORDS.contains(w)) {
                throw new IllegalStateException("word '" + w + "' of \"" + text + "\" is not in the shapes vocabulary");
            }
        }
    }
}
