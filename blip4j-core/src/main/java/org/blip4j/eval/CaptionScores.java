package org.blip4j.eval;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The result of {@link CaptionEvaluator}, shaped like pycocoevalcap's {@code COCOEvalCap.eval} and
 * {@code imgToEval}.
 *
 * @param metrics metric name ({@code Bleu_1..Bleu_4}, {@code ROUGE_L}, {@code CIDEr}) to corpus value, unscaled
 *     (BLEU and ROUGE-L in 0..1, CIDEr around 1; papers report them ×100)
 * @param perImage image id to (metric name to that image's value), in the candidates' order
 */
public record CaptionScores(Map<String, Double> metrics, Map<String, Map<String, Double>> perImage) {
    public CaptionScores {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        Map<String, Map<String, Double>> copy = new LinkedHashMap<>();
        perImage.forEach((id, m) -> copy.put(id, Collections.unmodifiableMap(new LinkedHashMap<>(m))));
        perImage = Collections.unmodifiableMap(copy);
    }

    /** The corpus value of one metric, e.g. {@code "CIDEr"}. */
    public double get(String metric) {
        Double v = metrics.get(metric);
        if (v == null) {
            throw new IllegalArgumentException("no metric " + metric + "; have " + metrics.keySet());
        }
        return v;
    }
}
