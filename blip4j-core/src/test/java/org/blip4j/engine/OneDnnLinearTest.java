package org.blip4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.blip4j.testutil.SystemProperty;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/** oneDNN products of many rows: chosen where OpenBLAS runs below the CPU's width, and equal to x Wᵀ + b. */
class OneDnnLinearTest {
    /** oneDNN forced, on a machine taken as calm ({@link MachineLoad}), until closed. */
    private static final class Forced implements AutoCloseable {
        private final SystemProperty gemm = SystemProperty.set(OneDnnLinear.PROPERTY, "onednn");
        private final SystemProperty calm = SystemProperty.set(MachineLoad.PROPERTY, "false");

        @Override
        public void close() {
            calm.close();
            gemm.close();
        }
    }

    private static final String AVX512 = "fpu sse2 avx avx2 fma avx512f avx512dq avx512bw avx512vl avx512_bf16";

    @Test
    void autoChoosesOneDnnOnlyWhereOpenBlasIsHeldBelowAnAvx512Cpu() {
        assertTrue(OneDnnLinear.autoChoice("Haswell", AVX512), "AVX2 kernels on an AVX-512 CPU");
        assertTrue(OneDnnLinear.autoChoice(" zen ", AVX512));
        assertFalse(OneDnnLinear.autoChoice(null, AVX512), "OpenBLAS picks its AVX-512 kernels itself");
        assertFalse(OneDnnLinear.autoChoice("", AVX512));
        assertFalse(OneDnnLinear.autoChoice("SkylakeX", AVX512));
        assertFalse(OneDnnLinear.autoChoice("Haswell", "fpu avx2 fma"), "an AVX2 CPU: both libraries run AVX2");
        assertFalse(OneDnnLinear.autoChoice("Haswell", null), "nothing known about the CPU");
        assertFalse(OneDnnLinear.autoChoice("Haswell", "avx512f"), "AVX-512 F without BW and VL");
    }

    @Test
    void thePropertyOverridesTheAutomaticChoiceAndRefusesOtherValues() {
        try (SystemProperty p = SystemProperty.set(OneDnnLinear.PROPERTY, "openblas")) {
            assertFalse(OneDnnLinear.enabled());
        }
        try (SystemProperty p = SystemProperty.set(OneDnnLinear.PROPERTY, " OneDNN ")) {
            assertTrue(OneDnnLinear.enabled());
        }
        try (SystemProperty p = SystemProperty.set(OneDnnLinear.PROPERTY, "mkl")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, OneDnnLinear::enabled);
            assertTrue(e.getMessage().contains("blip4j.gemm") && e.getMessage().contains("mkl"), e.getMessage());
        }
    }

    /** x Wᵀ + b in float64 from the same float32 values: the reference the float32 products are held to. */
    private static Tensor exact(Tensor x, Tensor w, Tensor b) {
        Tensor y = torch.matmul(x.to(ScalarType.Double), w.to(ScalarType.Double).t());
        return (b == null ? y : y.add(b.to(ScalarType.Double))).to(ScalarType.Float);
    }

    @Test
    void tLinearTakesThePathForLargeInferenceProductsAndMatchesTheExactProduct() {
        try (Forced f = new Forced();
                PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(5);
            Tensor w = torch.randn(96, 640).div(T.s(25.0)); // (out, in)
            Tensor b = torch.randn(96);
            // 2-D and 3-D inputs, with and without bias; 300 × 640 × 96 multiply–adds is above MIN_MACS
            for (long[] shape : new long[][] {{300, 640}, {3, 100, 640}}) {
                for (Tensor bias : new Tensor[] {b, null}) {
                    Tensor x = torch.randn(shape);
                    long before = OneDnnLinear.CALLS.get();
                    Tensor y = T.linear(x, w, bias);
                    assertEquals(before + 1, OneDnnLinear.CALLS.get(), "T.linear used oneDNN");
                    long[] want = shape.clone();
                    want[want.length - 1] = 96;
                    assertArrayEquals(want, SkinnyLinearTest.shape(y));
                    SkinnyLinearTest.assertClose(exact(x, w, bias), y);
                }
            }
            // a decode step's few rows against a weight of MIN_STREAMED elements or more
            Tensor big = torch.randn(512, 640).div(T.s(25.0));
            for (long[] shape : new long[][] {{1, 640}, {3, 1, 640}}) {
                Tensor x = torch.randn(shape);
                long before = OneDnnLinear.CALLS.get();
                Tensor y = T.linear(x, big, null);
                assertEquals(before + 1, OneDnnLinear.CALLS.get(), "few rows through oneDNN");
                SkinnyLinearTest.assertClose(exact(x, big, null), y);
            }
            // a busy machine keeps OpenBLAS (MachineLoad)
            try (SystemProperty busy = SystemProperty.set(MachineLoad.PROPERTY, "true")) {
                Tensor x = torch.randn(300, 640);
                long before = OneDnnLinear.CALLS.get();
                SkinnyLinearTest.assertClose(exact(x, w, b), T.linear(x, w, b));
                assertEquals(before, OneDnnLinear.CALLS.get(), "busy: OpenBLAS");
            }
        }
    }

    @Test
    void productsWithAutogradGoThroughOneDnnBothWaysAndMatchTheExactGradients() {
        try (Forced f = new Forced();
                SystemProperty macs = SystemProperty.set("blip4j.gemm.minTrainMacs", "1"); // 300 × 640 × 96 is under
                SystemProperty split = SystemProperty.set("blip4j.gemm.minSplitTrainMacs", "1");
                PointerScope s = new PointerScope()) {
            torch.manual_seed(6);
            Tensor w = torch.randn(96, 640).div(T.s(25.0)).requires_grad_(true); // (out, in)
            Tensor b = torch.randn(96).requires_grad_(true);
            // 300 rows: 20 images of 15; 307 (prime): one image of 307, called directly (T.linear keeps
            // torch.linear for it on one thread)
            for (long[] shape : new long[][] {{300, 640}, {3, 100, 640}, {307, 640}}) {
                boolean direct = shape[0] == 307;
                for (boolean withBias : new boolean[] {true, false}) {
                    Tensor x = torch.randn(shape).requires_grad_(true);
                    for (Tensor p : new Tensor[] {x, w, b}) {
                        if (p.grad().defined()) {
                            p.grad().zero_();
                        }
                    }
                    long before = OneDnnLinear.trainingCalls();
                    Tensor y = direct
                            ? OneDnnLinear.forwardTrainable(x, w, withBias ? b : null)
                            : T.linear(x, w, withBias ? b : null);
                    assertEquals(before + 1, OneDnnLinear.trainingCalls(), "T.linear took the trainable path");
                    assertTrue(y.requires_grad(), "the output is in the graph");
                    long[] want = shape.clone();
                    want[want.length - 1] = 96;
                    assertArrayEquals(want, SkinnyLinearTest.shape(y));
                    Tensor x0 = x.detach();
                    Tensor w0 = w.detach();
                    SkinnyLinearTest.assertClose(exact(x0, w0, withBias ? b.detach() : null), y.detach());
                    Tensor g = torch.randn(want); // dL/dy
                    y.mul(g).sum().backward();
                    // dL/dx = g W, dL/dW = gᵀ x, dL/db = Σ g over the rows: in float64 from the same values
                    Tensor g2 = g.reshape(-1, 96).to(ScalarType.Double);
                    Tensor x2 = x0.reshape(-1, 640).to(ScalarType.Double);
                    SkinnyLinearTest.assertClose(
                            torch.matmul(g2, w0.to(ScalarType.Double))
                                    .to(ScalarType.Float)
                                    .reshape(shape),
                            x.grad());
                    SkinnyLinearTest.assertClose(torch.matmul(g2.t(), x2).to(ScalarType.Float), w.grad());
                    if (withBias) {
                        SkinnyLinearTest.assertClose(
                                g2.sum(new long[] {0}, false, new org.bytedeco.pytorch.ScalarTypeOptional())
                                        .to(ScalarType.Float),
                                b.grad());
                    }
                }
            }
        }
    }

    /**
     * On an AMD EPYC of family 26 (Zen 5) oneDNN's packed copies of weights with 48, 96 or 160 outputs gave products
     * 30–40 % off from 5 rows on (session 33: the shipped `shapes` model's width-160 layers among them); each copy is
     * now checked against the plain weight before use. Whatever the CPU, every product must be right.
     */
    @Test
    void registeredWeightsGiveTheExactProductWhateverTheirOutputSize() {
        try (Forced f = new Forced();
                SystemProperty macs = SystemProperty.set("blip4j.gemm.minMacs", "1");
                PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(3);
            for (long out : new long[] {48, 96, 160, 128, 64}) {
                Tensor w = torch.randn(out, 32);
                Tensor b = torch.randn(out);
                OneDnnLinear.register(java.util.List.of(w));
                try {
                    for (long rows : new long[] {5, 64, 577}) {
                        Tensor x = torch.randn(rows, 32);
                        SkinnyLinearTest.assertClose(exact(x, w, b), T.linear(x, w, b));
                    }
                } finally {
                    OneDnnLinear.unregister(java.util.List.of(w));
                }
            }
        }
    }

    @Test
    void checkingACopyDrawsNoRandomNumbers() {
        try (Forced f = new Forced();
                PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(5);
            float[] want = T.toFloats(torch.randn(4));
            torch.manual_seed(5);
            Tensor w = torch.ones(160, 640);
            OneDnnLinear.register(java.util.List.of(w));
            try {
                T.linear(torch.ones(300, 640), w, null); // packs, and checks, the copy
            } finally {
                OneDnnLinear.unregister(java.util.List.of(w));
            }
            assertArrayEquals(want, T.toFloats(torch.randn(4)), "the generator's state is untouched");
        }
    }

    @Test
    void rowsSplitIntoSixteenImagesOrMoreWhereTheyCan() {
        assertEquals(16, OneDnnLinear.images(4160)); // 64 scenes × 65 tokens
        assertEquals(20, OneDnnLinear.images(300));
        assertEquals(16, OneDnnLinear.images(256));
        assertEquals(20, OneDnnLinear.images(60));
        assertEquals(1, OneDnnLinear.images(307), "prime");
        assertEquals(1, OneDnnLinear.images(1154), "2 × 577: no divisor from 16 to 256");
        assertEquals(1, OneDnnLinear.images(8));
    }

    @Test
    void onOneThreadOnlyRowsThatSplitTakeTheConvolution() {
        int threads = torch.get_num_threads();
        try (SystemProperty p = SystemProperty.set(OneDnnLinear.PROPERTY, "onednn");
                PointerScope s = new PointerScope()) {
            torch.set_num_threads(1);
            Tensor w = torch.randn(640, 160).requires_grad_(true);
            assertTrue(OneDnnLinear.appliesTraining(torch.randn(4160, 160), w), "16 images");
            assertTrue(
                    OneDnnLinear.appliesTraining(torch.randn(480, 160), torch.randn(480, 160)),
                    "480 × 160 × 480 reaches MIN_SPLIT_TRAIN_MACS");
            assertFalse(
                    OneDnnLinear.appliesTraining(torch.randn(320, 160), torch.randn(160, 160)),
                    "320 × 160 × 160 is under MIN_SPLIT_TRAIN_MACS");
            assertFalse(
                    OneDnnLinear.appliesTraining(torch.randn(4159, 160), w),
                    "prime rows on one thread: libtorch's own convolution, no faster than torch.linear");
            if (threads > 1) {
                torch.set_num_threads(2);
                assertTrue(OneDnnLinear.appliesTraining(torch.randn(4159, 160), w), "two threads: oneDNN anyway");
            }
        } finally {
            torch.set_num_threads(threads);
        }
    }

    @Test
    void productsWithAutogradKeepOpenBlasWhenSmallOffOrNotFloat() {
        try (PointerScope s = new PointerScope()) {
            Tensor w = torch.randn(768, 640).requires_grad_(true); // 300 × 640 × 768 ≥ MIN_TRAIN_MACS
            Tensor narrow = torch.randn(96, 640).requires_grad_(true);
            Tensor big = torch.randn(300, 640).requires_grad_(true);
            try (SystemProperty p = SystemProperty.set(OneDnnLinear.PROPERTY, "onednn")) {
                assertTrue(OneDnnLinear.appliesTraining(big, w));
                assertFalse(OneDnnLinear.appliesTraining(big, narrow), "under MIN_SPLIT_TRAIN_MACS (20 images)");
                assertFalse(
                        OneDnnLinear.appliesTraining(torch.randn(200, 4096), torch.randn(4096, 4096)),
                        "under MIN_TRAIN_ROWS: the weight's reorders cost more than the rows save");
                try (SystemProperty m = SystemProperty.set("blip4j.gemm.minSplitTrainMacs", "1")) {
                    assertTrue(OneDnnLinear.appliesTraining(big, narrow));
                    assertFalse(OneDnnLinear.appliesTraining(torch.randn(8, 640), narrow), "under MIN_TRAIN_ROWS");
                }
                assertFalse(OneDnnLinear.appliesTraining(torch.randn(640), w), "one vector");
                assertFalse(
                        OneDnnLinear.appliesTraining(big.to(ScalarType.Double), w.to(ScalarType.Double)), "float64");
                assertFalse(OneDnnLinear.appliesTraining(big, w.t().contiguous().t()), "a non-contiguous weight");
                try (NoGradGuard g = new NoGradGuard()) {
                    assertFalse(OneDnnLinear.appliesTraining(big, w), "autograd off: the inference path's business");
                }
            }
            try (SystemProperty p = SystemProperty.set(OneDnnLinear.PROPERTY, "openblas")) {
                assertFalse(OneDnnLinear.appliesTraining(big, w));
            }
            try (SystemProperty p = SystemProperty.set(OneDnnLinear.PROPERTY, "auto")) {
                assertEquals(
                        OneDnnLinear.enabled(),
                        OneDnnLinear.appliesTraining(big, w),
                        "auto: the inference path's choice (OpenBLAS held below an AVX-512 CPU)");
            }
        }
    }

    @Test
    void smallProductsTrainingAndOtherDtypesKeepOpenBlas() {
        try (SystemProperty p = SystemProperty.set(OneDnnLinear.PROPERTY, "onednn");
                PointerScope s = new PointerScope()) {
            Tensor w = torch.randn(96, 640);
            Tensor big = torch.randn(300, 640);
            try (NoGradGuard g = new NoGradGuard()) {
                assertTrue(OneDnnLinear.applies(big, w));
                assertFalse(OneDnnLinear.applies(torch.randn(8, 640), w), "under MIN_MACS");
                assertFalse(OneDnnLinear.applies(torch.randn(3, 640), w), "few rows, a weight under MIN_STREAMED");
                assertFalse(OneDnnLinear.applies(big.to(ScalarType.Double), w.to(ScalarType.Double)), "float64");
                assertFalse(OneDnnLinear.applies(big, w.t().contiguous().t()), "a non-contiguous weight");
            }
            assertFalse(OneDnnLinear.applies(big, w), "autograd on: the op has no backward");
            try (SystemProperty q = SystemProperty.set(OneDnnLinear.PROPERTY, "openblas");
                    NoGradGuard g = new NoGradGuard()) {
                assertFalse(OneDnnLinear.applies(big, w));
            }
        }
    }

    @Test
    void aRegisteredWeightIsPackedOnItsFirstLargeProductAndFreedWhenItsLastRegistrationGoes() {
        try (Forced f = new Forced();
                PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(9);
            Tensor w = torch.randn(512, 640).div(T.s(25.0));
            Tensor b = torch.randn(512);
            long before = OneDnnLinear.packedBytes();
            OneDnnLinear.register(java.util.List.of(w, w)); // twice: one copy
            try {
                assertFalse(OneDnnLinear.packed(w), "packed only when a large product needs it");
                Tensor few = torch.randn(3, 640);
                SkinnyLinearTest.assertClose(exact(few, w, b), T.linear(few, w, b));
                assertFalse(OneDnnLinear.packed(w), "a few rows stream the plain weight");
                try (SystemProperty off = SystemProperty.set(OneDnnLinear.PACK_PROPERTY, "false")) {
                    Tensor x = torch.randn(200, 640);
                    SkinnyLinearTest.assertClose(exact(x, w, b), T.linear(x, w, b));
                    assertFalse(OneDnnLinear.packed(w), "-Dblip4j.gemm.pack=false: no copy");
                }
                for (int i = 0; i < 2; i++) { // the second product reuses the copy
                    Tensor x = torch.randn(200, 640);
                    SkinnyLinearTest.assertClose(exact(x, w, b), T.linear(x, w, b));
                    assertTrue(OneDnnLinear.packed(w));
                    assertEquals(before + 512 * 640 * 4, OneDnnLinear.packedBytes());
                }
                OneDnnLinear.unregister(java.util.List.of(w));
                assertTrue(OneDnnLinear.packed(w), "one registration left");
            } finally {
                OneDnnLinear.unregister(java.util.List.of(w));
            }
            assertFalse(OneDnnLinear.packed(w));
            assertEquals(before, OneDnnLinear.packedBytes());
            Tensor x = torch.randn(200, 640);
            SkinnyLinearTest.assertClose(exact(x, w, b), T.linear(x, w, b)); // plain weight again
        }
    }

    /** Resident set after a GC and malloc_trim (as NativeMemoryTest reads it). */
    private static long settledRssKb() throws Exception {
        System.gc();
        org.bytedeco.javacpp.Pointer.trimMemory();
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    @Test
    void productsInAPointerScopeEachLeaveTheResidentSetFlat() throws Exception {
        try (Forced f = new Forced();
                PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor w = torch.randn(512, 640);
            Tensor packed = torch.randn(512, 640);
            Tensor b = torch.randn(512);
            OneDnnLinear.register(java.util.List.of(packed));
            try {
                Runnable round = () -> {
                    for (Tensor weight : new Tensor[] {w, packed}) {
                        try (PointerScope step = new PointerScope()) {
                            T.linear(torch.randn(200, 640), weight, b); // 400 KB out, the boxed call's arguments
                            T.linear(torch.randn(3, 640), weight, null); // a decode step's few rows
                        }
                    }
                };
                for (int i = 0; i < 300; i++) {
                    round.run(); // warm-up: allocator pools, JIT
                }
                long before = settledRssKb();
                long calls = OneDnnLinear.calls();
                for (int i = 0; i < 2000; i++) {
                    round.run();
                }
                long after = settledRssKb();
                System.out.printf("oneDNN products: resident set %d -> %d KB over 8,000 products%n", before, after);
                assertEquals(calls + 8000, OneDnnLinear.calls(), "every product went through oneDNN");
                // a leak of the outputs alone would be 2000 × 2 × 400 KB = 1.6 GB
                assertTrue(after - before < 64 * 1024, "resident set grew by " + (after - before) + " KB");
            } finally {
                OneDnnLinear.unregister(java.util.List.of(packed));
            }
        }
    }

    @Test
    void trainingStepsInAPointerScopeEachLeaveTheResidentSetFlat() throws Exception {
        try (Forced f = new Forced();
                SystemProperty macs = SystemProperty.set("blip4j.gemm.minTrainMacs", "1");
                SystemProperty split = SystemProperty.set("blip4j.gemm.minSplitTrainMacs", "1");
                PointerScope s = new PointerScope()) {
            Tensor w = torch.randn(512, 640).div(T.s(25.0)).requires_grad_(true);
            Tensor b = torch.randn(512).requires_grad_(true);
            Runnable step = () -> {
                try (PointerScope one = new PointerScope()) {
                    Tensor x = torch.randn(300, 640).requires_grad_(true);
                    T.linear(x, w, b).sum().backward(); // the graph, its saved tensors and the gradients' temporaries
                    w.grad().zero_();
                    b.grad().zero_();
                }
            };
            for (int i = 0; i < 200; i++) {
                step.run(); // warm-up: allocator pools, oneDNN's primitive cache, JIT
            }
            long before = settledRssKb();
            long calls = OneDnnLinear.trainingCalls();
            for (int i = 0; i < 1500; i++) {
                step.run();
            }
            long after = settledRssKb();
            System.out.printf("oneDNN training products: resident set %d -> %d KB over 1,500 steps%n", before, after);
            assertEquals(calls + 1500, OneDnnLinear.trainingCalls(), "every product went through oneDNN");
            // a leak of the inputs and outputs alone would be 1,500 × (768 + 614) KB = 2 GB
            assertTrue(after - before < 64 * 1024, "resident set grew by " + (after - before) + " KB");
        }
    }

    @Test
    void aProductOneDnnRefusesIsComputedByOpenBlas() {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(4);
            Tensor w = torch.randn(96, 640).to(ScalarType.Double); // oneDNN's inner product takes no float64
            Tensor b = torch.randn(96).to(ScalarType.Double);
            Tensor x = torch.randn(300, 640).to(ScalarType.Double);
            long calls = OneDnnLinear.calls();
            Tensor y = OneDnnLinear.forward(x, w, b);
            assertEquals(calls, OneDnnLinear.calls(), "not through oneDNN");
            assertEquals(ScalarType.Double, y.scalar_type().intern());
            assertEquals(0.0, y.sub(torch.linear(x, w, T.opt(b))).abs().max().item_double(), 0.0);
        }
    }
}
