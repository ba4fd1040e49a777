package org.blip4j.model.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.blip4j.config.VisionConfig;
import org.blip4j.engine.T;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** The training-only patch-relation head's loss, against values derived by hand. */
class PatchRelationHeadTest {
    private static final PatchRelationHead.Classes K = new PatchRelationHead.Classes(4, 10, 13);

    @Test
    void anUnlabelledBatchTeachesNothingAndZeroLogitsCostLogClasses() {
        var head = new PatchRelationHead(new VisionConfig(32, 8, 16, 1, 2, 32, 1e-6), K);
        int tokens = 16; // a 32-px image of 8-px patches
        Tensor embeds = T.floats(new float[2 * (1 + tokens) * 16], 2, 1 + tokens, 16); // (B, 1+N, D), zeros
        long[] labels = new long[2 * tokens * K.relations() * 2];
        Arrays.fill(labels, -100);
        Tensor none = head.loss(embeds, labels);
        assertEquals(0.0, none.item_double());
        try (NoGradGuard g = new NoGradGuard()) {
            head.namedParameters().values().forEach(Tensor::zero_);
        }
        // one labelled entry (second image, last patch, last relation): uniform logits cost log(10) + log(13)
        labels[labels.length - 2] = 3;
        labels[labels.length - 1] = 12;
        assertEquals(Math.log(10) + Math.log(13), head.loss(embeds, labels).item_double(), 1e-5);
        // ties break to class 0, so the zero head names neither right; the entry is an object, not "none"
        assertArrayEquals(new long[] {0, 0, 1, 0, 1}, head.hits(embeds, labels));
        labels[labels.length - 2] = 0; // a circle, say: the shape right, the colour still wrong
        assertArrayEquals(new long[] {1, 0, 1, 1, 1}, head.hits(embeds, labels));
        labels[labels.length - 2] = 9; // "none": counts among all entries, not among those with an object
        labels[labels.length - 1] = 0;
        assertArrayEquals(new long[] {0, 1, 1, 0, 0}, head.hits(embeds, labels));
    }
}
