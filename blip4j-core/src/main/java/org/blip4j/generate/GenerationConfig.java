package org.blip4j.generate;

import java.util.List;

/**
 * Decoding settings with Hugging Face {@code generate} semantics as BLIP uses them (transformers 4.15): eos is [SEP];
 * rows that finished are padded. Built from its parts: {@link Lengths}, the number of beams with their length
 * penalty, a {@link Sampler}, and the repetition penalty (the one {@link LogitsProcessor} besides min-length).
 *
 * @param lengths total (prompt included) length limits
 * @param numBeams 1 = greedy or sampling; more = beam search
 * @param sampler how a token is picked ({@link Sampler#ARGMAX} for greedy and beam search)
 * @param repetitionPenalty CTRL penalty on tokens already present (1 = off)
 * @param lengthPenalty beam score = sum log p / length^lengthPenalty
 * @param earlyStopping beam search stops a batch as soon as it has numBeams finished hypotheses
 * @param seed random seed for sampling
 * @param numReturnSequences sequences returned per prompt: the n best beams, or n independent samples
 * @param noRepeatNgramSize a token that would repeat an n-gram of this size already in the sequence (prompt
 *     included) is banned, Hugging Face's {@code no_repeat_ngram_size}; 0 = off
 */
public record GenerationConfig(
        Lengths lengths,
        int numBeams,
        Sampler sampler,
        double repetitionPenalty,
        double lengthPenalty,
        boolean earlyStopping,
        long seed,
        int numReturnSequences,
        int noRepeatNgramSize) {

    public GenerationConfig {
        if (lengths == null || sampler == null) {
            throw new IllegalArgumentException("lengths and sampler must be set");
        }
        if (numBeams < 1) {
            throw new IllegalArgumentException("numBeams must be at least 1, got " + numBeams);
        }
        if (sampler.random() && numBeams > 1) {
            throw new IllegalArgumentException("beam sampling is not supported: use numBeams 1 with sampling");
        }
        if (numReturnSequences < 1 || (!sampler.random() && numReturnSequences > numBeams)) {
            throw new IllegalArgumentException(
                    "numReturnSequences must be in [1, numBeams] (or any n >= 1 when sampling), got "
                            + numReturnSequences);
        }
        if (!(repetitionPenalty > 0)) {
            throw new IllegalArgumentException("repetitionPenalty must be > 0, got " + repetitionPenalty);
        }
        if (noRepeatNgramSize < 0) {
            throw new IllegalArgumentException("noRepeatNgramSize must be >= 0 (0 = off), got " + noRepeatNgramSize);
        }
    }

    /** Greedy decoding up to {@code maxLength} tokens in total. */
    public static GenerationConfig greedy(int maxLength, int minLength) {
        return beam(1, maxLength, minLength);
    }

    /** BLIP's default captioning: beam search with 3 beams, max 30, min 10 ({@code BLIP_Decoder.generate}). */
    public static GenerationConfig beam(int numBeams, int maxLength, int minLength) {
        return new GenerationConfig(
                Lengths.of(maxLength, minLength), numBeams, Sampler.ARGMAX, 1.0, 1.0, false, 0, 1, 0);
    }

    /** BLIP's sampling: nucleus top_p with repetition penalty 1.1 and HF's top_k 50. */
    public static GenerationConfig nucleus(double topP, int maxLength, int minLength, long seed) {
        return sampling(new NucleusSampler(topP, 50, 1.0), maxLength, minLength, seed)
                .withRepetitionPenalty(1.1);
    }

    /** One sample at a time with {@code sampler}, no repetition penalty. */
    public static GenerationConfig sampling(Sampler sampler, int maxLength, int minLength, long seed) {
        return new GenerationConfig(Lengths.of(maxLength, minLength), 1, sampler, 1.0, 1.0, false, seed, 1, 0);
    }

    public GenerationConfig withRepetitionPenalty(double p) {
        return new GenerationConfig(
                lengths,
                numBeams,
                sampler,
                p,
                lengthPenalty,
                earlyStopping,
                seed,
                numReturnSequences,
                noRepeatNgramSize);
    }

    public GenerationConfig withSeed(long s) {
        return new GenerationConfig(
                lengths,
                numBeams,
                sampler,
                repetitionPenalty,
                lengthPenalty,
                earlyStopping,
                s,
                numReturnSequences,
                noRepeatNgramSize);
    }

    public GenerationConfig withLengths(int max, int min) {
        return withLengths(new Lengths(max, min, lengths.maxNewTokens()));
    }

    public GenerationConfig withLengths(Lengths l) {
        return new GenerationConfig(
                l,
                numBeams,
                sampler,
                repetitionPenalty,
                lengthPenalty,
                earlyStopping,
                seed,
                numReturnSequences,
                noRepeatNgramSize);
    }

    /** Returns n sequences per prompt (n best beams, or n samples). */
    public GenerationConfig withNumReturnSequences(int n) {
        return new GenerationConfig(
                lengths,
                numBeams,
                sampler,
                repetitionPenalty,
                lengthPenalty,
                earlyStopping,
                seed,
                n,
                noRepeatNgramSize);
    }

    /** Bans repeating any n-gram of size {@code n} (Hugging Face's {@code no_repeat_ngram_size}; 0 = off). */
    public GenerationConfig withNoRepeatNgramSize(int n) {
        return new GenerationConfig(
                lengths,
                numBeams,
                sampler,
                repetitionPenalty,
                lengthPenalty,
                earlyStopping,
                seed,
                numReturnSequences,
                n);
    }

    /** Generates exactly up to n tokens after the prompt, whatever maxLength says (HF {@code max_new_tokens}). */
    public GenerationConfig withMaxNewTokens(int n) {
        return withLengths(new Lengths(lengths.max(), lengths.min(), n));
    }

    /**
     * The processors applied to every row before the sampler, in transformers' order: repetition penalty, the n-gram
     * ban (when on), then min-length.
     */
    public List<LogitsProcessor> processors(int eos) {
        List<LogitsProcessor> out = new java.util.ArrayList<>();
        out.add(new LogitsProcessor.RepetitionPenalty((float) repetitionPenalty));
        if (noRepeatNgramSize > 0) {
            out.add(new LogitsProcessor.NoRepeatNgram(noRepeatNgramSize));
        }
        out.add(new LogitsProcessor.MinLength(lengths.min(), eos));
        return List.copyOf(out);
    }

    /** Whether tokens are drawn at random. */
    public boolean sample() {
        return sampler.random();
    }

    public int maxLength() {
        return lengths.max();
    }

    public int minLength() {
        return lengths.min();
    }

    public int maxNewTokens() {
        return lengths.maxNewTokens();
    }

    /** The nucleus mass when sampling with a {@link NucleusSampler}, else 1 (off). */
    public double topP() {
        return sampler instanceof NucleusSampler n ? n.topP() : 1.0;
    }

    /** The top-k filter when sampling with a {@link NucleusSampler}, else 0 (off). */
    public int topK() {
        return sampler instanceof NucleusSampler n ? n.topK() : 0;
    }

    /** The temperature when sampling with a {@link NucleusSampler}, else 1 (off). */
    public double temperature() {
        return sampler instanceof NucleusSampler n ? n.temperature() : 1.0;
    }

    /** The total length limit for a prompt of {@code promptLength} tokens. */
    public int effectiveMaxLength(int promptLength) {
        return lengths.effectiveMax(promptLength);
    }
}
