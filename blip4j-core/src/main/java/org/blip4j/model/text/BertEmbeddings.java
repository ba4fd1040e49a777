package org.blip4j.model.text;

import org.blip4j.config.TextConfig;
import org.blip4j.nn.Block;
import org.blip4j.nn.Embedding;
import org.blip4j.nn.LayerNorm;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Word plus absolute position embeddings, then LayerNorm; no token types. Mirrors {@code med.py BertEmbeddings}. */
public final class BertEmbeddings extends Block {
    final Embedding wordEmbeddings;
    private final Embedding positionEmbeddings;
    private final LayerNorm layerNorm;
    private final int maxPositions;
    private final double dropout;

    BertEmbeddings(TextConfig c) {
        this.maxPositions = c.maxPositions();
        this.dropout = c.hiddenDropout();
        this.wordEmbeddings = child("word_embeddings", new Embedding(c.vocabSize(), c.hiddenSize()));
        this.positionEmbeddings = child("position_embeddings", new Embedding(c.maxPositions(), c.hiddenSize()));
        this.layerNorm = child("LayerNorm", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
    }

    /** ids (B, L) int64 at positions pastLength .. pastLength + L - 1 → (B, L, D). */
    Tensor forward(Tensor ids, long pastLength) {
        long l = ids.size(1);
        if (pastLength + l > maxPositions) {
            throw new IllegalArgumentException(
                    "text of " + (pastLength + l) + " tokens exceeds max_position_embeddings " + maxPositions);
        }
        Tensor pos = torch.arange(
                org.blip4j.engine.T.s(pastLength),
                org.blip4j.engine.T.s(pastLength + l),
                new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Long)); // (L)
        return dropout(layerNorm.forward(wordEmbeddings.forward(ids).add(positionEmbeddings.forward(pos))), dropout);
    }
}
