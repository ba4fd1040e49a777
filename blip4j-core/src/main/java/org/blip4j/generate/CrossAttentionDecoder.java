package org.blip4j.generate;

import org.blip4j.model.text.BertLMHeadModel;
import org.blip4j.model.text.KvCache;
import org.bytedeco.pytorch.Tensor;

/**
 * A decoding request over a BLIP text decoder: the source states (image embeddings, or VQA question states) of S
 * sources, each shared by the R / S consecutive rows that decode from it, and the request's KV cache.
 */
public final class CrossAttentionDecoder implements DecoderStep, AutoCloseable {
    private final BertLMHeadModel decoder;
    private final Tensor states;
    private final KvCache cache;

    /** states (S, N, W) — not copied; keep them alive for the request. */
    public CrossAttentionDecoder(BertLMHeadModel decoder, Tensor states) {
        this.decoder = decoder;
        this.states = states;
        this.cache = decoder.newCache();
    }

    @Override
    public Tensor next(Tensor newIds) {
        Tensor logits = decoder.forward(newIds, null, states, null, cache); // (R, L', V)
        return logits.select(1, logits.size(1) - 1); // (R, V)
    }

    @Override
    public void reorder(Tensor rows) {
        cache.reorder(rows);
    }

    @Override
    public void close() {
        cache.close();
    }
}
