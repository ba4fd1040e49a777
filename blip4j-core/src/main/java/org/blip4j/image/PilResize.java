package org.blip4j.image;

/**
 * Mirrors Pillow's {@code Image.resize(size, resample)} for 8-bit images (libImaging/Resample.c,
 * {@code ImagingResample} with the default box and no {@code reducing_gap}) as used by BLIP's
 * {@code transforms.Resize((S, S), interpolation=InterpolationMode.BICUBIC)} on PIL images; written by hand because
 * no JVM library reproduces Pillow's antialiased fixed-point convolution bit for bit.
 *
 * <p>Separable: a horizontal pass (over only the input rows the vertical pass needs) then a vertical pass, each
 * skipped when that dimension is unchanged. Per output pixel, the filter support is scaled by the downscale factor
 * (antialiasing), the window is {@code [(int)(center - support + 0.5), (int)(center + support + 0.5))} clipped to the
 * image, weights {@code filter((i - center + 0.5) / filterscale)} are normalised to sum 1 in double, then converted
 * to fixed point with 22 fractional bits (PRECISION_BITS = 32 - 8 - 2, rounded half away from zero); each pass
 * accumulates in 32-bit ints from {@code 1 << 21} and clips {@code acc >> 22} to 0..255.
 */
public final class PilResize {
    private PilResize() {}

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** Pillow's resampling filters (the Image.Resampling values are the enum's {@link #pilCode()}). */
    public enum Filter {
        /** Image.BOX = 4 (support 0.5). */
        BOX(4, 0.5),
        /** Image.BILINEAR = 2 (triangle, support 1). */
        BILINEAR(2, 1.0),
        /** Image.HAMMING = 5 (support 1). */
        HAMMING(5, 1.0),
        /** Image.BICUBIC = 3 (Keys cubic with a = -0.5, support 2); BLIP's choice. */
        BICUBIC(3, 2.0),
        /** Image.LANCZOS = 1 (support 3). */
        LANCZOS(1, 3.0);

        private final int pilCode;
        private final double support;

        Filter(int pilCode, double support) {
            this.pilCode = pilCode;
            this.support = support;
        }

        /** The integer Pillow (and HF's {@code resample} config key) uses for this filter. */
        public int pilCode() {
            return pilCode;
        }

        /** The filter for a Pillow resample code; NEAREST (0) is not a convolution and is not supported. */
        public static Filter fromPilCode(int code) {
            for (Filter f : values()) {
                if (f.pilCode == code) {
                    return f;
                }
            }
            throw new IllegalArgumentException("unsupported PIL resample filter " + code
                    + " (supported: 1 LANCZOS, 2 BILINEAR, 3 BICUBIC, 4 BOX, 5 HAMMING)");
        }

        double apply(double x) {
            switch (this) {
                case BOX:
                    return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
                case BILINEAR:
                    x = Math.abs(x);
                    return x < 1.0 ? 1.0 - x : 0.0;
                case HAMMING:
                    x = Math.abs(x);
                    if (x == 0.0) {
                        return 1.0;
                    }
                    if (x >= 1.0) {
                        return 0.0;
                    }
                    x = x * Math.PI;
                    return Math.sin(x) / x * (0.54f + 0.46f * Math.cos(x));
                case BICUBIC: {
                    final double a = -0.5;
                    x = Math.abs(x);
                    if (x < 1.0) {
                        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                    }
                    if (x < 2.0) {
                        return (((x - 5) * x + 8) * x - 4) * a;
                    }
                    return 0.0;
                }
                default: // LANCZOS
                    return x >= -3.0 && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
            }
        }

        private static double sinc(double x) {
            if (x == 0.0) {
                return 1.0;
            }
            x = x * Math.PI;
            return Math.sin(x) / x;
        }
    }

    /** Resizes with Pillow's BICUBIC, as {@code img.resize((width, height), Image.BICUBIC)}. */
    public static RgbImage resize(RgbImage src, int width, int height) {
        return resize(src, width, height, Filter.BICUBIC);
    }

    /** Resizes with the given Pillow filter, as {@code img.resize((width, height), filter)}. */
    public static RgbImage resize(RgbImage src, int width, int height, Filter filter) {
        return new RgbImage(width, height, resize(src.rgb(), src.width(), src.height(), 3, width, height, filter));
    }

    /**
     * Resizes interleaved 8-bit pixels ({@code channels} bytes a pixel, row-major) like Pillow does for an image of
     * that many bands.
     */
    public static byte[] resize(byte[] src, int inW, int inH, int channels, int outW, int outH, Filter filter) {
        if (inW <= 0 || inH <= 0 || outW <= 0 || outH <= 0 || channels <= 0) {
            throw new IllegalArgumentException("sizes must be positive: " + inW + "x" + inH + " -> " + outW + "x" + outH
                    + ", channels " + channels);
        }
        if ((long) inW * inH * channels != src.length) {
            throw new IllegalArgumentException("expected " + (long) inW * inH * channels + " bytes, got " + src.length);
        }
        Coeffs horiz = coeffs(inW, outW, filter);
        Coeffs vert = coeffs(inH, outH, filter);
        boolean needH = outW != inW;
        boolean needV = outH != inH;
        byte[] cur = src;
        int curH = inH;
        if (needH) {
            // only the rows the vertical pass reads; shift its windows accordingly
            int first = vert.bounds[0];
            int last = vert.bounds[2 * (outH - 1)] + vert.bounds[2 * (outH - 1) + 1];
            for (int i = 0; i < outH; i++) {
                vert.bounds[2 * i] -= first;
            }
            curH = last - first;
            cur = horizontal(cur, inW, channels, first, curH, outW, horiz);
        }
        if (needV) {
            cur = vertical(cur, outW, channels, outH, vert);
        }
        return cur == src ? src.clone() : cur;
    }

    /** Per output index: window start, window length, and {@code ksize} fixed-point weights. */
    private record Coeffs(int ksize, int[] bounds, int[] k) {}

    /** precompute_coeffs + normalize_coeffs_8bpc for the box [0, inSize). */
    private static Coeffs coeffs(int inSize, int outSize, Filter f) {
        double scale = (double) inSize / outSize;
        double filterscale = Math.max(scale, 1.0);
        double support = f.support * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] bounds = new int[outSize * 2];
        int[] k = new int[outSize * ksize];
        double[] w = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterscale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++) {
                w[x] = f.apply((x + xmin - center + 0.5) * ss);
                ww += w[x];
            }
            for (int x = 0; x < xmax; x++) {
                double v = ww != 0.0 ? w[x] / ww : w[x];
                k[xx * ksize + x] =
                        v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            bounds[2 * xx] = xmin;
            bounds[2 * xx + 1] = Math.max(xmax, 0);
        }
        return new Coeffs(ksize, bounds, k);
    }

    private static int clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    private static byte[] horizontal(byte[] in, int inW, int ch, int rowOffset, int rows, int outW, Coeffs c) {
        byte[] out = new byte[rows * outW * ch];
        int[] acc = new int[ch];
        for (int y = 0; y < rows; y++) {
            int src = (y + rowOffset) * inW * ch;
            int dst = y * outW * ch;
            for (int xx = 0; xx < outW; xx++) {
                int xmin = c.bounds[2 * xx];
                int n = c.bounds[2 * xx + 1];
                int kb = xx * c.ksize;
                java.util.Arrays.fill(acc, 1 << (PRECISION_BITS - 1));
                for (int x = 0; x < n; x++) {
                    int kv = c.k[kb + x];
                    int p = src + (xmin + x) * ch;
                    for (int b = 0; b < ch; b++) {
                        acc[b] += (in[p + b] & 0xff) * kv;
                    }
                }
                for (int b = 0; b < ch; b++) {
                    out[dst + xx * ch + b] = (byte) clip8(acc[b]);
                }
            }
        }
        return out;
    }

    private static byte[] vertical(byte[] in, int w, int ch, int outH, Coeffs c) {
        int stride = w * ch;
        byte[] out = new byte[outH * stride];
        for (int yy = 0; yy < outH; yy++) {
            int ymin = c.bounds[2 * yy];
            int n = c.bounds[2 * yy + 1];
            int kb = yy * c.ksize;
            int dst = yy * stride;
            for (int i = 0; i < stride; i++) {
                int acc = 1 << (PRECISION_BITS - 1);
                for (int y = 0; y < n; y++) {
                    acc += (in[(ymin + y) * stride + i] & 0xff) * c.k[kb + y];
                }
                out[dst + i] = (byte) clip8(acc);
            }
        }
        return out;
    }
}
