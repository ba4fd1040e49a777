package org.blip4j.shapes;

import java.awt.geom.Path2D;
import java.util.List;

/**
 * A scene seen as the ViT's grid of patches: which object lies under each patch, and what each object has around it.
 * The scene is resized whole to the ViT's input, so a patch covers {@code scene size / grid} scene pixels; patches are
 * row-major, as the ViT's patch tokens.
 */
public final class PatchGrid {
    /** A label the losses ignore (PyTorch's {@code ignore_index}). */
    public static final long IGNORE = -100;

    /** Per patch and relation, a shape class and a colour class: {@code RELATIONS.length * 2} labels a patch. */
    public static final Relation[] RELATIONS = Relation.values();

    /** The shape class meaning "no object in that relation" (one past the shapes). */
    public static final int NO_SHAPE = ShapeKind.values().length;

    /** The colour class meaning "no object in that relation" (one past the colours). */
    public static final int NO_COLOR = ShapeColor.values().length;

    private PatchGrid() {}

    /**
     * The index of the object under each patch, or -1: the object whose outline holds the patch's centre or whose own
     * centre falls in the patch (so an object smaller than a patch still labels one), a later-drawn object over an
     * earlier one.
     */
    public static int[] objectsUnder(Scene scene, int grid) {
        double cell = scene.size() / (double) grid;
        List<SceneObject> objects = scene.objects();
        Path2D[] outline = new Path2D[objects.size()];
        for (int k = 0; k < outline.length; k++) {
            outline[k] = objects.get(k).path();
        }
        int[] under = new int[grid * grid];
        for (int row = 0; row < grid; row++) {
            for (int col = 0; col < grid; col++) {
                double cx = (col + 0.5) * cell;
                double cy = (row + 0.5) * cell;
                int found = -1;
                for (int k = 0; k < outline.length; k++) {
                    SceneObject o = objects.get(k);
                    boolean centre = Math.min(grid - 1, (int) (o.x() / cell)) == col
                            && Math.min(grid - 1, (int) (o.y() / cell)) == row;
                    if (centre || outline[k].contains(cx, cy)) {
                        found = k;
                    }
                }
                under[row * grid + col] = found;
            }
        }
        return under;
    }

    /**
     * What each object has around it, written on the patches it lies under: for each patch and each relation r of
     * {@link #RELATIONS}, the shape and the colour of the one object b with "b r a" clearly true for the object a
     * under the patch ("what is left of a?"), {@link #NO_SHAPE} / {@link #NO_COLOR} where every other object is clearly
     * not in that relation, and {@link #IGNORE} where the answer is not unique or a pair is too close to call (as
     * questions are never asked there) and on background patches. Layout {@code (grid², relations, 2)} row-major:
     * {@code [p * 2R + 2r]} the shape, {@code [p * 2R + 2r + 1]} the colour.
     */
    public static long[] relationLabels(Scene scene, int grid) {
        return relationLabels(scene, objectsUnder(scene, grid));
    }

    /** As {@link #relationLabels(Scene, int)}, with the objects under the patches already found. */
    public static long[] relationLabels(Scene scene, int[] under) {
        int per = 2 * RELATIONS.length;
        List<SceneObject> objects = scene.objects();
        long[][] around = new long[objects.size()][per];
        for (int a = 0; a < objects.size(); a++) {
            for (int r = 0; r < RELATIONS.length; r++) {
                SceneObject found = null;
                boolean clear = true;
                int hits = 0;
                for (int b = 0; b < objects.size(); b++) {
                    if (b == a) {
                        continue;
                    }
                    Relation.Truth t = scene.relation(objects.get(b), RELATIONS[r], objects.get(a));
                    if (t == Relation.Truth.TRUE) {
                        hits++;
                        found = objects.get(b);
                    } else if (t == Relation.Truth.AMBIGUOUS) {
                        clear = false;
                    }
                }
                boolean none = clear && hits == 0;
                boolean one = clear && hits == 1;
                around[a][2 * r] = none ? NO_SHAPE : one ? found.shape().ordinal() : IGNORE;
                around[a][2 * r + 1] = none ? NO_COLOR : one ? found.color().ordinal() : IGNORE;
            }
        }
        long[] labels = new long[under.length * per];
        java.util.Arrays.fill(labels, IGNORE);
        for (int p = 0; p < under.length; p++) {
            if (under[p] >= 0) {
                System.arraycopy(around[under[p]], 0, labels, p * per, per);
            }
        }
        return labels;
    }
}
