package org.blip4j.data;

/**
 * One transformed image as the reference's {@code transform(image)} tensor: normalised float32 values in CHW order
 * (3 x height x width), what torchvision's {@code ToTensor()} + {@code Normalize(mean, std)} return.
 *
 * @param chw {@code 3 * height * width} floats, channel-major; shared, not copied
 */
public record Pixels(int height, int width, float[] chw) {
    public Pixels {
        if (height <= 0 || width <= 0 || chw == null || chw.length != 3L * height * width) {
            throw new IllegalArgumentException("pixels must be 3x" + height + "x" + width + ", got "
                    + (chw == null ? "null" : chw.length + " floats"));
        }
    }
}
