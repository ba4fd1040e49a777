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
 */
public record Background(Kind kind, BackgroundColor color, BackgroundColor color2, int angle, int period, int shade) {
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
        switch (kind) {
            case SOLID:
                return color.rgb();
            case GRADIENT: {
                // projection onto the direction, scaled to [0, 1] over the image
                double lo = Math.min(0, c * size) + Math.min(0, s * size);
                double hi = Math.max(0, c * size) + Math.max(0, s * size);
                double t = (x * c + y * s - lo) / (hi - lo);
                return lerp(color.rgb(), color2.rgb(), t);
            }
            default: {
                long k = (long) Math.floor((x * c + y * s) / period);
                return (k & 1) == 0 ? color.rgb() : shade(color.rgb(), shade);
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
