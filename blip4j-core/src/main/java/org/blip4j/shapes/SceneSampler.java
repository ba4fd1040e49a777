package org.blip4j.shapes;

import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.List;

/**
 * Draws random scenes: objects on distinct cells of a 3 x 3 grid (jittered), colours that stand out from the
 * background under them and from objects they touch, and bounded occlusion, so every object stays recognisable.
 */
final class SceneSampler {
    /** Minimum RGB distance between an object's colour and every background pixel under it. */
    static final double MIN_BACKGROUND_CONTRAST = 100;
    /** Minimum RGB distance between the canonical colours of two objects that touch or overlap. */
    static final double MIN_OBJECT_CONTRAST = 110;
    /** Default jitter of an object's centre around its cell's centre, as a fraction of the side. */
    static final double JITTER = ShapesConfig.DEFAULT_JITTER;
    /** Per-channel jitter of an object's colour around the canonical RGB. */
    static final int COLOR_JITTER = 10;

    private final int size;
    private final int maxObjects;
    private final double maxOcclusion;
    private final double jitter;
    private final boolean solidOnly;

    SceneSampler(int size, int maxObjects, double maxOcclusion) {
        this(size, maxObjects, maxOcclusion, JITTER, false);
    }

    /** A sampler for a configuration's sizes, object count, occlusion, jitter and backgrounds. */
    SceneSampler(ShapesConfig cfg) {
        this(
                cfg.size(),
                cfg.maxObjects(),
                cfg.maxOcclusion(),
                cfg.jitter(),
                cfg.backgrounds() == ShapesConfig.Backgrounds.SOLID);
    }

    SceneSampler(int size, int maxObjects, double maxOcclusion, double jitter, boolean solidOnly) {
        if (size < 32) {
            throw new IllegalArgumentException("image size must be at least 32: " + size);
        }
        if (maxObjects < 1 || maxObjects > 9) {
            throw new IllegalArgumentException("objects per image must be 1..9: " + maxObjects);
        }
        this.size = size;
        this.maxObjects = maxObjects;
        this.maxOcclusion = maxOcclusion;
        this.jitter = jitter;
        this.solidOnly = solidOnly;
    }

    Scene sample(Rng rng) {
        for (int attempt = 0; ; attempt++) {
            Scene s = tryOnce(rng, attempt >= 200);
            if (s != null) {
                return s;
            }
        }
    }

    private Scene tryOnce(Rng rng, boolean single) {
        Background bg = sampleBackground(rng);
        int[] bgPixels = new int[size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                bgPixels[y * size + x] = bg.rgbAt(x, y, size);
            }
        }
        int k = single ? 1 : rng.nextInt(1, maxObjects);
        int[] cells = {0, 1, 2, 3, 4, 5, 6, 7, 8};
        rng.shuffle(cells);
        List<SceneObject> objects = new ArrayList<>();
        List<boolean[]> masks = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            ShapeKind shape =
                    i > 0 && rng.chance(0.25) ? objects.get(rng.nextInt(i)).shape() : rng.pick(ShapeKind.values());
            SizeClass sz = rng.chance(0.5) ? SizeClass.SMALL : SizeClass.LARGE;
            double r = quantize(rng.uniform(sz.minFraction, sz.maxFraction) * size, 8);
            double rot = quantize(shape.sampleRotation(rng), 2);
            int col = cells[i] % 3;
            int row = cells[i] / 3;
            double cx = (2 * col + 1) / 6.0 * size + rng.uniform(-jitter, jitter) * size;
            double cy = (2 * row + 1) / 6.0 * size + rng.uniform(-jitter, jitter) * size;
            Rectangle2D b = shape.path(cx, cy, r, rot).getBounds2D();
            cx += shift(b.getMinX(), b.getMaxX());
            cy += shift(b.getMinY(), b.getMaxY());
            cx = quantize(cx, 8);
            cy = quantize(cy, 8);
            Path2D.Double path = shape.path(cx, cy, r, rot);
            b = path.getBounds2D();
            boolean[] mask = rasterize(path, b);
            List<ShapeColor> allowed = new ArrayList<>();
            for (ShapeColor c : ShapeColor.values()) {
                if (contrasts(c, mask, bgPixels) && apartFromNeighbours(c, mask, objects, masks)) {
                    allowed.add(c);
                }
            }
            if (allowed.isEmpty()) {
                return null;
            }
            ShapeColor color = rng.pick(allowed);
            if (i > 0 && rng.chance(0.2)) {
                ShapeColor reuse = objects.get(rng.nextInt(i)).color();
                if (allowed.contains(reuse)) {
                    color = reuse;
                }
            }
            int rgb = jitter(color.rgb(), rng);
            objects.add(new SceneObject(
                    shape,
                    color,
                    sz,
                    cx,
                    cy,
                    r,
                    rot,
                    rgb,
                    quantize(b.getMinX(), 8),
                    quantize(b.getMinY(), 8),
                    quantize(b.getMaxX(), 8),
                    quantize(b.getMaxY(), 8),
                    Outline.STANDARD));
            masks.add(mask);
        }
        // occlusion: the part of each object covered by objects drawn after it
        for (int i = 0; i < k; i++) {
            int area = 0;
            int covered = 0;
            boolean[] m = masks.get(i);
            for (int p = 0; p < m.length; p++) {
                if (m[p]) {
                    area++;
                    for (int j = i + 1; j < k; j++) {
                        if (masks.get(j)[p]) {
                            covered++;
                            break;
                        }
                    }
                }
            }
            if (area == 0 || covered > maxOcclusion * area) {
                return null;
            }
        }
        double noise = quantize(rng.uniform(0, 12), 2);
        return new Scene(size, bg, noise, rng.nextLong(), objects);
    }

    private Background sampleBackground(Rng rng) {
        BackgroundColor[] colors = BackgroundColor.values();
        if (solidOnly) {
            return new Background(Background.Kind.SOLID, rng.pick(colors), null, 0, 0, 0);
        }
        switch (rng.weighted(0.5, 0.25, 0.25)) {
            case 0:
                return new Background(Background.Kind.SOLID, rng.pick(colors), null, 0, 0, 0);
            case 1: {
                BackgroundColor a = rng.pick(colors);
                BackgroundColor b;
                do {
                    b = rng.pick(colors);
                } while (b == a);
                return new Background(Background.Kind.GRADIENT, a, b, 45 * rng.nextInt(8), 0, 0);
            }
            default: {
                BackgroundColor a = rng.pick(colors);
                int period = Math.max(4, (int) Math.round(size * rng.uniform(0.07, 0.14)));
                int rgb = a.rgb();
                int luma = (299 * ((rgb >> 16) & 255) + 587 * ((rgb >> 8) & 255) + 114 * (rgb & 255)) / 1000;
                int shade = luma > 128 ? -30 : 30;
                return new Background(Background.Kind.STRIPES, a, null, 45 * rng.nextInt(4), period, shade);
            }
        }
    }

    /** How far to move a centre so that [lo, hi] lies inside [1, size - 1]. */
    private double shift(double lo, double hi) {
        if (lo < 1) {
            return 1 - lo;
        }
        if (hi > size - 1) {
            return (size - 1) - hi;
        }
        return 0;
    }

    private boolean[] rasterize(Path2D.Double path, Rectangle2D b) {
        boolean[] mask = new boolean[size * size];
        int x0 = Math.max(0, (int) Math.floor(b.getMinX()));
        int x1 = Math.min(size - 1, (int) Math.ceil(b.getMaxX()));
        int y0 = Math.max(0, (int) Math.floor(b.getMinY()));
        int y1 = Math.min(size - 1, (int) Math.ceil(b.getMaxY()));
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                if (path.contains(x + 0.5, y + 0.5)) {
                    mask[y * size + x] = true;
                }
            }
        }
        return mask;
    }

    private static boolean contrasts(ShapeColor c, boolean[] mask, int[] bgPixels) {
        for (int p = 0; p < mask.length; p++) {
            if (mask[p] && ShapeColor.distance(c.rgb(), bgPixels[p]) < MIN_BACKGROUND_CONTRAST) {
                return false;
            }
        }
        return true;
    }

    /** A colour may not be near that of an earlier object whose mask touches this one (8-neighbourhood). */
    private boolean apartFromNeighbours(
            ShapeColor c, boolean[] mask, List<SceneObject> objects, List<boolean[]> masks) {
        for (int j = 0; j < objects.size(); j++) {
            ShapeColor other = objects.get(j).color();
            if (other != c && ShapeColor.distance(c.rgb(), other.rgb()) >= MIN_OBJECT_CONTRAST) {
                continue;
            }
            if (touches(mask, masks.get(j))) {
                return false;
            }
        }
        return true;
    }

    private boolean touches(boolean[] a, boolean[] b) {
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                if (!a[y * size + x]) {
                    continue;
                }
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        int xx = x + dx;
                        int yy = y + dy;
                        if (xx >= 0 && yy >= 0 && xx < size && yy < size && b[yy * size + xx]) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    private static int jitter(int rgb, Rng rng) {
        int r = Background.clamp(((rgb >> 16) & 255) + rng.nextInt(-COLOR_JITTER, COLOR_JITTER));
        int g = Background.clamp(((rgb >> 8) & 255) + rng.nextInt(-COLOR_JITTER, COLOR_JITTER));
        int b = Background.clamp((rgb & 255) + rng.nextInt(-COLOR_JITTER, COLOR_JITTER));
        return (r << 16) | (g << 8) | b;
    }

    /** Rounds to a multiple of 1/steps (exact in binary for steps a power of two). */
    static double quantize(double v, int steps) {
        return Math.round(v * steps) / (double) steps;
    }
}
