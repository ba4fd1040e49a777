package org.blip4j.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** n-gram counting as pycocoevalcap's {@code precook}: whitespace-split words, n-grams of order 1..n. */
final class NGrams {
    private NGrams() {}

    /**
     * Counts the n-grams of {@code sentence} split as Python's {@code str.split()}; element {@code k} of the result maps
     * each n-gram of order {@code k + 1} (words joined by a space) to its count.
     */
    static List<Map<String, Integer>> count(String sentence, int n) {
        return count(PyStrings.split(sentence), n);
    }

    static List<Map<String, Integer>> count(List<String> words, int n) {
        List<Map<String, Integer>> counts = new ArrayList<>(n);
        for (int k = 1; k <= n; k++) {
            Map<String, Integer> m = new HashMap<>();
            for (int i = 0; i + k <= words.size(); i++) {
                m.merge(String.join(" ", words.subList(i, i + k)), 1, Integer::sum);
            }
            counts.add(m);
        }
        return counts;
    }
}
