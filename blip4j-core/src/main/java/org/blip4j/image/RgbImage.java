package org.blip4j.image;

/**
 * An 8-bit RGB image in row-major HWC order, the Java counterpart of a Pillow image in mode {@code "RGB"}
 * ({@code np.asarray(img)} has exactly this layout).
 *
 * @param width width in pixels (&gt; 0)
 * @param height height in pixels (&gt; 0)
 * @param rgb {@code height * width * 3} bytes: pixel (x, y) channel c at {@code (y * width + x) * 3 + c}; the array
 *     is shared, not copied
 */
public record RgbImage(int width, int height, byte[] rgb) {

    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (rgb == null || (long) width * height * 3 != rgb.length) {
            throw new IllegalArgumentException("an " + width + "x" + height + " RGB image needs "
                    + (long) width * height * 3 + " bytes, got " + (rgb == null ? "null" : rgb.length));
        }
    }

    /** Channel {@code c} (0 = R, 1 = G, 2 = B) of pixel (x, y) as 0..255. */
    public int get(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xff;
    }

    /** The pixel (x, y) as {@code 0xRRGGBB}. */
    public int rgbAt(int x, int y) {
        int i = (y * width + x) * 3;
        return (rgb[i] & 0xff) << 16 | (rgb[i + 1] & 0xff) << 8 | (rgb[i + 2] & 0xff);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
