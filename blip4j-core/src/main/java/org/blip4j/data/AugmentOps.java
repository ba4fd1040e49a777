package org.blip4j.data;

import org.blip4j.image.RgbImage;

/**
 * The pixel operations of BLIP's {@code transform/randaugment.py} (its numpy/cv2 functions, channel by channel on the
 * HWC uint8 array) plus torchvision's horizontal flip; each returns a new image and leaves its input untouched.
 */
public final class AugmentOps {
    private AugmentOps() {}

    /** {@code RandomHorizontalFlip}'s {@code F.hflip}: mirrors the columns. */
    public static RgbImage flipHorizontal(RgbImage img) {
        int w = img.width();
        byte[] in = img.rgb();
        byte[] out = new byte[in.length];
        for (int y = 0; y < img.height(); y++) {
            int row = y * w * 3;
            for (int x = 0; x < w; x++) {
                System.arraycopy(in, row + x * 3, out, row + (w - 1 - x) * 3, 3);
            }
        }
        return new RgbImage(w, img.height(), out);
    }

    /**
     * {@code autocontrast_func(img, cutoff=0)}: per channel, with {@code low}/{@code high} its min/max, if
     * {@code high > low} every value v becomes {@code trunc(clip(v * scale + offset, 0, 255))} with {@code scale =
     * 255 / (high - low)}; a constant channel is unchanged.
     *
     * <p>{@code referenceWrap = true} reproduces the reference exactly: there {@code low} is a numpy uint8 scalar, so
     * {@code offset = -low * scale} negates in uint8 and wraps to {@code (256 - low) * scale}, which sends EVERY value
     * of a channel whose minimum is above 0 to 255 (channels with minimum 0 are stretched correctly). {@code false}
     * gives the intended {@code offset = -low * scale}, i.e. {@code PIL.ImageOps.autocontrast}.
     */
    public static RgbImage autoContrast(RgbImage img, boolean referenceWrap) {
        byte[] in = img.rgb();
        byte[] out = new byte[in.length];
        for (int c = 0; c < 3; c++) {
            int low = 255;
            int high = 0;
            for (int i = c; i < in.length; i += 3) {
                int v = in[i] & 0xff;
                low = Math.min(low, v);
                high = Math.max(high, v);
            }
            int[] table = new int[256];
            if (high <= low) {
                for (int v = 0; v < 256; v++) {
                    table[v] = v;
                }
            } else {
                double scale = 255.0 / (high - low);
                double offset = referenceWrap ? ((-low) & 0xff) * scale : -low * scale;
                for (int v = 0; v < 256; v++) {
                    double t = v * scale + offset;
                    table[v] = (int) Math.min(255.0, Math.max(0.0, t));
                }
            }
            apply(in, out, c, table);
        }
        return new RgbImage(img.width(), img.height(), out);
    }

    /**
     * {@code equalize_func} (= {@code PIL.ImageOps.equalize}): per channel with histogram {@code hist}, {@code step =
     * (sum of the non-zero bins except the last non-zero one) // 255}; if {@code step == 0} the channel is unchanged,
     * otherwise value v maps to {@code min(255, (step // 2 + sum(hist[0..v-1])) // step)}. The reference's float32
     * histogram sums are exact below 2^24 pixels; here they are exact longs.
     */
    public static RgbImage equalize(RgbImage img) {
        byte[] in = img.rgb();
        byte[] out = new byte[in.length];
        for (int c = 0; c < 3; c++) {
            long[] hist = new long[256];
            for (int i = c; i < in.length; i += 3) {
                hist[in[i] & 0xff]++;
            }
            long total = 0;
            long lastNonZero = 0;
            for (long h : hist) {
                if (h != 0) {
                    total += h;
                    lastNonZero = h;
                }
            }
            long step = (total - lastNonZero) / 255;
            int[] table = new int[256];
            if (step == 0) {
                for (int v = 0; v < 256; v++) {
                    table[v] = v;
                }
            } else {
                long acc = step / 2;
                for (int v = 0; v < 256; v++) {
                    table[v] = (int) Math.min(255, acc / step);
                    acc += hist[v];
                }
            }
            apply(in, out, c, table);
        }
        return new RgbImage(img.width(), img.height(), out);
    }

    /**
     * {@code brightness_func}: {@code table = trunc(clip(float32(v) * float32(factor), 0, 255))}; the identity for
     * factor 1.0 (BLIP's M = 5).
     */
    public static RgbImage brightness(RgbImage img, double factor) {
        if (factor == 1.0) {
            return img;
        }
        int[] table = new int[256];
        float f = (float) factor;
        for (int v = 0; v < 256; v++) {
            float t = (float) v * f;
            table[v] = (int) Math.min(255f, Math.max(0f, t));
        }
        byte[] in = img.rgb();
        byte[] out = new byte[in.length];
        for (int c = 0; c < 3; c++) {
            apply(in, out, c, table);
        }
        return new RgbImage(img.width(), img.height(), out);
    }

    /**
     * {@code sharpness_func}: the identity for factor 1.0 (BLIP's M = 5); otherwise interior pixels become
     * {@code uint8(d + factor * (v - d))} in float32, with {@code d} the 3x3 smoothing kernel {@code [[1,1,1],[1,5,1],
     * [1,1,1]] / 13} applied as {@code cv2.filter2D} (float32 accumulation in kernel order, rounded half to even), and
     * the one-pixel border keeps its values; the uint8 cast of out-of-range floats wraps as numpy does on x86. Matches
     * OpenCV 4.6 bit for bit on the test goldens; an OpenCV build whose filter kernel sums in another order (IPP, FMA)
     * could round a value differently.
     */
    public static RgbImage sharpness(RgbImage img, double factor) {
        if (factor == 1.0) {
            return img;
        }
        int w = img.width();
        int h = img.height();
        byte[] in = img.rgb();
        byte[] out = in.clone();
        float k1 = 1f / 13f;
        float k5 = 5f / 13f;
        float f = (float) factor;
        for (int y = 1; y < h - 1; y++) {
            for (int x = 1; x < w - 1; x++) {
                for (int c = 0; c < 3; c++) {
                    float s = 0f;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            float v = in[((y + dy) * w + x + dx) * 3 + c] & 0xff;
                            s += (dx == 0 && dy == 0 ? k5 : k1) * v;
                        }
                    }
                    int d = (int) Math.min(255, Math.max(0, Math.rint(s)));
                    float v = in[(y * w + x) * 3 + c] & 0xff;
                    float r = d + f * (v - d);
                    out[(y * w + x) * 3 + c] = (byte) ((int) r & 0xff);
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    private static void apply(byte[] in, byte[] out, int channel, int[] table) {
        for (int i = channel; i < in.length; i += 3) {
            out[i] = (byte) table[in[i] & 0xff];
        }
    }
}
