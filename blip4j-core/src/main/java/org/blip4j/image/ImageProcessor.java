package org.blip4j.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Mirrors BLIP's test transform {@code Compose([Resize((S, S), BICUBIC), ToTensor(), Normalize(mean, std)])} on
 * {@code Image.open(path).convert('RGB')}: decode, Pillow bicubic resize to S x S (aspect ratio ignored), then
 * {@code (float)(v / 255f - mean[c]) / std[c]} in float32 exactly as torchvision computes it, giving CHW floats.
 *
 * <p>Can also be built from a Hugging Face {@code preprocessor_config.json} (BlipImageProcessor keys). With a
 * rescale factor other than 1/255 the value is {@code v * (float) factor} (HF multiplies); with exactly 1/255 the
 * torchvision division is kept, so both reference pipelines agree to float rounding. Immutable and thread-safe.
 */
public final class ImageProcessor {
    /** BLIP's (= OpenAI CLIP's) normalisation mean. */
    public static final float[] BLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    /** BLIP's normalisation std. */
    public static final float[] BLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    private static final double ONE_OVER_255 = 1.0 / 255.0;

    private final int width;
    private final int height;
    private final boolean doResize;
    private final PilResize.Filter filter;
    private final boolean doRescale;
    private final double rescaleFactor;
    private final boolean doNormalize;
    private final float[] mean;
    private final float[] std;
    private final ImageLoader loader;

    /**
     * @param width output width (ignored when {@code doResize} is false)
     * @param height output height (ignored when {@code doResize} is false)
     * @param rescaleFactor multiplier applied to 0..255 values when {@code doRescale} (1/255 = ToTensor)
     * @param mean per-channel mean (3 values)
     * @param std per-channel std (3 values)
     */
    public ImageProcessor(
            int width,
            int height,
            boolean doResize,
            PilResize.Filter filter,
            boolean doRescale,
            double rescaleFactor,
            boolean doNormalize,
            float[] mean,
            float[] std,
            ImageLoader loader) {
        if (doResize && (width <= 0 || height <= 0)) {
            throw new IllegalArgumentException("output size must be positive, got " + width + "x" + height);
        }
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 values each");
        }
        for (float s : std) {
            if (!(s != 0f) || Float.isNaN(s)) {
                throw new IllegalArgumentException("std values must be non-zero");
            }
        }
        this.width = width;
        this.height = height;
        this.doResize = doResize;
        this.filter = filter;
        this.doRescale = doRescale;
        this.rescaleFactor = rescaleFactor;
        this.doNormalize = doNormalize;
        this.mean = mean.clone();
        this.std = std.clone();
        this.loader = loader;
    }

    /** BLIP's test transform at {@code size} x {@code size} (384 for the released captioning/VQA models). */
    public static ImageProcessor blip(int size) {
        return new ImageProcessor(
                size,
                size,
                true,
                PilResize.Filter.BICUBIC,
                true,
                ONE_OVER_255,
                true,
                BLIP_MEAN,
                BLIP_STD,
                ImageLoader.defaults());
    }

    /** Reads a Hugging Face {@code preprocessor_config.json}; missing keys take BLIP's defaults. */
    public static ImageProcessor fromPreprocessorConfig(Path json) throws IOException {
        return fromPreprocessorConfig(json, ImageLoader.defaults());
    }

    /**
     * Reads a Hugging Face {@code preprocessor_config.json} for images decoded by {@code loader}.
     *
     * @throws IOException naming the file when it is not JSON or its values are unusable (e.g. a zero std)
     */
    public static ImageProcessor fromPreprocessorConfig(Path json, ImageLoader loader) throws IOException {
        JsonNode cfg;
        try {
            cfg = new ObjectMapper().readTree(json.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(json + ": invalid JSON: " + e.getOriginalMessage());
        }
        if (cfg == null || !cfg.isObject()) {
            throw new IOException(json + ": not a JSON object");
        }
        try {
            return fromPreprocessorConfig(cfg, loader);
        } catch (IllegalArgumentException e) {
            throw new IOException(json + ": " + e.getMessage());
        }
    }

    /**
     * Builds a processor from the keys of a HF image-processor config: {@code size} ({height, width}, {shortest_edge}
     * or an int), {@code do_resize}, {@code resample} (PIL code, 3 = bicubic), {@code do_rescale}, {@code
     * rescale_factor}, {@code do_normalize}, {@code image_mean}, {@code image_std}. Defaults: 384, BLIP mean/std.
     */
    public static ImageProcessor fromPreprocessorConfig(JsonNode cfg, ImageLoader loader) {
        int w = 384;
        int h = 384;
        JsonNode size = cfg.path("size");
        if (size.isInt()) {
            w = h = size.asInt();
        } else if (size.has("height") || size.has("width")) {
            h = size.path("height").asInt(size.path("width").asInt());
            w = size.path("width").asInt(h);
        } else if (size.has("shortest_edge")) {
            w = h = size.get("shortest_edge").asInt();
        }
        return new ImageProcessor(
                w,
                h,
                cfg.path("do_resize").asBoolean(true),
                PilResize.Filter.fromPilCode(cfg.path("resample").asInt(PilResize.Filter.BICUBIC.pilCode())),
                cfg.path("do_rescale").asBoolean(true),
                cfg.path("rescale_factor").asDouble(ONE_OVER_255),
                cfg.path("do_normalize").asBoolean(true),
                floats(cfg.get("image_mean"), BLIP_MEAN),
                floats(cfg.get("image_std"), BLIP_STD),
                loader);
    }

    private static float[] floats(JsonNode n, float[] dflt) {
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (n.isNumber()) {
            return new float[] {n.floatValue(), n.floatValue(), n.floatValue()};
        }
        float[] out = new float[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) n.get(i).asDouble(); // torch.as_tensor(mean, dtype=float32)
        }
        return out;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public float[] mean() {
        return mean.clone();
    }

    public float[] std() {
        return std.clone();
    }

    public ImageLoader loader() {
        return loader;
    }

    /** Loads and transforms one image file into CHW floats ({@code 3 * height * width}). */
    public float[] process(Path file) throws IOException {
        return process(loader.load(file));
    }

    /** Resizes (if configured) and transforms a decoded image into CHW floats. */
    public float[] process(RgbImage img) {
        return toTensor(resize(img));
    }

    /** The resize step alone (Pillow {@code resize((width, height), filter)}), or the image itself if disabled. */
    public RgbImage resize(RgbImage img) {
        return doResize ? PilResize.resize(img, width, height, filter) : img;
    }

    /** ToTensor + Normalize of an already-resized image: CHW floats. */
    public float[] toTensor(RgbImage img) {
        int hw = img.width() * img.height();
        float[] out = new float[3 * hw];
        writeChw(img, out, 0);
        return out;
    }

    /** Loads and transforms several files into one NCHW array ({@code n * 3 * height * width}). */
    public float[] processBatch(List<Path> files) throws IOException {
        List<RgbImage> images = new ArrayList<>(files.size());
        for (Path f : files) {
            images.add(loader.load(f));
        }
        return processImages(images);
    }

    /** Transforms several decoded images into one NCHW array; all must have one size after the resize step. */
    public float[] processImages(List<RgbImage> images) {
        List<RgbImage> sized = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            RgbImage r = resize(images.get(i));
            if (i > 0
                    && (r.width() != sized.get(0).width()
                            || r.height() != sized.get(0).height())) {
                throw new IllegalArgumentException("image " + i + " is " + r.width() + "x" + r.height()
                        + " after the resize " + "step, unlike image 0 ("
                        + sized.get(0).width() + "x" + sized.get(0).height() + "); a batch needs one size");
            }
            sized.add(r);
        }
        if (sized.isEmpty()) {
            return new float[0];
        }
        int per = 3 * sized.get(0).width() * sized.get(0).height();
        float[] out = new float[Math.multiplyExact(per, sized.size())];
        for (int i = 0; i < sized.size(); i++) {
            writeChw(sized.get(i), out, i * per);
        }
        return out;
    }

    private void writeChw(RgbImage img, float[] out, int offset) {
        int hw = img.width() * img.height();
        byte[] rgb = img.rgb();
        boolean tv = rescaleFactor == ONE_OVER_255;
        float factor = (float) rescaleFactor;
        for (int c = 0; c < 3; c++) {
            float m = mean[c];
            float s = std[c];
            int base = offset + c * hw;
            for (int p = 0; p < hw; p++) {
                float v = rgb[p * 3 + c] & 0xff;
                if (doRescale) {
                    v = tv ? v / 255f : v * factor;
                }
                if (doNormalize) {
                    v = (v - m) / s;
                }
                out[base + p] = v;
            }
        }
    }
}
