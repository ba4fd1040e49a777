package org.blip4j.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Turns decoded ImageIO pixels into 8-bit RGB the way Pillow's {@code Image.convert("RGB")} does: raw samples, no
 * colour management (ICC profiles and gamma are ignored, as Pillow ignores them), alpha dropped without compositing,
 * palette entries looked up, libjpeg's fixed-point YCbCr/YCCK conversion and Pillow's {@code cmyk2rgb} redone by
 * hand.
 */
final class PixelConverter {
    private PixelConverter() {}

    /** libjpeg's jdcolor.c tables (SCALEBITS = 16), so YCbCr to RGB is bit-exact with libjpeg(-turbo). */
    private static final int[] CR_R = new int[256];

    private static final int[] CB_B = new int[256];
    private static final long[] CR_G = new long[256];
    private static final long[] CB_G = new long[256];

    static {
        final long one = 1L << 16;
        for (int i = 0; i < 256; i++) {
            long x = i - 128;
            CR_R[i] = (int) ((fix(1.40200) * x + one / 2) >> 16);
            CB_B[i] = (int) ((fix(1.77200) * x + one / 2) >> 16);
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + one / 2;
        }
    }

    private static long fix(double v) {
        return (long) (v * (1L << 16) + 0.5);
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /**
     * Converts a raw (not colour-converted) JPEG raster, interpreting its components as libjpeg-turbo does
     * (jdapimin.c default_decompress_parms): 1 component = grey; 3 = YCbCr if a JFIF marker is present, else RGB if
     * the Adobe transform is 0, else YCbCr if an Adobe marker is present, else RGB only for component ids 'R','G','B';
     * 4 = YCCK if an Adobe marker with transform != 0 is present, else CMYK. Four-component data then goes through
     * Pillow's path: libjpeg CMYK output, inverted ("CMYK;I": Pillow assumes Adobe's inverted CMYK for every CMYK
     * JPEG), then {@link #cmykToRgb}.
     */
    static byte[] fromJpegRaster(Raster r, ImageHeaders.JpegInfo info) {
        int w = r.getWidth();
        int h = r.getHeight();
        int nb = r.getNumBands();
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), 3)];
        int[][] rows = new int[nb][w];
        int[] ids = info.componentIds();
        boolean ycc = switch (nb) {
            case 3 ->
                info.jfif()
                        || (info.adobeTransform() >= 0
                                ? info.adobeTransform() != 0
                                : !(ids.length == 3 && ids[0] == 'R' && ids[1] == 'G' && ids[2] == 'B'));
            case 4 -> info.adobeTransform() > 0; // YCCK
            default -> false;
        };
        if (nb != 1 && nb != 3 && nb != 4) {
            throw new IllegalArgumentException("unsupported JPEG with " + nb + " components");
        }
        for (int y = 0; y < h; y++) {
            for (int b = 0; b < nb; b++) {
                r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, b, rows[b]);
            }
            int o = y * w * 3;
            for (int x = 0; x < w; x++, o += 3) {
                if (nb == 1) {
                    byte v = (byte) rows[0][x];
                    out[o] = v;
                    out[o + 1] = v;
                    out[o + 2] = v;
                    continue;
                }
                int c0 = rows[0][x] & 0xff;
                int c1 = rows[1][x] & 0xff;
                int c2 = rows[2][x] & 0xff;
                if (ycc) { // (Y, Cb, Cr) -> (R, G, B)
                    int yy = c0;
                    int cb = c1;
                    int cr = c2;
                    c0 = clamp(yy + CR_R[cr]);
                    c1 = clamp(yy + (int) ((CB_G[cb] + CR_G[cr]) >> 16));
                    c2 = clamp(yy + CB_B[cb]);
                }
                if (nb == 3) {
                    out[o] = (byte) c0;
                    out[o + 1] = (byte) c1;
                    out[o + 2] = (byte) c2;
                    continue;
                }
                int k = rows[3][x] & 0xff;
                // libjpeg's CMYK output is (255 - R, 255 - G, 255 - B, K) for YCCK and the stored values for CMYK;
                // Pillow inverts all four ("CMYK;I"), so after inversion C = R (YCCK) or 255 - stored (CMYK).
                int c = ycc ? c0 : 255 - c0;
                int m = ycc ? c1 : 255 - c1;
                int yel = ycc ? c2 : 255 - c2;
                cmykToRgb(c, m, yel, 255 - k, out, o);
            }
        }
        return out;
    }

    /** Pillow's Convert.c cmyk2rgb: {@code nk = 255 - k; r = nk - round(c * nk / 255)} (MULDIV255), per channel. */
    static void cmykToRgb(int c, int m, int y, int k, byte[] out, int o) {
        int nk = 255 - k;
        out[o] = (byte) clamp(nk - mulDiv255(c, nk));
        out[o + 1] = (byte) clamp(nk - mulDiv255(m, nk));
        out[o + 2] = (byte) clamp(nk - mulDiv255(y, nk));
    }

    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    /**
     * Converts a decoded (non-JPEG) image from its raw samples.
     *
     * @param pilModeI true for a 16-bit grey image without alpha, which Pillow opens in mode "I" (PNG colour type 0,
     *     depth 16) and whose convert("RGB") CLIPS each value to 0..255 instead of scaling
     */
    static byte[] fromImage(BufferedImage img, boolean pilModeI) {
        ColorModel cm = img.getColorModel();
        Raster r = img.getRaster();
        int w = r.getWidth();
        int h = r.getHeight();
        int dataType = r.getDataBuffer().getDataType();
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), 3)];
        if (cm instanceof IndexColorModel icm) {
            // Pillow's palette starts as a grey ramp and the file's entries overwrite its head, so indices beyond the
            // palette map to grey (i, i, i).
            int size = Math.max(icm.getMapSize(), 1 << Math.min(icm.getPixelSize(), 16));
            int[] lut = new int[size];
            for (int i = 0; i < size; i++) {
                lut[i] = i < icm.getMapSize() ? icm.getRGB(i) & 0xffffff : (i & 0xff) * 0x010101;
            }
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, 0, row);
                for (int x = 0, o = y * w * 3; x < w; x++, o += 3) {
                    int v = lut[row[x] & (size - 1)];
                    out[o] = (byte) (v >> 16);
                    out[o + 1] = (byte) (v >> 8);
                    out[o + 2] = (byte) v;
                }
            }
            return out;
        }
        int nc = cm.getNumColorComponents();
        boolean intSamples = dataType == DataBuffer.TYPE_BYTE
                || dataType == DataBuffer.TYPE_USHORT
                || dataType == DataBuffer.TYPE_INT
                || dataType == DataBuffer.TYPE_SHORT;
        boolean cmyk = cm.getColorSpace().getType() == ColorSpace.TYPE_CMYK && nc == 4;
        if (!intSamples || (nc != 1 && nc != 3 && !cmyk) || r.getNumBands() < nc) {
            // an unusual colour space or float samples: fall back to Java's colour conversion
            int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0, o = 0; i < argb.length; i++, o += 3) {
                out[o] = (byte) (argb[i] >> 16);
                out[o + 1] = (byte) (argb[i] >> 8);
                out[o + 2] = (byte) argb[i];
            }
            return out;
        }
        int[] bits = new int[nc];
        for (int b = 0; b < nc; b++) {
            bits[b] = cm.getComponentSize(b);
        }
        int[][] rows = new int[nc][w];
        for (int y = 0; y < h; y++) {
            for (int b = 0; b < nc; b++) {
                r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, b, rows[b]);
            }
            for (int x = 0, o = y * w * 3; x < w; x++, o += 3) {
                if (nc == 1) {
                    int v = pilModeI ? Math.min(rows[0][x], 255) : to8(rows[0][x], bits[0]);
                    out[o] = (byte) v;
                    out[o + 1] = (byte) v;
                    out[o + 2] = (byte) v;
                } else if (nc == 3) {
                    out[o] = (byte) to8(rows[0][x], bits[0]);
                    out[o + 1] = (byte) to8(rows[1][x], bits[1]);
                    out[o + 2] = (byte) to8(rows[2][x], bits[2]);
                } else {
                    cmykToRgb(
                            to8(rows[0][x], bits[0]),
                            to8(rows[1][x], bits[1]),
                            to8(rows[2][x], bits[2]),
                            to8(rows[3][x], bits[3]),
                            out,
                            o);
                }
            }
        }
        return out;
    }

    /**
     * A sample of {@code bits} bits as Pillow's unpackers give it: 8 bits as is; 16 bits by taking the high byte
     * ("RGB;16B", "LA;16B", ...); fewer bits scaled with integer floor {@code v * 255 / (2^bits - 1)} (BMP "BGR;15"/
     * "BGR;16", grey "L;2"/"L;4"); more than 8 other than 16 by dropping low bits.
     */
    static int to8(int v, int bits) {
        if (bits == 8) {
            return v & 0xff;
        }
        if (bits < 8) {
            int max = (1 << bits) - 1;
            return Math.min(v, max) * 255 / max;
        }
        return (v >>> (bits - 8)) & 0xff;
    }
}
