package org.blip4j.generate;

/**
 * Sequence lengths with transformers 4.15 {@code generate} semantics: they count the whole sequence, prompt included.
 *
 * @param max total length limit (HF {@code max_length})
 * @param min eos is banned while the sequence is shorter than this (HF {@code min_length})
 * @param maxNewTokens when positive, the number of tokens to generate after the prompt, replacing {@code max} (HF
 *     {@code max_new_tokens}); 0 = unset
 */
public record Lengths(int max, int min, int maxNewTokens) {
    public Lengths {
        if (max < 1) {
            throw new IllegalArgumentException("maxLength must be at least 1, got " + max);
        }
        if (min < 0 || (min > max && maxNewTokens == 0)) {
            throw new IllegalArgumentException("minLength must be in [0, maxLength], got " + min);
        }
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0 (0 = unset), got " + maxNewTokens);
        }
    }

    /** {@code max} and {@code min} total tokens. */
    public static Lengths of(int max, int min) {
        return new Lengths(max, min, 0);
    }

    /** The total length limit for a prompt of {@code promptLength} tokens. */
    public int effectiveMax(int promptLength) {
        return maxNewTokens > 0 ? promptLength + maxNewTokens : max;
    }
}
