package org.blip4j.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import org.blip4j.config.TextConfig;
import org.blip4j.engine.T;
import org.blip4j.train.Init;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * NLVR2's twin cross-attention drops out as {@code nlvr_encoder.py}: attention probabilities in {@code self0} /
 * {@code self1} ({@code attention_probs_dropout_prob}) and the averaged or merged output
 * ({@code hidden_dropout_prob}), only in training mode. Each setting is switched on alone, so a block that lost it
 * fails its case.
 */
class NlvrTwinDropoutTest {
    static final int HIDDEN = 48;
    static final int WIDTH = 32;

    static TextConfig config(double hiddenDropout, double attentionDropout) {
        return new TextConfig(
                100,
                HIDDEN,
                NlvrTwinAttention.FIRST_MERGE_LAYER + 2,
                3,
                4 * HIDDEN,
                16,
                1e-12,
                WIDTH,
                true,
                0,
                hiddenDropout,
                attentionDropout);
    }

    /** The block's output for fixed inputs, in training (autograd on, as the trainer runs it) or eval mode. */
    static float[] run(TextConfig c, int layer, boolean training, long seed) {
        NlvrTwinAttention twin = new NlvrTwinAttention(c, layer);
        Init.blip(twin, 11, 0.3); // same names, same seed: the same weights whatever the dropout settings
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(5);
            Tensor x = torch.randn(2, 5, HIDDEN); // (B, L, D)
            Tensor[] states = {torch.randn(2, 7, WIDTH), torch.randn(2, 7, WIDTH)}; // two images (B, S, W)
            Tensor mask = torch.zeros(2, 1, 1, 7); // additive, nothing masked
            torch.manual_seed(seed);
            if (training) {
                twin.train(true);
                twin.requiresGrad(true);
                return T.toFloats(twin.forward(x, states, mask));
            }
            try (NoGradGuard g = new NoGradGuard()) {
                return T.toFloats(twin.forward(x, states, mask));
            }
        }
    }

    @ParameterizedTest(name = "layer {0}")
    @ValueSource(ints = {0, NlvrTwinAttention.FIRST_MERGE_LAYER}) // averaging and merge_layer variants
    void dropoutActsInTrainingOnly(int layer) {
        float[] plain = run(config(0, 0), layer, false, 1);
        // eval: no dropout whatever the config says
        assertArrayEquals(plain, run(config(0.3, 0.3), layer, false, 1), "eval mode must not drop");
        // training with both probabilities 0 is the eval computation (the comparisons below are meaningful)
        assertArrayEquals(plain, run(config(0, 0), layer, true, 1), 1e-6f);
        // each probability alone changes the training output: it reached the twin path
        float[] hidden = run(config(0.3, 0), layer, true, 1);
        assertFalse(Arrays.equals(plain, hidden), "hidden_dropout_prob must act on the twin output");
        float[] attention = run(config(0, 0.3), layer, true, 1);
        assertFalse(Arrays.equals(plain, attention), "attention_probs_dropout_prob must act in self0/self1");
        // draws follow the seed: the same seed repeats, another differs
        assertArrayEquals(hidden, run(config(0.3, 0), layer, true, 1));
        assertFalse(Arrays.equals(hidden, run(config(0.3, 0), layer, true, 2)));
    }
}
