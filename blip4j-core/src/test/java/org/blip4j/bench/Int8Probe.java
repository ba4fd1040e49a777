package org.blip4j.bench;

import org.blip4j.engine.Engine;
import org.blip4j.engine.Int8Linear;
import org.blip4j.engine.T;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.T_TensorTensorDoubleLong_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** int8 product error, per-tensor (plain FBGEMM) against blip4j's per-row scaled weights (a profiling aid). */
public final class Int8Probe {
    private Int8Probe() {}

    public static void main(String[] args) {
        Engine.load();
        try (NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(1);
            for (double spread : new double[] {0, 0.5, 1.0}) {
                Tensor w = torch.randn(768, 768)
                        .mul(T.s(0.02))
                        .mul(torch.randn(768, 1).mul(T.s(spread)).exp());
                Tensor b = torch.zeros(768);
                Tensor x = torch.randn(3, 768);
                Tensor ref = torch.linear(x, w, T.opt(b));
                T_TensorTensorDoubleLong_T q = torch.fbgemm_linear_quantize_weight(w);
                Tensor qw = new Tensor(q.get0());
                Tensor co = new Tensor(q.get1());
                Tensor y1 = torch.fbgemm_linear_int8_weight_fp32_activation(
                        x, qw, torch.fbgemm_pack_quantized_matrix(qw), co, T.s(q.get2()), T.s(q.get3()), b);
                Tensor y2 = Int8Linear.quantize(w).forward(x, b);
                double n = ref.norm().item_double();
                System.out.printf(
                        "row spread %.1f: per-tensor rel err %.2e, per-row %.2e%n",
                        spread,
                        y1.sub(ref).norm().item_double() / n,
                        y2.sub(ref).norm().item_double() / n);
            }
        }
    }
}
