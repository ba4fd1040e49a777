package org.blip4j.shapes;

import java.util.Locale;

/**
 * An image background: a solid colour, a linear gradient between two colours, or stripes of a colour and a shade of
 * it; computed per pixel so that it is exactly reproducible.
 *
 * @param kind solid, gradient or stripes
 * @param color the solid colour, the gradient's start or the stripes' base
 * @param color2 the gradient's end, or null
 * @param angle direction of the gradient or of the stripes' normal, degrees (multiples of 45)
 * @param period stripe period in pixels (0 unless stripes)
 * @param shade stripes: the second stripe is the base plus this on every channel (0 unless stripes)
 * @param look how this background is drawn where a renderer may choose (docs/shapes.md names the background colours
 *     but gives no RGB, nor whether a stripe period is one band or two), or null: the world renderer's choices
 */
public record Background(
        Kind kind, BackgroundColor color, BackgroundColor color2, int angle, int period, int shade, Look look) {
    /** A background drawn as the world's renderer draws it. */
    public Background(Kind kind, BackgroundColor color, BackgroundColor color2, int angle, int period, int shade) {
        this(kind, color, color2, angle, period, shade, null);
    }

    /**
     * A renderer's own choices for one background: the RGB it draws each named colour with, and the width of a stripe
     * band relative to {@link #period()}.
     *
     * @param rgb the drawn 0xRRGGBB of {@link #color()}
     * @param rgb2 the drawn 0xRRGGBB of {@link #color2()} (unused without one)
     * @param band stripe band width as a fraction of the period
     */
    public record Look(int rgb, int rgb2, double band) {
        /**
         * Random choices: every channel of each colour shifted by up to ±{@code shift}, bands 0.5–1 of the period (one
         * band per period, as here, or two).
         */
        static Look random(Background b, Rng rng, int shift) {
            int one = jitter(b.color().rgb(), rng, shift);
            int two = b.color2() == null ? 0 : jitter(b.color2().rgb(), rng, shift);
            return new Look(one, two, rng.uniform(0.5, 1.0));
        }

        private static int jitter(int rgb, Rng rng, int shift) {
            int out = 0;
            for (int sh = 16; sh >= 0; sh -= 8) {
                out |= clamp(((rgb >> sh) & 255) + rng.nextInt(-shift, shift)) << sh;
            }
            return out;
        }
    }

    /** The same background drawn with a renderer's own choices. */
    public Background withLook(Look l) {
        return new Background(kind, color, color2, angle, period, shade, l);
    }

    /** Background kinds. */
    public enum Kind {
        SOLID,
        GRADIENT,
        STRIPES;

        /** Lower-case name. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The word captions use for it: the colour for solid backgrounds, else "gradient" or "striped". */
    public String word() {
        switch (kind) {
            case SOLID:
                return color.word();
            case GRADIENT:
                return "gradient";
            default:
                return "striped";
        }
    }

    /** The 0xRRGGBB background at pixel (px, py) of an image of the given side. */
    public int rgbAt(int px, int py, int size) {
        double x = px + 0.5;
        double y = py + 0.5;
        double a = Math.toRadians(angle);
        double c = StrictMath.cos(a);
        double s = StrictMath.sin(a);
        int rgb = look == null ? color.rgb() : look.rgb();
        switch (kind) {
            case SOLID:
                return rgb;
            case GRADIENT: {
                // projection onto the direction, scaled to [0, 1] over the image
                double lo = Math.min(0, c * size) + Math.min(0, s * size);
                double hi = Math.max(0, c * size) + Math.max(0, s * size);
                double t = (x * c + y * s - lo) / (hi - lo);
                return lerp(rgb, look == null ? color2.rgb() : look.rgb2(), t);
            }
            default: {
                double band = look == null ? period : period * look.band();
                long k = (long) Math.floor((x * c + y * s) / band);
                return (k & 1) == 0 ? rgb : shade(rgb, shade);
            }
        }
    }

    static int shade(int rgb, int delta) {
        int r = clamp(((rgb >> 16) & 255) + delta);
        int g = clamp(((rgb >> 8) & 255) + delta);
        int b = clamp((rgb & 255) + delta);
        return (r << 16) | (g << 8) | b;
    }

    private static int lerp(int a, int b, double t) {
        int r = (int) Math.round(((a >> 16) & 255) * (1 - t) + ((b >> 16) & 255) * t);
        int g = (int) Math.round(((a >> 8) & 255) * (1 - t) + ((b >> 8) & 255) * t);
        int bl = (int) Math.round((a & 255) * (1 - t) + (b & 255) * t);
        return (clamp(r) << 16) | (clamp(g) << 8) | clamp(bl);
    }

    static int clamp(int v) {
        return v < 0 ? 0 : v > 255 ? 255 : v;
    }
}
