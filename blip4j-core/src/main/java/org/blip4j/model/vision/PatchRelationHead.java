package org.blip4j.model.vision;

import org.blip4j.config.VisionConfig;
import org.blip4j.engine.T;
import org.blip4j.nn.Block;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.Tensor;

/**
 * A training-only head that makes every patch token an object lies under name what the object has around it: for
 * each of the world's relations (left of, right of, above, below), the shape and the colour of the one object in that
 * relation to it, or "none" (not in BLIP: added for the shapes world, docs/shapes.md). A question such as "what is left
 * of the triangle?" then needs one look-up — the triangle's tokens — instead of two composed ones (find the triangle,
 * then search the image relative to its place), which the shapes model's small text side did not learn. Labels come
 * from {@code org.blip4j.shapes.PatchGrid#relationLabels}. Inference never reads it; exports drop it.
 */
public final class PatchRelationHead extends Block {
    private final Linear proj;
    private final int relations;
    private final int shapes;
    private final int colors;

    /**
     * What a patch is labelled with.
     *
     * @param relations relations a patch is labelled with
     * @param shapes shape classes, "none" included
     * @param colors colour classes, "none" included
     */
    public record Classes(int relations, int shapes, int colors) {}

    public PatchRelationHead(VisionConfig c, Classes k) {
        this.relations = k.relations();
        this.shapes = k.shapes();
        this.colors = k.colors();
        proj = child("proj", new Linear(c.hiddenSize(), (long) relations * (shapes + colors)));
    }

    /** Shape logits (B·N·R, shapes) and colour logits (B·N·R, colours) of every patch token of (B, 1+N, D). */
    public Tensor[] logits(Tensor embeds) {
        Tensor patches = embeds.narrow(1, 1, embeds.size(1) - 1).flatten(0, 1); // (B·N, D)
        Tensor out = proj.forward(patches); // (B·N, R·(S+C))
        Tensor s = out.narrow(1, 0, (long) relations * shapes).reshape(-1, shapes); // (B·N·R, S)
        Tensor col = out.narrow(1, (long) relations * shapes, (long) relations * colors)
                .reshape(-1, colors); // (B·N·R, C)
        return new Tensor[] {s, col};
    }

    /**
     * Cross-entropy of the shapes plus that of the colours, each a mean over the labelled entries; labels (B·N·R·2)
     * as {@code PatchGrid#relationLabels} lays them out, -100 ignored. Zero (with a gradient path) when nothing in
     * the batch is labelled.
     */
    public Tensor loss(Tensor embeds, long[] labels) {
        Tensor[] l = logits(embeds);
        int rows = labels.length / 2;
        long[] s = new long[rows];
        long[] c = new long[rows];
        int labelled = 0;
        for (int i = 0; i < rows; i++) {
            s[i] = labels[2 * i];
            c[i] = labels[2 * i + 1];
            labelled += s[i] >= 0 ? 1 : 0;
        }
        if (labelled == 0) {
            return l[0].sum().mul(T.s(0.0));
        }
        return T.crossEntropy(l[0], T.longs(s, rows), 0.0).add(T.crossEntropy(l[1], T.longs(c, rows), 0.0));
    }

    /**
     * Counts over the labelled entries: {shape named right, colour named right, entries, shape named right where an
     * object is in the relation, such entries} ("none" is the last shape class).
     */
    public long[] hits(Tensor embeds, long[] labels) {
        Tensor[] l = logits(embeds);
        long[] ps = T.toLongs(l[0].argmax(new org.bytedeco.pytorch.LongOptional(1), false));
        long[] pc = T.toLongs(l[1].argmax(new org.bytedeco.pytorch.LongOptional(1), false));
        long[] c = new long[5];
        for (int i = 0; i < ps.length; i++) {
            long shape = labels[2 * i];
            if (shape < 0) {
                continue;
            }
            boolean right = ps[i] == shape;
            c[0] += right ? 1 : 0;
            c[1] += pc[i] == labels[2 * i + 1] ? 1 : 0;
            c[2]++;
            if (shape < shapes - 1) {
                c[3] += right ? 1 : 0;
                c[4]++;
            }
        }
        return c;
    }
}
