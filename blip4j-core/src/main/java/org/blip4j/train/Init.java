package org.blip4j.train;

import java.util.Map;
import org.blip4j.nn.Block;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Fresh weights for training from scratch, mirrors BLIP's initialisation: timm's {@code trunc_normal_(std=.02)} for
 * ViT Linear weights, pos_embed and cls_token (its ±2 absolute bounds never bind at std 0.02, so a normal draw is the
 * same distribution), BERT's normal(0, 0.02) for Linear and Embedding weights, zero biases, LayerNorm weight 1 and
 * bias 0. Deterministic for a seed.
 */
public final class Init {
    private Init() {}

    /** Initialises every tensor of {@code model} by its name; buffers (queues, pointers) are left as they are. */
    public static void blip(Block model, long seed, double std) {
        torch.manual_seed(seed);
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
                String name = e.getKey();
                Tensor t = e.getValue();
                if (name.endsWith("temp")) {
                    t.fill_(org.blip4j.engine.T.s(0.07));
                } else if (name.contains("LayerNorm")
                        || name.matches("(.*\\.)?norm\\d?\\.(weight|bias)")
                        || name.matches(".*layer_norm\\d?\\.(weight|bias)")) {
                    t.fill_(org.blip4j.engine.T.s(name.endsWith("weight") ? 1.0 : 0.0));
                } else if (name.endsWith("bias")) {
                    t.zero_();
                } else {
                    t.normal_(0.0, std, new GeneratorOptional());
                }
            }
        }
    }
}
