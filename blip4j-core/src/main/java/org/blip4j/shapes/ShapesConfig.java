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

    /** A configuration with the default rendering (antialiased, jitter {@value #DEFAULT_JITTER}, all backgrounds). */
    public ShapesConfig(
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
            int threads) {
        this(
                seed,
                size,
                train,
                val,
                test,
                web,
                noise,
                captionsPerImage,
                questionsPerImage,
                nlvrTrain,
                nlvrTest,
                maxObjects,
                maxOcclusion,
                threads,
                true,
                DEFAULT_JITTER,
                Backgrounds.ALL);
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
                Runtime.getRuntime().availableProcessors());
    }

    /** A copy with other split sizes. */
    public ShapesConfig withSizes(int train, int val, int test, int web) {
        return new ShapesConfig(
                seed,
                size,
                train,
                val,
                test,
                web,
                noise,
                captionsPerImage,
                questionsPerImage,
                nlvrTrain,
                nlvrTest,
                maxObjects,
                maxOcclusion,
                threads,
                antialias,
                jitter,
                backgrounds);
    }

    /** A copy with other NLVR pair counts. */
    public ShapesConfig withNlvr(int train, int test) {
        return new ShapesConfig(
                seed,
                size,
                this.train,
                val,
                this.test,
                web,
                noise,
                captionsPerImage,
                questionsPerImage,
                train,
                test,
                maxObjects,
                maxOcclusion,
                threads,
                antialias,
                jitter,
                backgrounds);
    }

    /** A copy with another seed. */
    public ShapesConfig withSeed(long s) {
        return new ShapesConfig(
                s,
                size,
                train,
                val,
                test,
                web,
                noise,
                captionsPerImage,
                questionsPerImage,
                nlvrTrain,
                nlvrTest,
                maxObjects,
                maxOcclusion,
                threads,
                antialias,
                jitter,
                backgrounds);
    }

    /** A copy with another image side. */
    public ShapesConfig withSize(int s) {
        return new ShapesConfig(
                seed,
                s,
                train,
                val,
                test,
                web,
                noise,
                captionsPerImage,
                questionsPerImage,
                nlvrTrain,
                nlvrTest,
                maxObjects,
                maxOcclusion,
                threads,
                antialias,
                jitter,
                backgrounds);
    }

    /** A copy with another web noise fraction. */
    public ShapesConfig withNoise(double n) {
        return new ShapesConfig(
                seed,
                size,
                train,
                val,
                test,
                web,
                n,
                captionsPerImage,
                questionsPerImage,
                nlvrTrain,
                nlvrTest,
                maxObjects,
                maxOcclusion,
                threads,
                antialias,
                jitter,
                backgrounds);
    }

    /** A copy with other caption and question counts per image. */
    public ShapesConfig withPerImage(int captions, int questions) {
        return new ShapesConfig(
                seed,
                size,
                train,
                val,
                test,
                web,
                noise,
                captions,
                questions,
                nlvrTrain,
                nlvrTest,
                maxObjects,
                maxOcclusion,
                threads,
                antialias,
                jitter,
                backgrounds);
    }

    /** A copy with another number of worker threads. */
    public ShapesConfig withThreads(int t) {
        return new ShapesConfig(
                seed,
                size,
                train,
                val,
                test,
                web,
                noise,
                captionsPerImage,
                questionsPerImage,
                nlvrTrain,
                nlvrTest,
                maxObjects,
                maxOcclusion,
                t,
                antialias,
                jitter,
                backgrounds);
    }

    /** A copy with another largest number of objects per image. */
    public ShapesConfig withMaxObjects(int n) {
        return new ShapesConfig(
                seed,
                size,
                train,
                val,
                test,
                web,
                noise,
                captionsPerImage,
                questionsPerImage,
                nlvrTrain,
                nlvrTest,
                n,
                maxOcclusion,
                threads,
                antialias,
                jitter,
                backgrounds);
    }

    /** A copy with objects drawn with or without antialiasing. */
    public ShapesConfig withAntialias(boolean on) {
        return new ShapesConfig(
                seed,
                size,
                train,
                val,
                test,
                web,
                noise,
                captionsPerImage,
                questionsPerImage,
                nlvrTrain,
                nlvrTest,
                maxObjects,
                maxOcclusion,
                threads,
                on,
                jitter,
                backgrounds);
    }

    /** A copy with another position jitter (fraction of the side, 0..{@value #MAX_JITTER}). */
    public ShapesConfig withJitter(double j) {
        return new ShapesConfig(
                seed,
                size,
                train,
                val,
                test,
                web,
                noise,
                captionsPerImage,
                questionsPerImage,
                nlvrTrain,
                nlvrTest,
                maxObjects,
                maxOcclusion,
                threads,
                antialias,
                j,
                backgrounds);
    }

    /** A copy with other backgrounds. */
    public ShapesConfig withBackgrounds(Backgrounds b) {
        return new ShapesConfig(
                seed,
                size,
                train,
                val,
                test,
                web,
                noise,
                captionsPerImage,
                questionsPerImage,
                nlvrTrain,
                nlvrTest,
                maxObjects,
                maxOcclusion,
                threads,
                antialias,
                jitter,
                b);
    }
}
