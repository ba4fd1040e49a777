package org.blip4j.generate;

/**
 * Changes one row of next-token scores before the sampler picks, given the row's sequence so far (transformers 4.15
 * {@code LogitsProcessor}); applied to logits when greedy or sampling and to log-probabilities in beam search.
 */
@FunctionalInterface
public interface LogitsProcessor {
    /** scores (V) in place; {@code seq}'s first {@code length} tokens are the sequence so far. */
    void process(float[] scores, long[] seq, int length);

    /** CTRL's repetition penalty ({@code RepetitionPenaltyLogitsProcessor}); 1 = off. */
    record RepetitionPenalty(float penalty) implements LogitsProcessor {
        @Override
        public void process(float[] scores, long[] seq, int length) {
            Processors.repetitionPenalty(scores, seq, length, penalty);
        }
    }

    /** Bans tokens that would repeat an n-gram of the sequence ({@code NoRepeatNGramLogitsProcessor}). */
    record NoRepeatNgram(int n) implements LogitsProcessor {
        @Override
        public void process(float[] scores, long[] seq, int length) {
            Processors.noRepeatNgram(scores, seq, length, n);
        }
    }

    /** Bans eos while the sequence is shorter than {@code min} ({@code MinLengthLogitsProcessor}). */
    record MinLength(int min, int eos) implements LogitsProcessor {
        @Override
        public void process(float[] scores, long[] seq, int length) {
            Processors.minLength(scores, length, min, eos);
        }
    }
}
