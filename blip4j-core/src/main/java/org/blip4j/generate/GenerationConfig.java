package org.blip4j.generate;

/**
 * Decoding settings with Hugging Face {@code generate} semantics as BLIP uses them (transformers 4.15): lengths count
 * the whole sequence including the prompt; eos is [SEP]; rows that finished are padded.
 *
 * @param maxLength total length limit (prompt included)
 * @param minLength eos is banned while the sequence is shorter than this
 * @param numBeams 1 = greedy or sampling; more = beam search
 * @param sample nucleus/top-k sampling instead of argmax
 * @param topP nucleus mass (1 = off)
 * @param topK top-k filter when sampling (HF's config default 50 is active in BLIP's sampling; 0 = off)
 * @param temperature sampling temperature (1 = off)
 * @param repetitionPenalty CTRL penalty on tokens already present (1 = off)
 * @param lengthPenalty beam score = sum log p / length^lengthPenalty
 * @param earlyStopping beam search stops a batch as soon as it has numBeams finished hypotheses
 * @param seed random seed for sampling
 * @param numReturnSequences sequences returned per prompt: the n best beams, or n independent samples
 * @param maxNewTokens when positive, the number of tokens to generate after the prompt, replacing maxLength (HF
 *     {@code max_new_tokens})
 */
public record GenerationConfig(
        int maxLength,
        int minLength,
        int numBeams,
        boolean sample,
        double topP,
        int topK,
        double temperature,
        double repetitionPenalty,
        double lengthPenalty,
        boolean earlyStopping,
        long seed,
        int numReturnSequences,
        int maxNewTokens) {

    public GenerationConfig {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be at least 1, got " + maxLength);
        }
        if (minLength < 0 || (minLength > maxLength && maxNewTokens == 0)) {
            throw new IllegalArgumentException("minLength must be in [0, maxLength], got " + minLength);
        }
        if (numBeams < 1) {
            throw new IllegalArgumentException("numBeams must be at least 1, got " + numBeams);
        }
        if (sample && numBeams > 1) {
            throw new IllegalArgumentException("beam sampling is not supported: use numBeams 1 with sampling");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        if (numReturnSequences < 1 || (!sample && numReturnSequences > numBeams)) {
            throw new IllegalArgumentException(
                    "numReturnSequences must be in [1, numBeams] (or any n >= 1 when sampling), got "
                            + numReturnSequences);
        }
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0 (0 = unset), got " + maxNewTokens);
        }
        if (topK < 0 || !(temperature > 0) || !(repetitionPenalty > 0)) {
            throw new IllegalArgumentException("topK must be >= 0, temperature and repetitionPenalty > 0");
        }
    }

    /** Greedy decoding up to {@code maxLength} tokens in total. */
    public static GenerationConfig greedy(int maxLength, int minLength) {
        return new GenerationConfig(maxLength, minLength, 1, false, 1.0, 0, 1.0, 1.0, 1.0, false, 0, 1, 0);
    }

    /** BLIP's default captioning: beam search with 3 beams, max 30, min 10 ({@code BLIP_Decoder.generate}). */
    public static GenerationConfig beam(int numBeams, int maxLength, int minLength) {
        return new GenerationConfig(maxLength, minLength, numBeams, false, 1.0, 0, 1.0, 1.0, 1.0, false, 0, 1, 0);
    }

    /** BLIP's sampling: nucleus top_p with repetition penalty 1.1 and HF's top_k 50. */
    public static GenerationConfig nucleus(double topP, int maxLength, int minLength, long seed) {
        return new GenerationConfig(maxLength, minLength, 1, true, topP, 50, 1.0, 1.1, 1.0, false, seed, 1, 0);
    }

    public GenerationConfig withRepetitionPenalty(double p) {
        return new GenerationConfig(
                maxLength,
                minLength,
                numBeams,
                sample,
                topP,
                topK,
                temperature,
                p,
                lengthPenalty,
                earlyStopping,
                seed,
                numReturnSequences,
                maxNewTokens);
    }

    public GenerationConfig withSeed(long s) {
        return new GenerationConfig(
                maxLength,
                minLength,
                numBeams,
                sample,
                topP,
                topK,
                temperature,
                repetitionPenalty,
                lengthPenalty,
                earlyStopping,
                s,
                numReturnSequences,
                maxNewTokens);
    }

    public GenerationConfig withLengths(int max, int min) {
        return new GenerationConfig(
                max,
                min,
                numBeams,
                sample,
                topP,
                topK,
                temperature,
                repetitionPenalty,
                lengthPenalty,
                earlyStopping,
                seed,
                numReturnSequences,
                maxNewTokens);
    }

    /** Returns n sequences per prompt (n best beams, or n samples). */
    public GenerationConfig withNumReturnSequences(int n) {
        return new GenerationConfig(
                maxLength,
                minLength,
                numBeams,
                sample,
                topP,
                topK,
                temperature,
                repetitionPenalty,
                lengthPenalty,
                earlyStopping,
                seed,
                n,
                maxNewTokens);
    }

    /** Generates exactly up to n tokens after the prompt, whatever maxLength says (HF {@code max_new_tokens}). */
    public GenerationConfig withMaxNewTokens(int n) {
        return new GenerationConfig(
                maxLength,
                minLength,
                numBeams,
                sample,
                topP,
                topK,
                temperature,
                repetitionPenalty,
                lengthPenalty,
                earlyStopping,
                seed,
                numReturnSequences,
                n);
    }

    public GenerationConfig withLengthPenalty(double p, boolean early) {
        return new GenerationConfig(
                maxLength,
                minLength,
                numBeams,
                sample,
                topP,
                topK,
                temperature,
                repetitionPenalty,
                p,
                early,
                seed,
                numReturnSequences,
                maxNewTokens);
    }

    /** The total length limit for a prompt of {@code promptLength} tokens. */
    public int effectiveMaxLength(int promptLength) {
        return maxNewTokens > 0 ? promptLength + maxNewTokens : maxLength;
    }
}
