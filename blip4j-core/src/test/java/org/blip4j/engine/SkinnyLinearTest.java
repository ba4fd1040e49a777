package org.blip4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.blip4j.testutil.SystemProperty;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** The matrix–vector path of {@code T.linear} for a few rows equals {@code torch.linear} in value and shape. */
class SkinnyLinearTest {
    static void assertClose(Tensor expected, Tensor actual) {
        assertArrayEquals(shape(expected), shape(actual), "shape");
        float[] e = T.toFloats(expected);
        float[] a = T.toFloats(actual);
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], 1e-4 * Math.max(1, Math.abs(e[i])), "element " + i);
        }
    }

    static long[] shape(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) {
            s[i] = t.size(i);
        }
        return s;
    }

    @Test
    void equalsTorchLinearForEveryRowCountBlockSizeAndBias() {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(3);
            Tensor w = torch.randn(37, 19);
            Tensor b = torch.randn(37);
            for (int rows = 1; rows <= SkinnyLinear.MAX_ROWS; rows++) {
                Tensor x = torch.randn(rows, 1, 19); // (R, 1, in): a decode step's shape
                assertTrue(SkinnyLinear.applies(x, w));
                Tensor expected = torch.linear(x, w, T.opt(b));
                for (SkinnyLinear.Kernel k : SkinnyLinear.Kernel.values()) {
                    for (long block : new long[] {1, 5, 37, 1 << 20}) { // one weight row, 5 (a remainder), all, more
                        assertClose(expected, SkinnyLinear.forward(x, w, b, k, block));
                        assertClose(torch.linear(x, w, T.opt(null)), SkinnyLinear.forward(x, w, null, k, block));
                    }
                }
                assertClose(expected, T.linear(x, w, b));
            }
            Tensor x2 = torch.randn(2, 19).t().contiguous().t(); // a non-contiguous 2-D input
            assertClose(torch.linear(x2, w, T.opt(b)), T.linear(x2, w, b));
        }
    }

    @Test
    void splitAcrossJavaThreadsEqualsOneThread() {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(5);
            Tensor w = torch.randn(1001, 300); // 1.2 MB: above the split threshold; odd row count: uneven chunks
            assertTrue(w.numel() * 4 >= SkinnyParallel.MIN_BYTES);
            Tensor b = torch.randn(1001);
            Tensor x = torch.randn(3, 1, 300);
            Tensor expected = torch.linear(x, w, T.opt(b));
            for (String threads : new String[] {"1", "2", "3"}) {
                try (SystemProperty p = SystemProperty.set(SkinnyParallel.PROPERTY, threads)) {
                    assertEquals(Integer.parseInt(threads), SkinnyParallel.parts(w.numel() * 4));
                    assertClose(expected, SkinnyLinear.forward(x, w, b));
                    assertClose(torch.linear(x, w, T.opt(null)), SkinnyLinear.forward(x, w, null));
                    assertEquals(
                            1, SkinnyParallel.parts(SkinnyParallel.MIN_BYTES - 1), "small weights stay on the caller");
                }
            }
        }
    }

    @Test
    void concurrentCallersShareTheWorkersSafely() throws Exception {
        // a server decodes several requests at once: one caller holds the workers, the others run on their own thread
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard();
                SystemProperty p = SystemProperty.set(SkinnyParallel.PROPERTY, "2")) {
            torch.manual_seed(7);
            Tensor w = torch.randn(1200, 256); // 1.2 MB: split
            Tensor b = torch.randn(1200);
            int callers = 4;
            Tensor[] x = new Tensor[callers];
            float[][] expected = new float[callers][];
            for (int c = 0; c < callers; c++) {
                x[c] = torch.randn(3, 1, 256);
                expected[c] = T.toFloats(torch.linear(x[c], w, T.opt(b)));
            }
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(callers);
            try {
                java.util.List<java.util.concurrent.Future<float[]>> got = new java.util.ArrayList<>();
                for (int round = 0; round < 25; round++) {
                    for (int c = 0; c < callers; c++) {
                        int cc = c;
                        got.add(pool.submit(() -> {
                            try (PointerScope ws = new PointerScope();
                                    NoGradGuard wg = new NoGradGuard()) {
                                return T.toFloats(SkinnyLinear.forward(x[cc], w, b));
                            }
                        }));
                    }
                }
                for (int i = 0; i < got.size(); i++) {
                    float[] e = expected[i % callers];
                    float[] a = got.get(i).get();
                    for (int j = 0; j < e.length; j++) {
                        assertEquals(e[j], a[j], 1e-4 * Math.max(1, Math.abs(e[j])), "call " + i + ", element " + j);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void kernelFollowsOpenBlasCoreChoice() {
        // OPENBLAS_CORETYPE decides when set: only the AVX-512 cores have OpenBLAS's small-matrix kernels
        assertEquals(
                SkinnyLinear.Kernel.MV, SkinnyLinear.Kernel.detect("Haswell", "fpu avx2 avx512f avx512bw avx512vl"));
        assertEquals(SkinnyLinear.Kernel.BMM, SkinnyLinear.Kernel.detect("SKYLAKEX", "fpu avx2"));
        assertEquals(SkinnyLinear.Kernel.BMM, SkinnyLinear.Kernel.detect(" sapphirerapids ", null));
        // otherwise the CPU: AVX-512 F, BW and VL, as OpenBLAS's SkylakeX core needs
        assertEquals(
                SkinnyLinear.Kernel.BMM,
                SkinnyLinear.Kernel.detect(null, " fpu avx2 avx512f avx512dq avx512bw avx512vl"));
        assertEquals(SkinnyLinear.Kernel.MV, SkinnyLinear.Kernel.detect("", "fpu avx2 fma"));
        assertEquals(SkinnyLinear.Kernel.MV, SkinnyLinear.Kernel.detect(null, "avx512f"));
        assertEquals(SkinnyLinear.Kernel.MV, SkinnyLinear.Kernel.detect(null, null));
    }

    @Test
    void stepsAsideWhereSgemmIsTheRightTool() {
        try (PointerScope s = new PointerScope()) {
            Tensor w = torch.randn(8, 6);
            Tensor few = torch.randn(2, 6);
            Tensor many = torch.randn(SkinnyLinear.MAX_ROWS + 1, 6);
            try (NoGradGuard g = new NoGradGuard()) {
                assertTrue(SkinnyLinear.applies(few, w));
                assertFalse(SkinnyLinear.applies(many, w), "more rows than MAX_ROWS");
                assertFalse(
                        SkinnyLinear.applies(few.to(torch.ScalarType.Double), w.to(torch.ScalarType.Double)),
                        "float64");
                assertFalse(SkinnyLinear.applies(few, w.t()), "non-contiguous weight");
            }
            assertFalse(SkinnyLinear.applies(few, w), "autograd on: torch.linear keeps the graph");
        }
    }
}
