package org.blip4j.image;

/**
 * EXIF orientation (tag 0x0112) parsing and the eight transposes, mirroring Pillow's
 * {@code ImageOps.exif_transpose} (2 = FLIP_LEFT_RIGHT, 3 = ROTATE_180, 4 = FLIP_TOP_BOTTOM, 5 = TRANSPOSE,
 * 6 = ROTATE_270, 7 = TRANSVERSE, 8 = ROTATE_90).
 *
 * <p>BLIP's reference transform never applies it ({@code Image.open(path).convert('RGB')}), so {@link ImageLoader}
 * only does when asked.
 */
public final class ExifOrientation {
    /** EXIF tag number of Orientation. */
    public static final int TAG = 0x0112;

    private ExifOrientation() {}

    /**
     * Orientation from a TIFF-structured EXIF block (the APP1 payload after {@code "Exif\0\0"}, or a PNG eXIf chunk; a
     * leading {@code "Exif\0\0"} is skipped): the value of tag 0x0112 in IFD0, or 1 when absent, malformed or outside
     * 1..8.
     */
    public static int parse(byte[] exif) {
        if (exif == null) {
            return 1;
        }
        int o = exif.length >= 6
                        && exif[0] == 'E'
                        && exif[1] == 'x'
                        && exif[2] == 'i'
                        && exif[3] == 'f'
                        && exif[4] == 0
                        && exif[5] == 0
                ? 6
                : 0;
        if (exif.length < o + 8) {
            return 1;
        }
        boolean le;
        if (exif[o] == 'I' && exif[o + 1] == 'I') {
            le = true;
        } else if (exif[o] == 'M' && exif[o + 1] == 'M') {
            le = false;
        } else {
            return 1;
        }
        if (u16(exif, o + 2, le) != 42) {
            return 1;
        }
        long ifd = o + u32(exif, o + 4, le);
        if (ifd < o + 8 || ifd + 2 > exif.length) {
            return 1;
        }
        int n = u16(exif, (int) ifd, le);
        for (int i = 0; i < n; i++) {
            int e = (int) ifd + 2 + 12 * i;
            if (e + 12 > exif.length) {
                break;
            }
            if (u16(exif, e, le) != TAG) {
                continue;
            }
            long v = switch (u16(exif, e + 2, le)) {
                case 1, 7 -> exif[e + 8] & 0xff; // BYTE, UNDEFINED
                case 3 -> u16(exif, e + 8, le); // SHORT (the standard type)
                case 4 -> u32(exif, e + 8, le); // LONG
                default -> 1;
            };
            return v >= 1 && v <= 8 ? (int) v : 1;
        }
        return 1;
    }

    /** Applies orientation {@code o} (1..8; anything else returns the image unchanged) as Pillow's transposes do. */
    public static RgbImage apply(RgbImage img, int o) {
        if (o < 2 || o > 8) {
            return img;
        }
        int w = img.width();
        int h = img.height();
        boolean swap = o >= 5;
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        byte[] src = img.rgb();
        byte[] dst = new byte[src.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                // (sx, sy): the source pixel that lands at (x, y)
                int sx;
                int sy;
                switch (o) {
                    case 2 -> {
                        sx = w - 1 - x;
                        sy = y;
                    } // FLIP_LEFT_RIGHT
                    case 3 -> {
                        sx = w - 1 - x;
                        sy = h - 1 - y;
                    } // ROTATE_180
                    case 4 -> {
                        sx = x;
                        sy = h - 1 - y;
                    } // FLIP_TOP_BOTTOM
                    case 5 -> {
                        sx = y;
                        sy = x;
                    } // TRANSPOSE
                    case 6 -> {
                        sx = y;
                        sy = h - 1 - x;
                    } // ROTATE_270 (90 degrees clockwise)
                    case 7 -> {
                        sx = w - 1 - y;
                        sy = h - 1 - x;
                    } // TRANSVERSE
                    default -> {
                        sx = w - 1 - y;
                        sy = x;
                    } // 8: ROTATE_90 (90 degrees counter-clockwise)
                }
                int s = (sy * w + sx) * 3;
                int d = (y * ow + x) * 3;
                dst[d] = src[s];
                dst[d + 1] = src[s + 1];
                dst[d + 2] = src[s + 2];
            }
        }
        return new RgbImage(ow, oh, dst);
    }

    private static int u16(byte[] b, int i, boolean le) {
        return le ? (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 : (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
    }

    private static long u32(byte[] b, int i, boolean le) {
        return le
                ? (b[i] & 0xffL) | (b[i + 1] & 0xffL) << 8 | (b[i + 2] & 0xffL) << 16 | (b[i + 3] & 0xffL) << 24
                : (b[i] & 0xffL) << 24 | (b[i + 1] & 0xffL) << 16 | (b[i + 2] & 0xffL) << 8 | (b[i + 3] & 0xffL);
    }
}
