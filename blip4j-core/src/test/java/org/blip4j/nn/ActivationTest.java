package org.blip4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.blip4j.config.ConfigException;
import org.blip4j.config.TextConfig;
import org.blip4j.config.VisionConfig;
import org.blip4j.engine.T;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;

/** {@code hidden_act} is read from the config and applied as Hugging Face's ACT2FN defines it. */
class ActivationTest {
    @Test
    void valuesAsTheirDefinitions() {
        double[] xs = {-2.0, -0.5, 0.0, 0.7, 3.0};
        try (PointerScope s = new PointerScope()) {
            for (double x : xs) {
                var t = T.floats(new float[] {(float) x}, 1);
                double gelu = 0.5 * x * (1 + erf(x / Math.sqrt(2)));
                double tanh = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
                assertEquals(gelu, T.toFloats(Activation.GELU.apply(t))[0], 1e-5);
                assertEquals(tanh, T.toFloats(Activation.GELU_TANH.apply(t))[0], 1e-5);
                assertEquals(x / (1 + Math.exp(-1.702 * x)), T.toFloats(Activation.QUICK_GELU.apply(t))[0], 1e-5);
                assertEquals(Math.max(0, x), T.toFloats(Activation.RELU.apply(t))[0], 1e-6);
                assertEquals(x / (1 + Math.exp(-x)), T.toFloats(Activation.SILU.apply(t))[0], 1e-5);
            }
        }
    }

    @Test
    void readFromConfig() throws Exception {
        var m = new ObjectMapper();
        assertEquals(Activation.GELU, TextConfig.fromMed(m.readTree("{}")).hiddenAct());
        assertEquals(
                Activation.RELU,
                TextConfig.fromHf(m.readTree("{\"hidden_act\": \"relu\"}")).hiddenAct());
        assertEquals(
                Activation.GELU_TANH,
                VisionConfig.fromHf(m.readTree("{\"hidden_act\": \"gelu_pytorch_tanh\"}"))
                        .hiddenAct());
        var e = assertThrows(ConfigException.class, () -> TextConfig.fromMed(m.readTree("{\"hidden_act\": \"mish\"}")));
        assertTrue(e.getMessage().contains("mish"), e.getMessage());
        for (Activation a : Activation.values()) {
            assertEquals(a, Activation.parse(a.configName()));
        }
    }

    /** erf by Simpson integration of 2/sqrt(pi) exp(-t^2) over 2000 intervals (Java has no erf). */
    private static double erf(double x) {
        int n = 2000;
        double h = x / n;
        double sum = 1 + Math.exp(-x * x);
        for (int i = 1; i < n; i++) {
            double t = i * h;
            sum += (i % 2 == 1 ? 4 : 2) * Math.exp(-t * t);
        }
        return 2 / Math.sqrt(Math.PI) * sum * h / 3;
    }
}
