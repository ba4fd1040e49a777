package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.image.RgbImage;
import org.blip4j.model.BlipItm;
import org.blip4j.testutil.Fixture;
import org.blip4j.text.BertTokenizer;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Zero-shot video retrieval pieces ({@code eval_retrieval_video.py}) against hand computations from the model's
 * pieces, one frame at a time: the video feature is the normalised mean of the frames' unnormalised projections, and
 * the video ITM logit reads all frames' tokens concatenated.
 */
class VideoTest {
    static Fixture fx;
    static Blip blip;
    static BlipItm m;
    static BertTokenizer tok;
    static List<RgbImage> frames;

    @BeforeAll
    static void load() throws Exception {
        fx = Fixture.open();
        blip = Blip.load(fx.require("blip_retrieval.pth"));
        m = fx.load(new BlipItm(BlipConfig.readHf(fx.require("config.json"))), "blip_retrieval", "pth");
        tok = BertTokenizer.fromDirectory(fx.dir());
        frames = new ArrayList<>();
        fx.manifest().path("preset_config").path("images").forEach(e -> {
            try {
                frames.add(blip.readImage(fx.require(e.get(0).asText())));
            } catch (java.io.IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
        });
        assertTrue(frames.size() >= 2, "need at least two fixture images as frames");
    }

    @AfterAll
    static void close() throws Exception {
        blip.close();
        fx.close();
    }

    /** numpy: {@code np.arange(0, n, n / k, dtype=int)} steps by {@code int(n / k)} from 0, {@code ceil(k)} values. */
    @Test
    void frameSamplingIsNumpysIntegerArange() {
        assertArrayEquals(new int[] {0, 2, 4, 6, 8, 10, 12, 14}, Blip.sampleFrameIndices(20, 8)); // step 2.5 -> 2
        assertArrayEquals(new int[] {0, 12, 24, 36, 48, 60, 72, 84}, Blip.sampleFrameIndices(100, 8)); // 12.5 -> 12
        assertArrayEquals(new int[] {0, 4, 8, 12}, Blip.sampleFrameIndices(17, 4)); // 4.25 -> 4
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, Blip.sampleFrameIndices(8, 8));
        assertArrayEquals(new int[] {0, 0, 0, 0, 0, 0, 0, 0}, Blip.sampleFrameIndices(3, 8)); // step 0.375 -> 0
        assertArrayEquals(new int[] {0}, Blip.sampleFrameIndices(1, 1));
    }

    static Tensor pixels(RgbImage img) {
        var p = blip.imageProcessor();
        return T.floats(p.processImages(List.of(img)), 1, 3, p.height(), p.width()); // (1, 3, S, S)
    }

    @Test
    void videoEmbeddingIsTheNormalisedMeanOfTheFramesProjections() {
        float[] got = blip.videoEmbedding(frames);
        double[] mean;
        try (NoGradGuard g = new NoGradGuard()) {
            mean = null;
            for (RgbImage f : frames) {
                float[] p =
                        T.toFloats(m.visionProjection(m.encodeImage(pixels(f)).select(1, 0))); // (1, E), not normalised
                if (mean == null) {
                    mean = new double[p.length];
                }
                for (int i = 0; i < p.length; i++) {
                    mean[i] += p[i] / frames.size();
                }
            }
        }
        double norm = 0;
        for (double x : mean) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        assertEquals(mean.length, got.length);
        double maxDiff = 0;
        double vsMeanOfNormalised = 0;
        float[][] single = new float[frames.size()][];
        for (int k = 0; k < frames.size(); k++) {
            single[k] = blip.imageEmbedding(frames.get(k)); // normalised per frame
        }
        for (int i = 0; i < got.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(got[i] - mean[i] / norm));
            double other = 0;
            for (float[] s : single) {
                other += s[i] / frames.size();
            }
            vsMeanOfNormalised = Math.max(vsMeanOfNormalised, Math.abs(got[i] - other));
        }
        System.out.printf(
                "video embedding vs hand mean: %.3e (vs mean of normalised features: %.3e)%n",
                maxDiff, vsMeanOfNormalised);
        assertTrue(maxDiff <= 1e-6, "video embedding differs from normalise(mean(proj)) by " + maxDiff);
        assertTrue(vsMeanOfNormalised > 1e-3, "the fixture's frames do not tell the two averages apart");
    }

    @Test
    void videoItmReadsAllFramesTokensConcatenated() {
        List<String> texts = new ArrayList<>();
        fx.manifest().path("preset_config").path("captions").forEach(c -> texts.add(c.asText()));
        double[] got = blip.videoItmLogits(frames, texts);
        assertEquals(texts.size(), got.length);
        Tensor w = m.namedTensors().get("itm_head.weight"); // (2, D)
        Tensor bias = m.namedTensors().get("itm_head.bias"); // (2)
        float[] wRow = T.toFloats(w.select(0, 1));
        float b1 = T.toFloats(bias)[1];
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor[] perFrame = new Tensor[frames.size()];
            for (int k = 0; k < perFrame.length; k++) {
                perFrame[k] = m.encodeImage(pixels(frames.get(k))); // (1, N, W), each frame on its own
            }
            Tensor video = T.cat(1, perFrame); // (1, F·N, W)
            double maxDiff = 0;
            double vsMeanOfFrames = 0;
            for (int t = 0; t < texts.size(); t++) {
                long[] ids = tok.encode(texts.get(t));
                ids[0] = tok.encId();
                Tensor idT = T.longs(ids, 1, ids.length); // (1, L)
                Tensor mask = T.longs(new long[ids.length], 1, ids.length).fill_(T.s(1L)); // (1, L)
                double hand =
                        dot(T.toFloats(m.multimodalStates(video, idT, mask).select(1, 0)), wRow) + b1;
                double meanOfFrames = 0;
                for (Tensor f : perFrame) {
                    meanOfFrames +=
                            (dot(T.toFloats(m.multimodalStates(f, idT, mask).select(1, 0)), wRow) + b1) / frames.size();
                }
                maxDiff = Math.max(maxDiff, Math.abs(got[t] - hand));
                vsMeanOfFrames = Math.max(vsMeanOfFrames, Math.abs(got[t] - meanOfFrames));
            }
            System.out.printf(
                    "video ITM vs hand concatenation: %.3e (vs mean of per-frame logits: %.3e)%n",
                    maxDiff, vsMeanOfFrames);
            assertTrue(maxDiff <= 1e-4, "video ITM differs from the concatenated-frames ITM by " + maxDiff);
            assertTrue(vsMeanOfFrames > 1e-3, "the fixture's frames do not tell concatenation from averaging apart");
        }
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
