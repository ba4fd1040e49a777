package org.blip4j.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Caption scoring as pycocoevalcap's {@code eval.py} ({@code COCOEvalCap.evaluate}) does it, minus METEOR and SPICE:
 * PTB-tokenize references and candidates ({@link PtbTokenizer}), then {@link Bleu} (Bleu_1..4), {@link Rouge}
 * (ROUGE_L) and {@link CiderD} (CIDEr) over the images that have a candidate.
 *
 * <p><b>Not implemented:</b> METEOR and SPICE, which need the METEOR 1.5 and SPICE 1.0 jars (METEOR's paraphrase
 * tables and stemmers, SPICE's Stanford CoreNLP scene-graph parser); their keys are absent from the result. BLIP's
 * caption evaluation runs in pycocoevalcap on the Karpathy test split's annotation file; pass its captions as
 * {@code references} to reproduce BLEU, ROUGE-L and CIDEr.
 */
public final class CaptionEvaluator {
    /** Metric names in pycocoevalcap's order (METEOR and SPICE omitted). */
    public static final List<String> METRICS = List.of("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr");

    private CaptionEvaluator() {}

    /**
     * Scores raw (untokenized) captions.
     *
     * @param references image id to its reference captions; must contain every candidate's image id (ids without a
     *     candidate are ignored, as in {@code COCOEvalCap}, which takes its image ids from the results)
     * @param candidates image id to the one generated caption; its iteration order is the per-image order
     */
    public static CaptionScores evaluate(Map<String, List<String>> references, Map<String, String> candidates) {
        Map<String, List<String>> refs = new LinkedHashMap<>();
        Map<String, List<String>> cands = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : candidates.entrySet()) {
            List<String> r = references.get(e.getKey());
            if (r == null || r.isEmpty()) {
                throw new IllegalArgumentException("no references for image " + e.getKey());
            }
            refs.put(e.getKey(), r);
            cands.put(e.getKey(), List.of(e.getValue()));
        }
        // Like COCOEvalCap: references and candidates are tokenized as two separate streams.
        Map<String, String> tokenizedCands = new LinkedHashMap<>();
        PtbTokenizer.tokenize(cands).forEach((id, c) -> tokenizedCands.put(id, c.get(0)));
        return evaluateTokenized(PtbTokenizer.tokenize(refs), tokenizedCands);
    }

    /** Scores captions that are already tokenized (space-separated tokens), skipping the PTB tokenizer. */
    public static CaptionScores evaluateTokenized(
            Map<String, List<String>> references, Map<String, String> candidates) {
        List<String> ids = new ArrayList<>(candidates.keySet());
        List<String> cands = new ArrayList<>(ids.size());
        List<List<String>> refs = new ArrayList<>(ids.size());
        for (String id : ids) {
            List<String> r = references.get(id);
            if (r == null || r.isEmpty()) {
                throw new IllegalArgumentException("no references for image " + id);
            }
            cands.add(candidates.get(id));
            refs.add(r);
        }
        if (ids.isEmpty()) {
            throw new IllegalArgumentException("no candidates");
        }
        Bleu.Result bleu = Bleu.compute(cands, refs);
        Rouge.Result rouge = Rouge.compute(cands, refs);
        CiderD.Result cider = CiderD.compute(cands, refs);

        Map<String, Double> metrics = new LinkedHashMap<>();
        for (int k = 0; k < Bleu.N; k++) {
            metrics.put("Bleu_" + (k + 1), bleu.corpus()[k]);
        }
        metrics.put("ROUGE_L", rouge.corpus());
        metrics.put("CIDEr", cider.corpus());
        Map<String, Map<String, Double>> perImage = new LinkedHashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            Map<String, Double> m = new LinkedHashMap<>();
            for (int k = 0; k < Bleu.N; k++) {
                m.put("Bleu_" + (k + 1), bleu.perImage()[k][i]);
            }
            m.put("ROUGE_L", rouge.perImage()[i]);
            m.put("CIDEr", cider.perImage()[i]);
            perImage.put(ids.get(i), m);
        }
        return new CaptionScores(metrics, perImage);
    }
}
