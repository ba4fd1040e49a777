package org.blip4j.model.text;

import org.blip4j.config.TextConfig;
import org.blip4j.nn.Block;
import org.bytedeco.pytorch.Tensor;

/** Attention projections plus output sub-layer, mirrors {@code med.py BertAttention} (children {@code self}, {@code output}). */
public final class BertAttention extends Block {
    final BertSelfAttention self;
    final BertSelfOutput output;

    /** Sizes, eps and both dropouts from the config; keys and values read states of width {@code kvWidth}. */
    public BertAttention(TextConfig c, int kvWidth) {
        this.self = child("self", new BertSelfAttention(c, kvWidth));
        this.output = child("output", new BertSelfOutput(c, c.hiddenSize()));
    }

    /** Self-attention over {@code x} (B, L, D); with a cache, the new keys/values are appended to the layer's history. */
    Tensor selfAttend(Tensor x, Tensor mask, KvCache cache, int layer) {
        Tensor k = self.keys(x);
        Tensor v = self.values(x);
        if (cache != null) {
            cache.append(layer, k, v);
            k = cache.selfK[layer];
            v = cache.selfV[layer];
        }
        return output.forward(self.attend(x, k, v, mask), x);
    }

    /** Cross-attention from {@code x} to encoder states; with a cache the source keys/values are computed once. */
    Tensor crossAttend(Tensor x, Tensor states, Tensor mask, KvCache cache, int layer) {
        Tensor k;
        Tensor v;
        if (cache != null && cache.crossK[layer] != null) {
            k = cache.crossK[layer];
            v = cache.crossV[layer];
        } else {
            k = self.keys(states);
            v = self.values(states);
            if (cache != null) {
                cache.setCross(layer, k, v);
            }
        }
        return output.forward(self.attend(x, k, v, mask), x);
    }
}
