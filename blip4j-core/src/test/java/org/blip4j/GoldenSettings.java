package org.blip4j;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.testutil.Fixture;

/**
 * Generation settings of a golden, read from its manifest description ({@code generate(num_beams=3, max_length=20,
 * ...)}, {@code same as beam3 but repetition_penalty=1.5}). Strict: a description that names no decoding mode or
 * lengths, a value that does not parse, or a sampled run where a deterministic one is expected fails the test.
 */
final class GoldenSettings {
    private GoldenSettings() {}

    /** {@code key=value}; a value written as {@code prompt_len+8=12} means its last part. */
    private static final Pattern ARG = Pattern.compile("\\b(\\w+)=((?:[^,;)\\s=]+=)*[^,;)\\s=]+)");

    private static final Pattern SAME_AS = Pattern.compile("same as (\\S+) but");
    private static final List<String> REQUIRED = List.of("num_beams", "max_length", "min_length");
    /** BLIP_Decoder.generate's own default (blip.py) when a description does not set it. */
    private static final String DEFAULT_REPETITION_PENALTY = "1.0";

    /** The caption prefix: the prompt's ids with [CLS] replaced by [DEC] and the trailing [SEP] dropped. */
    static long[] captionPrefix(Fixture fx, long bos) {
        JsonNode ids = fx.manifest().path("tokenizer").path("prompt").path("ids");
        if (ids.size() < 2) {
            fail("manifest tokenizer.prompt.ids missing");
        }
        long[] p = new long[ids.size() - 1];
        for (int i = 0; i < p.length; i++) {
            p[i] = ids.get(i).asLong();
        }
        p[0] = bos;
        return p;
    }

    /** Greedy or beam settings of a deterministic generation golden. */
    static GenerationConfig deterministic(Fixture fx, String golden) {
        Map<String, String> a = args(fx, golden);
        if (a.getOrDefault("sample", "False").equals("True")) {
            fail(golden + ": a sampled run (" + fx.description(golden) + ") is not reproducible token by token");
        }
        for (String k : REQUIRED) {
            if (!a.containsKey(k)) {
                fail(golden + ": its description names no " + k + ": " + fx.description(golden));
            }
        }
        return GenerationConfig.beam(
                        integer(golden, a, "num_beams"),
                        integer(golden, a, "max_length"),
                        integer(golden, a, "min_length"))
                .withRepetitionPenalty(real(golden, a, "repetition_penalty", DEFAULT_REPETITION_PENALTY));
    }

    /** Sampling settings (top_p, top_k, repetition penalty, lengths) of the nucleus golden. */
    static GenerationConfig nucleus(Fixture fx, String golden) {
        Map<String, String> a = args(fx, golden);
        if (!"True".equals(a.get("sample"))) {
            fail(golden + ": not described as a sampled run: " + fx.description(golden));
        }
        for (String k : List.of("top_p", "top_k", "repetition_penalty", "max_length", "min_length")) {
            if (!a.containsKey(k)) {
                fail(golden + ": its description names no " + k + ": " + fx.description(golden));
            }
        }
        return new GenerationConfig(
                integer(golden, a, "max_length"),
                integer(golden, a, "min_length"),
                1,
                true,
                real(golden, a, "top_p", null),
                integer(golden, a, "top_k"),
                1.0,
                real(golden, a, "repetition_penalty", null),
                1.0,
                false,
                0,
                1,
                0);
    }

    /** The description's settings, inheriting those of the golden it is "same as", or of its .step_logits sibling. */
    static Map<String, String> args(Fixture fx, String golden) {
        String desc = fx.description(golden);
        if (desc.isBlank()) {
            fail(golden + ": no description in manifest.json");
        }
        Map<String, String> out = new LinkedHashMap<>();
        Matcher same = SAME_AS.matcher(desc);
        if (same.find()) {
            out.putAll(args(fx, same.group(1) + ".ids"));
        } else if (!desc.contains("num_beams") && golden.endsWith(".ids")) {
            String sibling = golden.substring(0, golden.length() - ".ids".length()) + ".step_logits";
            if (fx.goldenNames().contains(sibling)) {
                out.putAll(args(fx, sibling)); // e.g. greedy8.ids: "full output ids of that greedy run"
            }
        }
        Matcher m = ARG.matcher(desc);
        while (m.find()) {
            String v = m.group(2);
            out.put(m.group(1), v.substring(v.lastIndexOf('=') + 1));
        }
        return out;
    }

    static int integer(String golden, Map<String, String> a, String key) {
        try {
            return Integer.parseInt(a.get(key));
        } catch (NumberFormatException e) {
            return fail(golden + ": " + key + "=" + a.get(key) + " is not an integer");
        }
    }

    static double real(String golden, Map<String, String> a, String key, String dflt) {
        String v = a.getOrDefault(key, dflt);
        try {
            return Double.parseDouble(v.endsWith(".") ? v.substring(0, v.length() - 1) : v);
        } catch (NumberFormatException | NullPointerException e) {
            return fail(golden + ": " + key + "=" + v + " is not a number");
        }
    }
}
