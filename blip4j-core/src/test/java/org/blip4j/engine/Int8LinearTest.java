package org.blip4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.blip4j.testutil.SystemProperty;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * The int8 product split into row chunks (run on several threads for few rows) gives exactly the whole product: the
 * chunks share one quantisation, and each quantises the activations alike.
 */
class Int8LinearTest {
    private static Tensor product(String chunks, Tensor w, Tensor x, Tensor b, int[] count) {
        try (SystemProperty c = SystemProperty.set(Int8Linear.CHUNKS_PROPERTY, chunks)) {
            Int8Linear q = Int8Linear.quantize(w);
            try {
                count[0] = q.chunkCount();
                return q.forward(x, b);
            } finally {
                q.free();
            }
        }
    }

    @Test
    void rowChunksOnOneOrSeveralThreadsEqualTheWholeProduct() {
        assumeTrue(Int8Linear.isSupported(), "FBGEMM needs AVX2");
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(11);
            Tensor w = torch.randn(1001, 1100); // 1.1 MB of int8: above the split threshold; odd rows: uneven chunks
            Tensor b = torch.randn(1001);
            int[] n = new int[1];
            for (long rows : new long[] {1, 3, Int8Linear.PARALLEL_ROWS, Int8Linear.PARALLEL_ROWS + 7}) {
                Tensor x = torch.randn(rows, 1, 1100); // (R, 1, in): few rows run in parallel, more in turn
                float[] whole = T.toFloats(product("1", w, x, b, n));
                assertEquals(1, n[0]);
                for (String chunks : new String[] {"2", "3"}) {
                    for (String threads : new String[] {"1", "2"}) {
                        try (SystemProperty t = SystemProperty.set(SkinnyParallel.PROPERTY, threads)) {
                            Tensor y = product(chunks, w, x, b, n);
                            assertEquals(Integer.parseInt(chunks), n[0]);
                            assertArrayEquals(new long[] {rows, 1, 1001}, SkinnyLinearTest.shape(y));
                            assertArrayEquals(whole, T.toFloats(y), chunks + " chunks, " + threads + " threads");
                        }
                    }
                }
                // and the int8 product is the float32 one up to int8 rounding
                assertNear(torch.linear(x, w, T.opt(b)), product("2", w, x, b, n), 0.05);
            }
            Tensor small = torch.randn(100, 50); // 100 rows: under two 64-row chunks, so one even when 2 are asked for
            product("2", small, torch.randn(1, 50), null, n);
            assertEquals(1, n[0], "a weight under 128 rows is not split");
        }
    }

    /** Relative (Frobenius) error of {@code actual} under {@code tolerance}. */
    private static void assertNear(Tensor expected, Tensor actual, double tolerance) {
        float[] e = T.toFloats(expected);
        float[] a = T.toFloats(actual);
        double err = 0;
        double norm = 0;
        for (int i = 0; i < e.length; i++) {
            err += (e[i] - a[i]) * (double) (e[i] - a[i]);
            norm += e[i] * (double) e[i];
        }
        assertTrue(Math.sqrt(err / norm) < tolerance, "relative error " + Math.sqrt(err / norm));
    }

    /**
     * Weights at the full int8 range and activations at the top of u8's overflow FBGEMM's AVX2 kernel (pairs of
     * products summed in saturating 16 bits: 255 · 127 · 2 > 32,767), which returned about half of this product on an
     * AVX2-only EPYC; weights quantised to 7 bits there give it exactly.
     */
    @Test
    void aProductThatSaturatesAvx2AtFullRangeIsRight() {
        assumeTrue(Int8Linear.isSupported(), "no FBGEMM on this CPU");
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor w = torch.ones(4, 64).mul(org.blip4j.engine.T.s(0.5)); // (out, in)
            Tensor y = Int8Linear.quantize(w).forward(torch.ones(2, 64), null); // (2, 4): each 32 exactly
            float[] got = org.blip4j.engine.T.toFloats(y);
            for (float v : got) {
                assertEquals(32.0, v, 0.5, "halfRange " + Int8Linear.halfRange());
            }
        }
    }
}
