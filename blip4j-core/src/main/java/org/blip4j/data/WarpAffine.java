package org.blip4j.data;

import org.blip4j.image.RgbImage;

/**
 * Mirrors OpenCV's {@code cv2.warpAffine(img, M, (W, H), flags=INTER_LINEAR, borderMode=BORDER_CONSTANT,
 * borderValue=fill)} for 8-bit 3-channel images, which BLIP's {@code transform/randaugment.py} uses for ShearX/Y,
 * TranslateX/Y and Rotate; written by hand to reproduce OpenCV's fixed-point arithmetic.
 *
 * <p>What is implemented is the classic OpenCV path (imgwarp.cpp {@code WarpAffineInvoker} + {@code remapBilinear},
 * unchanged from 2.4 through 4.10, i.e. the versions BLIP was trained with): the forward 2x3 matrix is inverted in
 * double ({@code D = 1/(m0 m4 - m1 m3)}); per column {@code adelta[x] = rint(m0' x 1024)}, {@code bdelta[x] = rint(m3'
 * x 1024)}; per row {@code X0 = rint((m1' y + m2') 1024) + 16}, {@code Y0} likewise; a pixel's source position is
 * {@code X = (X0 + adelta[x]) >> 5}, i.e. 1/32-pixel resolution, integer part {@code X >> 5}, fraction
 * {@code X & 31}. Bilinear weights are {@code (32-fx)(32-fy)*32 ...} (summing to 32768) and the result is
 * {@code (sum + 16384) >> 15}. Neighbours outside the image take the fill value; a pixel whose whole 2x2 neighbourhood
 * is outside gets the fill value. Bit-exact against OpenCV 4.6 for shears, fractional translations and rotations in
 * the tests. OpenCV 4.11+ rewrote this kernel in floating point, which can differ by one level at interpolated
 * pixels; integer translations are exact in both.
 */
public final class WarpAffine {
    private static final int INTER_BITS = 5;
    private static final int TAB = 1 << INTER_BITS; // INTER_TAB_SIZE
    private static final int AB_BITS = 10;
    private static final int AB_SCALE = 1 << AB_BITS;
    private static final int ROUND_DELTA = AB_SCALE / TAB / 2;

    private WarpAffine() {}

    /**
     * Warps {@code src} with the forward affine matrix {@code m = {m00, m01, m02, m10, m11, m12}} (destination = m *
     * source, as OpenCV without {@code WARP_INVERSE_MAP}); the output has the source's size.
     *
     * @param fill the border value per channel (0..255), BLIP uses (128, 128, 128)
     */
    public static RgbImage warp(RgbImage src, double[] m, int[] fill) {
        if (m.length != 6 || fill.length != 3) {
            throw new IllegalArgumentException("need a 2x3 matrix (6 values) and 3 fill values");
        }
        int w = src.width();
        int h = src.height();
        double[] a = invert(m);
        int[] adelta = new int[w];
        int[] bdelta = new int[w];
        for (int x = 0; x < w; x++) {
            adelta[x] = round(a[0] * x * AB_SCALE);
            bdelta[x] = round(a[3] * x * AB_SCALE);
        }
        byte[] in = src.rgb();
        byte[] out = new byte[in.length];
        int[] cval = {
            Math.min(255, Math.max(0, fill[0])),
            Math.min(255, Math.max(0, fill[1])),
            Math.min(255, Math.max(0, fill[2]))
        };
        for (int y = 0; y < h; y++) {
            int x0 = round((a[1] * y + a[2]) * AB_SCALE) + ROUND_DELTA;
            int y0 = round((a[4] * y + a[5]) * AB_SCALE) + ROUND_DELTA;
            for (int x = 0; x < w; x++) {
                int xx = (x0 + adelta[x]) >> (AB_BITS - INTER_BITS);
                int yy = (y0 + bdelta[x]) >> (AB_BITS - INTER_BITS);
                int sx = xx >> INTER_BITS;
                int sy = yy >> INTER_BITS;
                int fx = xx & (TAB - 1);
                int fy = yy & (TAB - 1);
                int o = (y * w + x) * 3;
                if (sx >= w || sx + 1 < 0 || sy >= h || sy + 1 < 0) {
                    out[o] = (byte) cval[0];
                    out[o + 1] = (byte) cval[1];
                    out[o + 2] = (byte) cval[2];
                    continue;
                }
                int w00 = (TAB - fx) * (TAB - fy) * TAB;
                int w01 = fx * (TAB - fy) * TAB;
                int w10 = (TAB - fx) * fy * TAB;
                int w11 = fx * fy * TAB;
                boolean inX0 = sx >= 0;
                boolean inX1 = sx + 1 < w;
                boolean inY0 = sy >= 0;
                boolean inY1 = sy + 1 < h;
                for (int c = 0; c < 3; c++) {
                    int v00 = inX0 && inY0 ? in[(sy * w + sx) * 3 + c] & 0xff : cval[c];
                    int v01 = inX1 && inY0 ? in[(sy * w + sx + 1) * 3 + c] & 0xff : cval[c];
                    int v10 = inX0 && inY1 ? in[((sy + 1) * w + sx) * 3 + c] & 0xff : cval[c];
                    int v11 = inX1 && inY1 ? in[((sy + 1) * w + sx + 1) * 3 + c] & 0xff : cval[c];
                    int sum = v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11;
                    out[o + c] = (byte) ((sum + (1 << 14)) >> 15);
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /** OpenCV's in-place inversion of a forward affine matrix (warpAffine without WARP_INVERSE_MAP). */
    static double[] invert(double[] m) {
        double[] a = m.clone();
        double d = a[0] * a[4] - a[1] * a[3];
        d = d != 0 ? 1.0 / d : 0;
        double a11 = a[4] * d;
        double a22 = a[0] * d;
        a[0] = a11;
        a[1] *= -d;
        a[3] *= -d;
        a[4] = a22;
        double b1 = -a[0] * a[2] - a[1] * a[5];
        double b2 = -a[3] * a[2] - a[4] * a[5];
        a[2] = b1;
        a[5] = b2;
        return a;
    }

    /** {@code saturate_cast<int>(double)}: round half to even, clamped to the int range. */
    private static int round(double v) {
        double r = Math.rint(v);
        return r >= Integer.MAX_VALUE ? Integer.MAX_VALUE : r <= Integer.MIN_VALUE ? Integer.MIN_VALUE : (int) r;
    }

    /** randaugment.py {@code shear_x_func}: {@code [[1, factor, 0], [0, 1, 0]]} (factor as float32). */
    public static double[] shearX(float factor) {
        return new double[] {1, factor, 0, 0, 1, 0};
    }

    /** randaugment.py {@code shear_y_func}: {@code [[1, 0, 0], [factor, 1, 0]]}. */
    public static double[] shearY(float factor) {
        return new double[] {1, 0, 0, factor, 1, 0};
    }

    /** randaugment.py {@code translate_x_func}: {@code [[1, 0, -offset], [0, 1, 0]]}: content moves left by offset. */
    public static double[] translateX(float offset) {
        return new double[] {1, 0, -offset, 0, 1, 0};
    }

    /** randaugment.py {@code translate_y_func}: {@code [[1, 0, 0], [0, 1, -offset]]}: content moves up by offset. */
    public static double[] translateY(float offset) {
        return new double[] {1, 0, 0, 0, 1, -offset};
    }

    /**
     * randaugment.py {@code rotate_func}: {@code cv2.getRotationMatrix2D((W / 2, H / 2), degrees, 1)}, positive
     * degrees turning the content counter-clockwise on screen about the point (W/2, H/2).
     */
    public static double[] rotation(int width, int height, double degrees) {
        double rad = degrees * (Math.PI / 180); // angle *= CV_PI/180
        double alpha = Math.cos(rad);
        double beta = Math.sin(rad);
        double cx = (float) (width / 2.0); // cv::Point2f
        double cy = (float) (height / 2.0);
        return new double[] {alpha, beta, (1 - alpha) * cx - beta * cy, -beta, alpha, beta * cx + (1 - alpha) * cy};
    }
}
