package org.blip4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.blip4j.image.ImageLoader;
import org.blip4j.text.TextNormalizer;

/**
 * NLVR2 image pairs with a true/false statement; mirrors {@code data/nlvr_dataset.py} {@code nlvr_dataset}: both
 * images transformed independently, {@code pre_caption(sentence, 40)}, label 1 for "True", and (when swapping is on,
 * as in the reference for every split) with probability 0.5 the two images are exchanged and the words "left" and
 * "right" swapped in the sentence.
 */
public final class NlvrDataset implements Dataset<NlvrDataset.Sample> {
    /** BLIP's {@code max_words} for NLVR2. */
    public static final int MAX_WORDS = 40;

    /** One entry: resolved image paths, cleaned sentence, label (1 = "True"). */
    public record Item(String image0, String image1, String sentence, int label) {}

    /** A loaded pair after the optional swap ({@code __getitem__}'s {@code (image0, image1, sentence, label)}). */
    public record Sample(int index, Pixels image0, Pixels image1, String sentence, int label) {}

    private final List<Item> items;
    private final ImageTransform transform;
    private final ImageLoader loader;
    private final boolean swap;

    public NlvrDataset(List<Item> items, ImageTransform transform, ImageLoader loader, boolean swap) {
        this.items = List.copyOf(items);
        this.transform = transform;
        this.loader = loader;
        this.swap = swap;
    }

    /** {@code nlvr_dataset(transform, image_root, ann_root, split)} with the reference's random swap on. */
    public static NlvrDataset read(Path annFile, Path imageRoot, ImageTransform transform) throws IOException {
        List<Item> items = new ArrayList<>();
        for (Annotations.Nlvr a : Annotations.readNlvr(annFile)) {
            items.add(new Item(
                    Dataset.resolve(imageRoot, a.image0()).toString(),
                    Dataset.resolve(imageRoot, a.image1()).toString(),
                    TextNormalizer.preCaption(a.sentence(), MAX_WORDS),
                    a.label() ? 1 : 0));
        }
        return new NlvrDataset(items, transform, ImageLoader.defaults(), true);
    }

    /** The same pairs with the left/right swap on or off (off gives a fully deterministic evaluation). */
    public NlvrDataset withSwap(boolean swap) {
        return new NlvrDataset(items, transform, loader, swap);
    }

    /** The same pairs read with another image loader. */
    public NlvrDataset withLoader(ImageLoader loader) {
        return new NlvrDataset(items, transform, loader, swap);
    }

    public List<Item> items() {
        return items;
    }

    /** {@code sentence} with every word "left" and "right" exchanged (words split on single spaces). */
    public static String swapLeftRight(String sentence) {
        String[] words = sentence.split(" ", -1);
        for (int i = 0; i < words.length; i++) {
            if (words[i].equals("left")) {
                words[i] = "right";
            } else if (words[i].equals("right")) {
                words[i] = "left";
            }
        }
        return String.join(" ", words);
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public Sample load(int index, SplittableRandom rng) throws IOException {
        Item it = items.get(index);
        Pixels p0 = transform.apply(loader.load(Path.of(it.image0())), rng);
        Pixels p1 = transform.apply(loader.load(Path.of(it.image1())), rng);
        if (swap && rng.nextDouble() >= 0.5) { // the reference keeps the order when random() < 0.5
            return new Sample(index, p1, p0, swapLeftRight(it.sentence()), it.label());
        }
        return new Sample(index, p0, p1, it.sentence(), it.label());
    }

    @Override
    public String source(int index) {
        Item it = items.get(index);
        return it.image0() + ", " + it.image1();
    }
}
