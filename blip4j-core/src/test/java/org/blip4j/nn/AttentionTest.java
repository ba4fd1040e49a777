package org.blip4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.blip4j.engine.T;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * With autograd, attention is written out (matmul, softmax, matmul); its values and gradients equal libtorch's fused
 * kernel, which inference keeps using.
 */
class AttentionTest {
    static void assertClose(Tensor expected, Tensor actual, String what) {
        float[] e = T.toFloats(expected);
        float[] a = T.toFloats(actual);
        assertEquals(e.length, a.length, what);
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], 1e-5, what + " element " + i);
        }
    }

    @Test
    void writtenOutAttentionMatchesTheFusedKernelInValueAndGradient() {
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(11);
            Tensor q0 = torch.randn(2, 3, 5, 4);
            Tensor k0 = torch.randn(2, 3, 7, 4);
            Tensor v0 = torch.randn(2, 3, 7, 4);
            Tensor mask = torch.zeros(2, 1, 1, 7);
            mask.narrow(3, 5, 2).fill_(T.s(-10000.0)); // two padded keys, as BERT's extended mask
            Tensor g = torch.randn(2, 3, 5, 4);

            Tensor[] fused = leaves(q0, k0, v0);
            Tensor yf = torch.scaled_dot_product_attention(
                    fused[0], fused[1], fused[2], T.opt(mask), 0.0, false, new DoubleOptional(), false);
            yf.mul(g).sum().backward();
            Tensor[] ours = leaves(q0, k0, v0);
            Tensor y = Attention.sdpa(ours[0], ours[1], ours[2], mask);
            assertTrue(y.requires_grad());
            y.mul(g).sum().backward();

            assertClose(yf, y, "output");
            String[] names = {"dq", "dk", "dv"};
            for (int i = 0; i < 3; i++) {
                assertClose(fused[i].grad(), ours[i].grad(), names[i]);
            }
            try (NoGradGuard ng = new NoGradGuard()) {
                assertClose(yf, Attention.sdpa(q0, k0, v0, mask), "inference (fused kernel)");
            }
        }
    }

    private static Tensor[] leaves(Tensor... ts) {
        Tensor[] out = new Tensor[ts.length];
        for (int i = 0; i < ts.length; i++) {
            out[i] = ts[i].clone().set_requires_grad(true);
        }
        return out;
    }
}
