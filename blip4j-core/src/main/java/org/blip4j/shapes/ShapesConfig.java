package org.blip4j.shapes;

/**
 * Options of a shapes-world generation run; the files depend only on these, never on {@code threads}.
 *
 * @param seed master seed: each item is seeded from (seed, split, index)
 * @param size image side in pixels
 * @param train training images (captions, VQA and NLVR training data)
 * @param val validation images
 * @param test test images
 * @param web images of the noisy "web" split
 * @param noise fraction of web captions that are noisy (mismatched, flipped or junk, a third each)
 * @param captionsPerImage captions per training image
 * @param questionsPerImage VQA questions per image (train, val, test)
 * @param nlvrTrain NLVR2-style training pairs (drawn from training images)
 * @param nlvrTest NLVR2-style test pairs (drawn from test images)
 * @param maxObjects most objects in an image (at least one)
 * @param maxOcclusion largest fraction of an object that later objects may cover
 * @param threads worker threads for rendering
 * @param antialias whether objects are drawn antialiased (the default); off is a robustness variant
 * @param jitter how far an object's centre may move from its grid cell's centre, as a fraction of the side (default
 *     {@value #DEFAULT_JITTER})
 * @param backgrounds which backgrounds scenes get: all kinds (the default) or solid colours only
 */
public record ShapesConfig(
        long seed,
        int size,
        int train,
        int val,
        int test,
        int web,
        double noise,
        int captionsPerImage,
        int questionsPerImage,
        int nlvrTrain,
        int nlvrTest,
        int maxObjects,
        double maxOcclusion,
        int threads,
        boolean antialias,
        double jitter,
        Backgrounds backgrounds) {

    /** The default position jitter (fraction of the side). */
    public static final double DEFAULT_JITTER = 0.08;
    /** The largest position jitter: beyond it an object's centre could leave its grid cell. */
    public static final double MAX_JITTER = 1.0 / 6;

    /** Which backgrounds scenes are drawn on. */
    public enum Backgrounds {
        /** Solid (1/2), gradient (1/4) and striped (1/4): the world's default. */
        ALL,
        /** Solid colours only. */
        SOLID;

        /** Lower-case name, as the command line spells it. */
        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public ShapesConfig {
        if (size < 32 || size > 1024) {
            throw new IllegalArgumentException("image size must be 32..1024: " + size);
        }
        if (train < 0 || val < 0 || test < 0 || web < 0 || nlvrTrain < 0 || nlvrTest < 0) {
            throw new IllegalArgumentException("counts must not be negative");
        }
        if (!(noise >= 0 && noise <= 1)) {
            throw new IllegalArgumentException("noise must be in [0, 1]: " + noise);
        }
        if (captionsPerImage < 1 || questionsPerImage < 0) {
            throw new IllegalArgumentException("need at least one caption per image and no negative question count");
        }
        if (maxObjects < 1 || maxObjects > 9) {
            throw new IllegalArgumentException("max objects must be 1..9: " + maxObjects);
        }
        if (!(maxOcclusion >= 0 && maxOcclusion < 1)) {
            throw new IllegalArgumentException("max occlusion must be in [0, 1): " + maxOcclusion);
        }
        if (nlvrTrain > 0 && train < 2 || nlvrTest > 0 && test < 2) {
            throw new IllegalArgumentException("NLVR pairs need at least two images in their split");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1: " + threads);
        }
        if (!(jitter >= 0 && jitter <= MAX_JITTER)) {
            throw new IllegalArgumentException("jitter must be in [0, "
                    + String.format(java.util.Locale.ROOT, "%.3f", MAX_JITTER) + "]: " + jitter);
        }
        if (backgrounds == null) {
            throw new IllegalArgumentException("backgrounds must be given");
        }
    }

    /** Whether the rendering is the default one (antialiased, default jitter, all backgrounds). */
    public boolean defaultRendering() {
        return antialias && jitter == DEFAULT_JITTER && backgrounds == Backgrounds.ALL;
    }

    /** The defaults (train 5000, val 500, test 1000, web 5000, noise 0.4, 96 px, ...) for a seed. */
    public static ShapesConfig defaults(long seed) {
        return new ShapesConfig(
                seed,
                96,
                5000,
                500,
                1000,
                5000,
                0.4,
                5,
                3,
                2000,
                500,
                4,
                0.2,
                Runtime.getRuntime().availableProcessors(),
                true,
                DEFAULT_JITTER,
                Backgrounds.ALL);
    }

    /** A copy with other split sizes. */
    public ShapesConfig withSizes(int train, int val, int test, int web) {
        return with(b -> {
            b.train = train;
            b.val = val;
            b.test = test;
            b.web = web;
        });
    }

    /** A copy with other NLVR pair counts. */
    public ShapesConfig withNlvr(int train, int test) {
        return with(b -> {
            b.nlvrTrain = train;
            b.nlvrTest = test;
        });
    }

    /** A copy with another seed. */
    public ShapesConfig withSeed(long s) {
        return with(b -> b.seed = s);
    }

    /** A copy with another image side. */
    public ShapesConfig withSize(int s) {
        return with(b -> b.size = s);
    }

    /** A copy with other caption and question counts per image. */
    public ShapesConfig withPerImage(int captions, int questions) {
        return with(b -> {
            b.captionsPerImage = captions;
            b.questionsPerImage = questions;
        });
    }

    /** A copy with another number of worker threads. */
    public ShapesConfig withThreads(int t) {
        return with(b -> b.threads = t);
    }

    /** A copy with another largest number of objects per image. */
    public ShapesConfig withMaxObjects(int n) {
        return with(b -> b.maxObjects = n);
    }

    /** A copy with objects drawn with or without antialiasing. */
    public ShapesConfig withAntialias(boolean on) {
        return with(b -> b.antialias = on);
    }

    /** A copy with another position jitter (fraction of the side, 0..{@value #MAX_JITTER}). */
    public ShapesConfig withJitter(double j) {
        return with(b -> b.jitter = j);
    }

    /** A copy with other backgrounds. */
    public ShapesConfig withBackgrounds(Backgrounds b) {
        return with(x -> x.backgrounds = b);
    }

    /** A copy with the fields {@code edit} sets on a mutable copy of this one (checked again on the way back). */
    private ShapesConfig with(java.util.function.Consumer<Copy> edit) {
        Copy c = new Copy(this);
        edit.accept(c);
        return new ShapesConfig(
                c.seed,
                c.size,
                c.train,
                c.val,
                c.test,
                c.web,
                c.noise,
                c.captionsPerImage,
                c.questionsPerImage,
                c.nlvrTrain,
                c.nlvrTest,
                c.maxObjects,
                c.maxOcclusion,
                c.threads,
                c.antialias,
                c.jitter,
                c.backgrounds);
    }

    /** The record's fields, mutable: the one place that copies them all, so each {@code withX} names only its own. */
    private static final class Copy {
        long seed;
        int size;
        int train;
        int val;
        int test;
        int web;
        double noise;
        int captionsPerImage;
        int questionsPerImage;
        int nlvrTrain;
        int nlvrTest;
        int maxObjects;
        double maxOcclusion;
        int threads;
        boolean antialias;
        double jitter;
        Backgrounds backgrounds;

        Copy(ShapesConfig c) {
            seed = c.seed;
            size = c.size;
            train = c.train;
            val = c.val;
            test = c.test;
            web = c.web;
            noise = c.noise;
            captionsPerImage = c.captionsPerImage;
            questionsPerImage = c.questionsPerImage;
            nlvrTrain = c.nlvrTrain;
            nlvrTest = c.nlvrTest;
            maxObjects = c.maxObjects;
            maxOcclusion = c.maxOcclusion;
            threads = c.threads;
            antialias = c.antialias;
            jitter = c.jitter;
            backgrounds = c.backgrounds;
        }
    }
}
