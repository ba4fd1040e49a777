package org.blip4j.capfilt;

import java.util.ArrayList;
import java.util.List;
import org.blip4j.Blip;
import org.blip4j.Task;
import org.blip4j.image.RgbImage;

/**
 * CapFilt, the paper's dataset bootstrapping (BLIP §3.3): a captioner writes synthetic captions for each web image,
 * and a filter keeps a web or synthetic text when its ITM head says it matches the image (p(match) above the
 * threshold). The algorithm alone, no I/O: {@link CapFilt} runs it as a resumable sharded job, {@code CapFiltJob} on
 * Spark.
 */
public final class Bootstrapper {
    /** Where a scored text comes from. */
    public enum Source {
        WEB,
        SYNTHETIC;

        /** The name used in the output files ({@code web}, {@code synthetic}). */
        public String label() {
            return this == WEB ? "web" : "synthetic";
        }
    }

    /** One text's fate: its source, the filter's p(match) and whether it is kept. */
    public record Decision(String text, Source source, double itmProbability, boolean kept) {}

    private final Blip captioner;
    private final Blip filter;
    private final CapFilt.Options options;
    private final Blip.CaptionOptions captionOptions;

    /** A captioning model (BLIP_Decoder) and a filter (an ITM, retrieval or pre-training model). */
    public Bootstrapper(Blip captioner, Blip filter, CapFilt.Options options) {
        if (captioner.task() != Task.CAPTION && captioner.task() != Task.PRETRAIN) {
            throw new IllegalArgumentException("the captioner " + captioner.source() + " is a " + captioner.task()
                    + " model; CapFilt needs a captioning (BLIP_Decoder) checkpoint");
        }
        if (filter.task() != Task.ITM && filter.task() != Task.PRETRAIN) {
            throw new IllegalArgumentException("the filter " + filter.source() + " is a " + filter.task()
                    + " model; CapFilt needs an image-text matching (ITM/retrieval) checkpoint");
        }
        this.captioner = captioner;
        this.filter = filter;
        this.options = options;
        this.captionOptions = Blip.CaptionOptions.defaults().withGeneration(options.generation());
    }

    /** The sampling seed of web item {@code index}: SplitMix64 of (seed, index). */
    public static long itemSeed(long seed, long index) {
        return mix(mix(seed) + index);
    }

    static long mix(long z) { // SplitMix64's finaliser
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The captioner's synthetic captions ({@code captionsPerImage} each) for the images of web items
     * {@code itemIndices}; each item samples with {@link #itemSeed}, so its captions do not depend on batching.
     */
    public List<List<String>> caption(List<RgbImage> images, long[] itemIndices) {
        if (images.isEmpty()) {
            return List.of();
        }
        long[] seeds = new long[itemIndices.length];
        for (int k = 0; k < seeds.length; k++) {
            seeds[k] = itemSeed(options.seed(), itemIndices[k]);
        }
        return captioner.captions(images, captionOptions, options.captionsPerImage(), seeds);
    }

    /** The filter's decisions on an image's web texts, then its synthetic captions, in that order. */
    public List<Decision> filter(RgbImage image, List<String> web, List<String> synthetic) {
        List<String> texts = new ArrayList<>(web);
        texts.addAll(synthetic);
        double[] p = filter.itm(image, texts, options.matchToken());
        List<Decision> out = new ArrayList<>(texts.size());
        for (int j = 0; j < texts.size(); j++) {
            Source source = j < web.size() ? Source.WEB : Source.SYNTHETIC;
            out.add(new Decision(texts.get(j), source, p[j], p[j] > options.threshold()));
        }
        return out;
    }
}
