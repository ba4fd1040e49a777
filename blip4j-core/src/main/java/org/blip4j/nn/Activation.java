package org.blip4j.nn;

import org.blip4j.engine.T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The feed-forward activation named by a config's {@code hidden_act}, as Hugging Face's {@code ACT2FN}: {@code gelu}
 * (exact, erf; BLIP's med_config and vit.py), {@code gelu_new} / {@code gelu_pytorch_tanh} (tanh approximation),
 * {@code quick_gelu}, {@code relu}, {@code silu}.
 */
public enum Activation {
    GELU("gelu"),
    GELU_TANH("gelu_new"),
    QUICK_GELU("quick_gelu"),
    RELU("relu"),
    SILU("silu");

    private final String configName;

    Activation(String configName) {
        this.configName = configName;
    }

    /** The name written to {@code config.json}. */
    public String configName() {
        return configName;
    }

    /** Applies the activation element-wise. */
    public Tensor apply(Tensor x) {
        return switch (this) {
            case GELU -> torch.gelu(x);
            case GELU_TANH -> torch.gelu(x, "tanh");
            case QUICK_GELU -> x.mul(torch.sigmoid(x.mul(T.s(1.702))));
            case RELU -> torch.relu(x);
            case SILU -> torch.silu(x);
        };
    }

    /**
     * Parses a {@code hidden_act} value.
     *
     * @throws IllegalArgumentException naming the value and the accepted ones
     */
    public static Activation parse(String name) {
        return switch (name) {
            case "gelu" -> GELU;
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> GELU_TANH;
            case "quick_gelu" -> QUICK_GELU;
            case "relu" -> RELU;
            case "silu", "swish" -> SILU;
            default ->
                throw new IllegalArgumentException("unsupported hidden_act '" + name
                        + "' (supported: gelu, gelu_new, gelu_pytorch_tanh, quick_gelu, relu, silu)");
        };
    }
}
