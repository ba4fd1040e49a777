package org.blip4j.bench;

import java.util.Map;
import org.blip4j.nn.Block;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Fills a model with seeded random weights, since all-zero weights can take fast paths that real weights never do. */
final class RandomWeights {
    private RandomWeights() {}

    /** N(0, 0.02) everywhere except layer-norm scales, which get N(1, 0.02) so that activations keep their size. */
    static <B extends Block> B init(B model, long seed) {
        torch.manual_seed(seed);
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : model.namedTensors().entrySet()) {
                Tensor t = e.getValue();
                if (!t.is_floating_point()) {
                    continue;
                }
                String name = e.getKey().toLowerCase(java.util.Locale.ROOT);
                double mean = name.contains("norm") && name.endsWith(".weight") ? 1.0 : 0.0;
                t.normal_(mean, 0.02, new GeneratorOptional());
            }
        }
        return model;
    }
}
