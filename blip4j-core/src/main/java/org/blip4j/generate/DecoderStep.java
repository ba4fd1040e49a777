package org.blip4j.generate;

import org.bytedeco.pytorch.Tensor;

/** One decoder step over a request's cached state: the model side of generation. */
public interface DecoderStep {
    /** Feeds new tokens (R, L') (the prompt at first, then one token per row) and returns next-token logits (R, V). */
    Tensor next(Tensor newIds);

    /** Keeps cached rows {@code rows} (int64, R) in that order (beam search). */
    void reorder(Tensor rows);
}
