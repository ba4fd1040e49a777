package org.blip4j.bench;

import java.util.ArrayList;
import java.util.List;
import org.blip4j.engine.Engine;
import org.blip4j.engine.Int8Linear;
import org.blip4j.engine.T;
import org.blip4j.nn.Attention;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Where the time goes (issue 14 §5): every op of one ViT-B/16 block at 384 px (batch 1), one MED text layer with
 * cross-attention as ITM runs it (256 texts × 35 tokens over one image's 577 tokens, keys/values of the image computed
 * once), and one cached beam-3 decode step's ops (float32, int8 and bf16), each timed alone (median ms of a few
 * calls) with the ops and shapes blip4j's model classes use, next to a 2048³ matmul. Usage: {@code OpProfile [reps]}.
 */
public final class OpProfile {
    private OpProfile() {}

    static final List<String[]> ROWS = new ArrayList<>();

    static double op(String section, String name, double flops, int reps, PerfProbe.Op f) {
        double ms = PerfProbe.ms(f, reps);
        ROWS.add(new String[] {
            section, name, String.format("%.2f", ms), flops > 0 ? String.format("%.0f", flops / ms / 1e6) : ""
        });
        return ms;
    }

    static Tensor w(long out, long in) {
        return torch.randn(out, in).mul(T.s(0.02));
    }

    public static void main(String[] args) {
        Engine.load();
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        double d = 768;
        try (NoGradGuard g = new NoGradGuard()) {
            double mm = op(
                    "reference",
                    "matmul 2048³",
                    2 * Math.pow(2048, 3),
                    reps,
                    () -> torch.matmul(torch.randn(2048, 2048), torch.randn(2048, 2048)));
            // ViT block, batch 1, 577 tokens
            long n = 577;
            Tensor x = torch.randn(1, n, 768); // (B, N, D)
            Tensor lnW = torch.ones(768);
            Tensor lnB = torch.zeros(768);
            Tensor qkv = w(2304, 768);
            Tensor proj = w(768, 768);
            Tensor fc1 = w(3072, 768);
            Tensor fc2 = w(768, 3072);
            Tensor b2304 = torch.zeros(2304);
            Tensor b768 = torch.zeros(768);
            Tensor b3072 = torch.zeros(3072);
            Tensor q = torch.randn(1, 12, n, 64); // (B, H, N, hd)
            Tensor h3072 = torch.randn(1, n, 3072);
            double total = 0;
            total += op("ViT block", "layer_norm ×2", 0, reps, () -> T.layerNorm(x, lnW, lnB, 1e-6));
            total += op("ViT block", "layer_norm", 0, reps, () -> T.layerNorm(x, lnW, lnB, 1e-6));
            total += op("ViT block", "linear qkv 768→2304", 2 * n * d * 2304, reps, () -> T.linear(x, qkv, b2304));
            total += op(
                    "ViT block",
                    "scaled_dot_product_attention (fused)",
                    4 * n * n * d,
                    reps,
                    () -> Attention.sdpa(q, q, q, null));
            op(
                    "ViT block",
                    "  written out: matmul, softmax, matmul (not used)",
                    4 * n * n * d,
                    reps,
                    () -> torch.matmul(
                            torch.matmul(q, q.transpose(-2, -1)).mul(T.s(0.125)).softmax(-1), q));
            total += op("ViT block", "linear proj 768→768", 2 * n * d * d, reps, () -> T.linear(x, proj, b768));
            total += op("ViT block", "linear fc1 768→3072", 2 * n * d * 3072, reps, () -> T.linear(x, fc1, b3072));
            total += op("ViT block", "GELU (577×3072)", 0, reps, () -> T.gelu(h3072));
            total += op("ViT block", "linear fc2 3072→768", 2 * n * d * 3072, reps, () -> T.linear(h3072, fc2, b768));
            total += op("ViT block", "residual adds ×2", 0, reps, () -> x.add(x).add(x));
            ROWS.add(new String[] {
                "ViT block",
                "sum of the ops",
                String.format("%.1f", total),
                String.format("%.0f", (TaskBenchmark.vitFlops(384) - 2 * 576 * 768 * 768) / 12 / total / 1e6)
            });

            // MED layer with cross-attention, ITM: 256 texts × 35 tokens, one image
            long rows = 256;
            long len = 35;
            double t = rows * len;
            Tensor tx = torch.randn(rows, len, 768);
            Tensor img = torch.randn(1, n, 768);
            Tensor sq = torch.randn(rows, 12, len, 64);
            Tensor ck = torch.randn(1, 12, n, 64);
            Tensor cq = torch.randn(1, 12, rows * len, 64); // the rows folded into the query length (shared K/V)
            Tensor th = torch.randn(rows, len, 3072);
            Tensor mask = torch.zeros(rows, 1, 1, len);
            total = 0;
            total += op(
                    "text layer (ITM 256×35)",
                    "self q, k, v linears",
                    2 * t * d * d * 3,
                    reps,
                    () -> torch.stack(new org.bytedeco.pytorch.TensorVector(
                            T.linear(tx, proj, b768), T.linear(tx, proj, b768), T.linear(tx, proj, b768))));
            total += op(
                    "text layer (ITM 256×35)",
                    "self-attention (fused)",
                    4 * rows * len * len * d,
                    reps,
                    () -> Attention.sdpa(sq, sq, sq, mask));
            total += op(
                    "text layer (ITM 256×35)",
                    "self out linear + LN",
                    2 * t * d * d,
                    reps,
                    () -> T.layerNorm(T.linear(tx, proj, b768).add(tx), lnW, lnB, 1e-12));
            total += op(
                    "text layer (ITM 256×35)", "cross q linear", 2 * t * d * d, reps, () -> T.linear(tx, proj, b768));
            total += op(
                    "text layer (ITM 256×35)",
                    "cross k, v of the image (once per image)",
                    4 * n * d * d,
                    reps,
                    () -> T.linear(img, proj, b768).add(T.linear(img, proj, b768)));
            total += op(
                    "text layer (ITM 256×35)",
                    "cross-attention, 8960 queries × 577 keys (fused)",
                    4 * t * n * d,
                    reps,
                    () -> Attention.sdpa(cq, ck, ck, null));
            total += op(
                    "text layer (ITM 256×35)",
                    "cross out linear + LN",
                    2 * t * d * d,
                    reps,
                    () -> T.layerNorm(T.linear(tx, proj, b768).add(tx), lnW, lnB, 1e-12));
            total += op(
                    "text layer (ITM 256×35)",
                    "FFN up 768→3072 + GELU",
                    2 * t * d * 3072,
                    reps,
                    () -> T.gelu(T.linear(tx, fc1, b3072)));
            total += op(
                    "text layer (ITM 256×35)",
                    "FFN down 3072→768 + LN",
                    2 * t * d * 3072,
                    reps,
                    () -> T.layerNorm(T.linear(th, fc2, b768).add(tx), lnW, lnB, 1e-12));
            ROWS.add(new String[] {
                "text layer (ITM 256×35)",
                "sum of the ops",
                String.format("%.1f", total),
                String.format("%.0f", TaskBenchmark.medFlops(256, 35, 1, 577, false) / 12 / total / 1e6)
            });

            // decode step, beam 3, one new token, 20 cached positions, per layer ×12 plus the LM head
            Tensor dx = torch.randn(3, 1, 768);
            Tensor lm = w(30524, 768);
            Tensor blm = torch.zeros(30524);
            Tensor past = torch.randn(3, 12, 21, 64);
            Tensor dq = torch.randn(3, 12, 1, 64);
            Tensor dqf = torch.randn(1, 12, 3, 64);
            Tensor dh = torch.randn(3, 1, 3072);
            for (String mode : new String[] {"float32", "int8", "bf16"}) {
                boolean int8 = mode.equals("int8");
                boolean bf16 = mode.equals("bf16");
                String sec = "decode step " + mode + " (per layer unless said)";
                List<Tensor> ws = List.of(proj, fc1, fc2, lm);
                if (int8) {
                    Int8Linear.register(ws);
                }
                if (bf16) { // as Bf16Inference: the vocabulary projection's top logits recomputed in float32
                    org.blip4j.engine.Bf16Linear.register(ws, List.of(lm), org.blip4j.model.Bf16Inference.RESCORE_TOP);
                }
                total = 0;
                double lin = op(sec, "6 linears 768→768 (self q,k,v,out; cross q,out)", 0, reps * 4, () -> {
                    Tensor y = null;
                    for (int i = 0; i < 6; i++) {
                        y = T.linear(dx, proj, b768);
                    }
                    return y;
                });
                double ffn =
                        op(sec, "FFN 768→3072→768", 0, reps * 4, () -> T.linear(T.linear(dx, fc1, b3072), fc2, b768));
                double att = op(
                        sec,
                        "self-attention over 21 + cross-attention over 577 (fused)",
                        0,
                        reps * 4,
                        () -> Attention.sdpa(dq, past, past, null)
                                .add(Attention.sdpa(dqf, ck, ck, null).view(3, 12, 1, 64)));
                double kv = op(
                        sec,
                        "self KV cache concat (k and v)",
                        0,
                        reps * 4,
                        () -> T.cat(2, past, dq).add(T.cat(2, past, dq).sum()));
                double head = op(sec, "LM head 768→30524 (once per step)", 0, reps * 4, () -> T.linear(dx, lm, blm));
                if (int8) { // the default: int8 projection, its top logits per beam recomputed from float32 rows
                    Int8Linear rescored = Int8Linear.quantize(lm, org.blip4j.model.Int8Decoding.RESCORE_TOP);
                    head = op(
                            sec,
                            "LM head int8, top " + org.blip4j.model.Int8Decoding.RESCORE_TOP
                                    + " per beam recomputed in float32 (the default)",
                            0,
                            reps * 4,
                            () -> rescored.forward(dx, blm));
                }
                total = 12 * (lin + ffn + att + kv) + head;
                ROWS.add(new String[] {sec, "step estimate: 12 layers + head", String.format("%.1f", total), ""});
                if (int8) {
                    Int8Linear.unregister(ws);
                }
                if (bf16) {
                    org.blip4j.engine.Bf16Linear.unregister(ws);
                }
            }
            System.out.printf(
                    "load average %s, libtorch threads %d, matmul 2048³ %.0f GFLOP/s%n%n",
                    Ceiling.load(), torch.get_num_threads(), 2 * Math.pow(2048, 3) / mm / 1e6);
            System.out.println("| part | op | ms | GFLOP/s |");
            System.out.println("|---|---|---|---|");
            for (String[] r : ROWS) {
                System.out.printf("| %s | %s | %s | %s |%n", (Object[]) r);
            }
        }
    }
}
