package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.blip4j.config.BlipConfig;
import org.blip4j.config.VisionConfig;
import org.blip4j.data.Batch;
import org.blip4j.data.CaptionDataset;
import org.blip4j.data.Collate;
import org.blip4j.data.TextEncoding;
import org.blip4j.data.TrainTransform;
import org.blip4j.image.ImageProcessor;
import org.blip4j.model.BlipPretrain;
import org.blip4j.shapes.ShapesStream;
import org.blip4j.shapes.ShapesVocabulary;
import org.blip4j.text.BertTokenizer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short version of the overfit check (docs/shapes.md): a small BLIP pre-trained from scratch on one fixed batch
 * of shapes scenes must memorise it — ITC, ITM and LM losses all fall far below chance. A pipeline bug that pairs
 * images with the wrong texts, masks the wrong tokens or breaks a loss's gradient makes one of them stay at chance.
 */
class OverfitCheckTest {
    @TempDir
    Path dir;

    @Test
    void pretrainingMemorisesOneBatch() throws Exception {
        Path med = dir.resolve("med_config.json");
        Files.writeString(med, """
        {"hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2, "intermediate_size": 128,
         "vocab_size": 286, "max_position_embeddings": 48, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
         "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "type_vocab_size": 2, "pad_token_id": 0,
         "encoder_width": 64, "add_cross_attention": true}""");
        Path vocab = dir.resolve("vocab.txt");
        Files.write(vocab, ShapesVocabulary.vocabLines());
        BertTokenizer tok = BertTokenizer.fromVocab(vocab);
        BlipConfig c = BlipConfig.readOriginal(med, new VisionConfig(32, 8, 64, 2, 4, 128, 1e-6), 32);
        int b = 16;
        BlipPretrain m = new BlipPretrain(c, 64, 0.995);
        Init.blip(m, 1, 0.02);
        m.copyParams();
        ShapesStream stream = new ShapesStream(3, 64, 64, 0, 4, b);
        TrainTransform transform = new TrainTransform(
                org.blip4j.data.RandomResizedCrop.of(32, 1.0),
                0,
                null,
                ImageProcessor.BLIP_MEAN,
                ImageProcessor.BLIP_STD);
        List<CaptionDataset.Sample> samples = new ArrayList<>();
        for (int i = 0; i < b; i++) { // b different scenes, one true caption each
            ShapesStream.Draw d = stream.pooled(i);
            samples.add(
                    new CaptionDataset.Sample(i, transform.apply(d.image(), new SplittableRandom(i)), d.caption(), i));
        }
        Batch batch = Collate.captions(tok, new TextEncoding(30, BertTokenizer.Padding.LONGEST))
                .apply(samples);
        Map<String, Tensor> params = m.trainableParameters();
        params.values().forEach(t -> t.set_requires_grad(true));
        AdamW opt = AdamW.blip(params, 1e-3, 0.0);
        var objective = Objectives.pretrain(m, 0.0, tok.encId(), tok.bosId());
        m.train(true);
        double[][] curve = org.blip4j.engine.BlasThreads.serial(() -> train(m, opt, objective, batch, 150));
        double[] first = curve[0];
        double[] last = curve[curve.length - 1];
        assertTrue(last[0] < 0.5 * first[0], "ITC did not fall: " + first[0] + " -> " + last[0]);
        assertTrue(
                last[1] < 0.45,
                "ITM stayed near chance (0.64 for 1 positive : 2 negatives): " + first[1] + " -> " + last[1]);
        assertTrue(last[2] < 0.5 * first[2], "LM did not fall: " + first[2] + " -> " + last[2]);
    }

    /** Trains on one batch; returns the (ita, itm, lm) losses of every step. */
    private static double[][] train(
            BlipPretrain m, AdamW opt, Trainer.Objective<Batch> objective, Batch batch, int steps) {
        double[][] curve = new double[steps][];
        for (int step = 0; step < steps; step++) {
            try (PointerScope scope = new PointerScope()) {
                Map<String, Tensor> l = objective.losses(batch, new Trainer.StepInfo(step, 0, step, 1000, 1));
                curve[step] =
                        new double[] {value(l.get("loss_ita")), value(l.get("loss_itm")), value(l.get("loss_lm"))};
                l.get("loss").backward();
            }
            opt.step();
            opt.zeroGrad();
        }
        return curve;
    }

    private static double value(Tensor t) {
        return org.blip4j.engine.T.toFloats(t.detach())[0];
    }
}
