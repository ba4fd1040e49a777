package org.blip4j.shapes;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.blip4j.image.RgbImage;

/**
 * An endless stream of fresh shapes-world samples for training: each draw renders a new scene (never a stored file),
 * so a model sees as many distinct images as it has steps. Everything a draw produces is a pure function of the
 * {@link SplittableRandom} it is given, which the data loader seeds from (seed, epoch, index): a resumed run sees the
 * same stream.
 *
 * <p>To make a model learn the world rather than one renderer's pixels, each scene is rendered at a random side in
 * {@code [minSide, maxSide]} (objects scale with it), antialiased or not, with the world renderer's outlines or random
 * proportions, before the training transform resizes it.
 *
 * @param seed the stream's own seed, mixed into every draw (so two streams with the same loader seed differ)
 * @param minSide smallest rendered side in pixels
 * @param maxSide largest rendered side
 * @param aliasedFraction fraction of scenes drawn without antialiasing
 * @param maxObjects objects per scene are 1..maxObjects
 * @param pool 0 for an endless stream of new scenes; otherwise draws repeat a fixed pool of this many scenes (the
 *     overfit check trains and measures on the same few hundred scenes)
 * @param solidFraction fraction of scenes drawn on a solid background (the others follow the world's mix of solid,
 *     gradient and striped backgrounds)
 * @param styledFraction fraction of scenes drawn with another renderer's choices: objects with random proportions
 *     ({@link Outline#random}: other rectangles, stars, crosses, ...) on backgrounds with their own RGB for each named
 *     colour (±12 per channel) and stripe bands ({@link Background.Look#random})
 */
public record ShapesStream(
        long seed,
        int minSide,
        int maxSide,
        double aliasedFraction,
        int maxObjects,
        int pool,
        double solidFraction,
        double styledFraction) {
    /** A stream whose backgrounds follow the world's mix. */
    public ShapesStream(long seed, int minSide, int maxSide, double aliasedFraction, int maxObjects, int pool) {
        this(seed, minSide, maxSide, aliasedFraction, maxObjects, pool, 0, 0);
    }

    public ShapesStream {
        if (!(styledFraction >= 0 && styledFraction <= 1)) {
            throw new IllegalArgumentException("styled fraction must be in [0, 1], got " + styledFraction);
        }
        if (!(solidFraction >= 0 && solidFraction <= 1)) {
            throw new IllegalArgumentException("solid fraction must be in [0, 1], got " + solidFraction);
        }
        if (minSide < 32 || maxSide < minSide) {
            throw new IllegalArgumentException(
                    "stream sides must satisfy 32 <= min_side <= max_side, got " + minSide + ".." + maxSide);
        }
        if (!(aliasedFraction >= 0 && aliasedFraction <= 1)) {
            throw new IllegalArgumentException("aliased fraction must be in [0, 1], got " + aliasedFraction);
        }
        if (maxObjects < 1 || maxObjects > 9) {
            throw new IllegalArgumentException("max objects must be 1..9, got " + maxObjects);
        }
        if (pool < 0) {
            throw new IllegalArgumentException("pool size must be 0 (endless) or positive, got " + pool);
        }
    }

    /** The world of docs/shapes.md at one side (1–4 objects, always antialiased). */
    public static ShapesStream fixed(long seed, int side) {
        return new ShapesStream(seed, side, side, 0, 4, 0);
    }

    /** One drawn sample: the scene (its truth), its pixels, and a generator seeded for its texts. */
    public record Draw(Scene scene, RgbImage image, long textSeed) {
        /** A true caption of the scene. */
        public String caption() {
            return structuredCaption().text();
        }

        /** The same caption in structured form (its truth can be checked on any scene). */
        public Caption structuredCaption() {
            return new CaptionGenerator().generate(scene, new Rng(textSeed));
        }

        /** One question about the scene with its ten annotator answers (null if the scene allows none). */
        public Question question(int maxObjects) {
            return question(maxObjects, null);
        }

        /**
         * One question whose type is drawn with {@code typeWeights} (see {@link Question#typeWeights}; null: evenly),
         * or null if the scene allows none.
         */
        public Question question(int maxObjects, double[] typeWeights) {
            List<Question> qs =
                    new QuestionGenerator(maxObjects).generate(scene, new Rng(textSeed ^ 0x51ED27L), 1, typeWeights);
            return qs.isEmpty() ? null : qs.get(0);
        }

        /**
         * The minimal partner of {@code relation}, one of this scene's questions: the colour of its referent
         * ({@code QuestionGenerator#referentQuestion}), or null when it has none.
         */
        public Question referentQuestion(Question relation, int maxObjects) {
            return new QuestionGenerator(maxObjects).referentQuestion(relation, scene, new Rng(textSeed ^ 0x2EF3L));
        }
    }

    /**
     * Draws a fresh scene and renders it (from the pool, if the stream has one: then the scene and its pixels are
     * those of {@link #pooled(int)}, and only the text varies with {@code rng}).
     */
    public Draw draw(SplittableRandom rng) {
        if (pool > 0) {
            Draw d = pooled(rng.nextInt(pool));
            return new Draw(d.scene(), d.image(), rng.nextLong());
        }
        return render(Rng.mix(seed * 0x9E3779B97F4A7C15L ^ rng.nextLong()));
    }

    /** Scene {@code index} of the pool (defined for any index; a pooled stream draws only below {@link #pool()}). */
    public Draw pooled(int index) {
        return render(Rng.of(seed, 77, index).nextLong());
    }

    private Draw render(long key) {
        Rng r = new Rng(key);
        int side = minSide + (maxSide > minSide ? r.nextInt(maxSide - minSide + 1) : 0);
        boolean aliased = r.nextDouble() < aliasedFraction;
        boolean solid = solidFraction > 0 && r.nextDouble() < solidFraction; // no draw at 0: older streams unchanged
        Scene s = new SceneSampler(
                        side, maxObjects, ShapesConfig.defaults(0).maxOcclusion(), SceneSampler.JITTER, solid)
                .sample(new Rng(r.nextLong()));
        if (styledFraction > 0 && r.nextDouble() < styledFraction) { // no draw at 0: older streams unchanged
            Rng o = new Rng(r.nextLong());
            List<SceneObject> styled = new ArrayList<>();
            for (SceneObject obj : s.objects()) {
                styled.add(obj.withOutline(Outline.random(o)));
            }
            s = new Scene(
                    s.size(),
                    s.background().withLook(Background.Look.random(s.background(), o, 12)),
                    s.noise(),
                    s.noiseSeed(),
                    styled);
        }
        return new Draw(s, rgb(SceneRenderer.render(s, !aliased)), r.nextLong());
    }

    /** A rendered scene as the loader's RGB image. */
    public static RgbImage rgb(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int[] px = img.getRGB(0, 0, w, h, null, 0, w);
        byte[] out = new byte[w * h * 3];
        for (int i = 0; i < px.length; i++) {
            out[3 * i] = (byte) (px[i] >> 16);
            out[3 * i + 1] = (byte) (px[i] >> 8);
            out[3 * i + 2] = (byte) px[i];
        }
        return new RgbImage(w, h, out);
    }
}
