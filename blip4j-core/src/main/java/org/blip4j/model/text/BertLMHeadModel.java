package org.blip4j.model.text;

import org.blip4j.config.TextConfig;
import org.blip4j.engine.T;
import org.blip4j.nn.Block;
import org.blip4j.nn.LayerNorm;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.Tensor;

/**
 * The image-grounded text decoder, mirrors {@code med.py BertLMHeadModel}: {@code bert} plus the LM head
 * {@code cls.predictions} whose decoder weight is the word-embedding matrix (tied) and whose decoder bias is
 * {@code cls.predictions.bias}.
 */
public final class BertLMHeadModel extends Block {
    private final BertModel bert;
    private final Predictions predictions;

    public BertLMHeadModel(TextConfig c) {
        this.bert = child("bert", new BertModel(c));
        Cls cls = child("cls", new Cls());
        this.predictions = cls.predictions(new Predictions(c, bert.wordEmbeddings()));
    }

    /** A decoder sharing all but self-attention with {@code encoder} (pre-training weight sharing). */
    public BertLMHeadModel(TextConfig c, BertModel encoder) {
        this.bert = child("bert", new BertModel(c, encoder));
        Cls cls = child("cls", new Cls());
        this.predictions = cls.predictions(new Predictions(c, bert.wordEmbeddings()));
    }

    public BertModel bert() {
        return bert;
    }

    /** Logits (B, L, V) of the next token at each position, decoder mode. */
    public Tensor forward(Tensor ids, Tensor mask, Tensor states, Tensor statesMask, KvCache cache) {
        Tensor h = bert.forward(
                ids, mask, TextMode.DECODER, states == null ? null : new Tensor[] {states}, statesMask, cache);
        return predictions.forward(h);
    }

    /** A cache sized for this decoder. */
    public KvCache newCache() {
        return new KvCache(bert.config().numLayers());
    }

    /** The {@code cls} container (only child: {@code predictions}). */
    static final class Cls extends Block {
        Predictions predictions(Predictions p) {
            return child("predictions", p);
        }
    }

    /** transform (dense, GELU, LayerNorm) then the tied vocabulary projection; mirrors {@code BertLMPredictionHead}. */
    static final class Predictions extends Block {
        private final Transform transform;
        private final Tensor weight;
        private final Tensor bias;

        Predictions(TextConfig c, Tensor tiedWeight) {
            this.bias = param("bias", c.vocabSize());
            this.transform = child("transform", new Transform(c));
            Decoder d = child("decoder", new Decoder(tiedWeight, bias));
            this.weight = d.weight;
        }

        Tensor forward(Tensor h) {
            return T.linear(transform.forward(h), weight, bias); // (B, L, V)
        }
    }

    /** The tied {@code decoder.weight} / {@code decoder.bias} names of the LM projection. */
    static final class Decoder extends Block {
        final Tensor weight;

        Decoder(Tensor tiedWeight, Tensor bias) {
            this.weight = register("weight", tiedWeight);
            register("bias", bias);
        }
    }

    /** dense, GELU, LayerNorm; mirrors {@code BertPredictionHeadTransform}. */
    static final class Transform extends Block {
        private final Linear dense;
        private final LayerNorm layerNorm;

        Transform(TextConfig c) {
            this.dense = child("dense", new Linear(c.hiddenSize(), c.hiddenSize()));
            this.layerNorm = child("LayerNorm", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
        }

        Tensor forward(Tensor h) {
            return layerNorm.forward(T.gelu(dense.forward(h)));
        }
    }
}
