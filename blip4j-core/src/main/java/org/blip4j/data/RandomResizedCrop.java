package org.blip4j.data;

import java.util.SplittableRandom;
import org.blip4j.image.PilResize;
import org.blip4j.image.RgbImage;

/**
 * Mirrors torchvision's {@code RandomResizedCrop(size, scale, ratio, interpolation=BICUBIC)} on a PIL image: box
 * sampling as {@code RandomResizedCrop.get_params}, then {@code F.resized_crop} = PIL {@code crop} followed by PIL
 * {@code resize((size, size), BICUBIC)} ({@link PilResize}).
 *
 * <p>Box sampling: up to 10 attempts of {@code target_area = area * U(scale)}, {@code aspect = exp(U(log ratio))},
 * {@code w = round(sqrt(target_area * aspect))}, {@code h = round(sqrt(target_area / aspect))} (Python's round: half
 * to even); the first attempt with {@code 0 < w <= width} and {@code 0 < h <= height} is placed at
 * {@code top = randint(0, height - h)}, {@code left = randint(0, width - w)}. Otherwise the fallback is a centred
 * crop clamped to the ratio range. The random numbers come from a {@link SplittableRandom}, not torch's generator, so
 * boxes follow the same distribution as the reference but are not the same draws.
 *
 * @param size output side S (the crop is resized to S x S)
 * @param minScale lower bound of the area fraction (0.5 fine-tuning, 0.2 pre-training in BLIP)
 * @param maxScale upper bound of the area fraction (1.0)
 * @param minRatio lower bound of the width/height ratio (3/4)
 * @param maxRatio upper bound of the width/height ratio (4/3)
 */
public record RandomResizedCrop(int size, double minScale, double maxScale, double minRatio, double maxRatio) {

    /** A crop box in pixels: rows {@code top .. top+height-1}, columns {@code left .. left+width-1}. */
    public record Box(int top, int left, int height, int width) {}

    public RandomResizedCrop {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive, got " + size);
        }
        if (!(minScale > 0 && minScale <= maxScale) || !(minRatio > 0 && minRatio <= maxRatio)) {
            throw new IllegalArgumentException("need 0 < minScale <= maxScale and 0 < minRatio <= maxRatio, got scale ("
                    + minScale + ", " + maxScale + "), ratio (" + minRatio + ", " + maxRatio + ")");
        }
    }

    /** torchvision's defaults with BLIP's scale lower bound: ratio (3/4, 4/3), scale (minScale, 1.0). */
    public static RandomResizedCrop of(int size, double minScale) {
        return new RandomResizedCrop(size, minScale, 1.0, 3.0 / 4.0, 4.0 / 3.0);
    }

    /** Samples a crop box for a {@code width} x {@code height} image ({@code get_params}). */
    public Box sample(int width, int height, SplittableRandom rng) {
        double area = (double) height * width;
        double logLo = Math.log(minRatio);
        double logHi = Math.log(maxRatio);
        for (int attempt = 0; attempt < 10; attempt++) {
            double targetArea = area * uniform(rng, minScale, maxScale);
            double aspect = Math.exp(uniform(rng, logLo, logHi));
            int w = (int) Math.rint(Math.sqrt(targetArea * aspect));
            int h = (int) Math.rint(Math.sqrt(targetArea / aspect));
            if (0 < w && w <= width && 0 < h && h <= height) {
                int top = rng.nextInt(height - h + 1);
                int left = rng.nextInt(width - w + 1);
                return new Box(top, left, h, w);
            }
        }
        return centerFallback(width, height);
    }

    /** The fallback box of {@code get_params} after 10 failed attempts. */
    public Box centerFallback(int width, int height) {
        double inRatio = (double) width / height;
        int w;
        int h;
        if (inRatio < minRatio) {
            w = width;
            h = (int) Math.rint(w / minRatio);
        } else if (inRatio > maxRatio) {
            h = height;
            w = (int) Math.rint(h * maxRatio);
        } else {
            w = width;
            h = height;
        }
        return new Box((height - h) / 2, (width - w) / 2, h, w);
    }

    /** Samples a box, crops and resizes to {@code size} x {@code size} with Pillow's bicubic filter. */
    public RgbImage apply(RgbImage image, SplittableRandom rng) {
        return resizedCrop(image, sample(image.width(), image.height(), rng), size);
    }

    /** {@code F.resized_crop} on a PIL image: {@code img.crop(box).resize((size, size), BICUBIC)}. */
    public static RgbImage resizedCrop(RgbImage image, Box box, int size) {
        return PilResize.resize(crop(image, box), size, size, PilResize.Filter.BICUBIC);
    }

    /** PIL {@code crop((left, top, left + width, top + height))} for a box inside the image. */
    public static RgbImage crop(RgbImage image, Box box) {
        if (box.top() < 0
                || box.left() < 0
                || box.height() <= 0
                || box.width() <= 0
                || box.top() + box.height() > image.height()
                || box.left() + box.width() > image.width()) {
            throw new IllegalArgumentException("crop box " + box + " is not inside the " + image);
        }
        if (box.left() == 0 && box.top() == 0 && box.width() == image.width() && box.height() == image.height()) {
            return image;
        }
        byte[] out = new byte[box.width() * box.height() * 3];
        int rowBytes = box.width() * 3;
        for (int y = 0; y < box.height(); y++) {
            System.arraycopy(
                    image.rgb(), ((box.top() + y) * image.width() + box.left()) * 3, out, y * rowBytes, rowBytes);
        }
        return new RgbImage(box.width(), box.height(), out);
    }

    private static double uniform(SplittableRandom rng, double lo, double hi) {
        return lo + (hi - lo) * rng.nextDouble();
    }
}
