package org.blip4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.blip4j.image.ImageLoader;
import org.blip4j.text.TextNormalizer;

/**
 * Image-caption pairs for pre-training, captioning and retrieval training; mirrors {@code data/pretrain_dataset.py}
 * {@code pretrain_dataset} and {@code data/coco_karpathy_dataset.py} {@code coco_karpathy_train} (also
 * {@code flickr30k_train}). Captions are cleaned with {@code pre_caption(c, maxWords)} once, when read.
 */
public final class CaptionDataset extends ItemDataset<CaptionDataset.Item, CaptionDataset.Sample> {
    /** BLIP's {@code max_words} for pre-training and Karpathy train. */
    public static final int MAX_WORDS = 30;
    /** BLIP's captioning prompt ({@code configs/caption_coco.yaml}). */
    public static final String CAPTION_PROMPT = "a picture of ";

    /**
     * One pair: the resolved image path, the final caption (prompt included) and an image id: for Karpathy train the
     * contiguous remapped {@code image_id}, for pre-training the index of the annotation entry (captions expanded
     * from one entry share it).
     */
    public record Item(String image, String caption, int imageId) {}

    /**
     * A loaded pair, as {@code __getitem__} returns {@code (image, caption, img_id)}.
     *
     * @param negative a text known to be false for this image, for ITM (a world's hard negative), or null
     * @param world what a world that knows the truth says of this pair (whether another pair's text holds for this
     *     image), or null
     */
    public record Sample(int index, Pixels pixels, String caption, int imageId, String negative, WorldPair world) {
        /** A pair without a known-false text (every file-backed dataset). */
        public Sample(int index, Pixels pixels, String caption, int imageId) {
            this(index, pixels, caption, imageId, null, null);
        }
    }

    /**
     * A pair of a world that can judge its texts against any of its images (the shapes world): lets training tell a
     * real ITM negative from another image's caption that happens to hold for this image too.
     */
    public interface WorldPair {
        /** Whether this pair's text holds for {@code other}'s image (a pair of the same world). */
        boolean textHoldsFor(WorldPair other);
    }

    public CaptionDataset(List<Item> items, ImageTransform transform, ImageLoader loader) {
        super(items, transform, loader);
    }

    /**
     * {@code pretrain_dataset(ann_file, laion_path=None, transform)}: the files' entries concatenated in order; an
     * entry whose {@code caption} is a list yields one pair per caption (the reference only takes strings).
     *
     * @param imageRoot resolves relative image paths (the reference's paths are absolute); null for none
     */
    public static CaptionDataset pretrain(List<Path> annFiles, Path imageRoot, ImageTransform transform)
            throws IOException {
        List<Item> items = new ArrayList<>();
        int entry = 0;
        for (Path f : annFiles) {
            for (Annotations.Pretrain a : Annotations.readPretrain(f)) {
                String image = Dataset.resolve(imageRoot, a.image()).toString();
                for (String c : a.captions()) {
                    items.add(new Item(image, TextNormalizer.preCaption(c, MAX_WORDS), entry));
                }
                entry++;
            }
        }
        return new CaptionDataset(items, transform, ImageLoader.defaults());
    }

    /**
     * {@code coco_karpathy_train(transform, image_root, ann_root, max_words=30, prompt)}: {@code prompt +
     * pre_caption(caption, 30)}, image ids remapped to 0, 1, 2, ... in order of first appearance.
     *
     * @param prompt {@link #CAPTION_PROMPT} for captioning, "" for retrieval
     */
    public static CaptionDataset karpathyTrain(Path annFile, Path imageRoot, ImageTransform transform, String prompt)
            throws IOException {
        return karpathyTrain(annFile, imageRoot, transform, prompt, MAX_WORDS);
    }

    /** {@link #karpathyTrain(Path, Path, ImageTransform, String)} with another {@code max_words}. */
    public static CaptionDataset karpathyTrain(
            Path annFile, Path imageRoot, ImageTransform transform, String prompt, int maxWords) throws IOException {
        Map<String, Integer> ids = new HashMap<>();
        List<Item> items = new ArrayList<>();
        for (Annotations.KarpathyTrain a : Annotations.readKarpathyTrain(annFile)) {
            int id = ids.computeIfAbsent(a.imageId(), k -> ids.size());
            items.add(new Item(
                    Dataset.resolve(imageRoot, a.image()).toString(),
                    prompt + TextNormalizer.preCaption(a.caption(), maxWords),
                    id));
        }
        return new CaptionDataset(items, transform, ImageLoader.defaults());
    }

    /** The same pairs read with another image loader (e.g. with EXIF orientation or a pixel limit). */
    public CaptionDataset withLoader(ImageLoader loader) {
        return new CaptionDataset(items, transform, loader);
    }

    public Item item(int index) {
        return items.get(index);
    }

    /** Number of distinct image ids (1 + the largest id). */
    public int imageIdCount() {
        int max = -1;
        for (Item it : items) {
            max = Math.max(max, it.imageId());
        }
        return max + 1;
    }

    @Override
    public Sample load(int index, SplittableRandom rng) throws IOException {
        Item it = items.get(index);
        Pixels px = image(it.image(), rng);
        return new Sample(index, px, it.caption(), it.imageId());
    }

    @Override
    public String source(int index) {
        return items.get(index).image();
    }
}
