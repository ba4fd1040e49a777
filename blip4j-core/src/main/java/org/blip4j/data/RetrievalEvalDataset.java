package org.blip4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.blip4j.image.ImageLoader;
import org.blip4j.text.TextNormalizer;

/**
 * Karpathy val/test images with their captions; mirrors {@code data/coco_karpathy_dataset.py}
 * {@code coco_karpathy_retrieval_eval} (and {@code flickr30k_retrieval_eval}): images are the samples, the cleaned
 * captions form one flat text list, and {@code txt2img} / {@code img2txt} map between them. Each sample also carries
 * the COCO image id that {@code coco_karpathy_caption_eval} returns, so one dataset serves retrieval and caption
 * evaluation.
 */
public final class RetrievalEvalDataset implements Dataset<RetrievalEvalDataset.Sample> {
    /**
     * A loaded image, as {@code __getitem__} returns {@code (image, index)}; {@code imageId} is
     * {@link #cocoImageId(String)} of its file name (-1 when the name has no numeric id).
     */
    public record Sample(int index, Pixels pixels, long imageId) {}

    private final List<String> images;
    private final List<String> texts;
    private final int[] txt2img;
    private final int[][] img2txt;
    private final ImageTransform transform;
    private final ImageLoader loader;

    private RetrievalEvalDataset(
            List<String> images,
            List<String> texts,
            int[] txt2img,
            int[][] img2txt,
            ImageTransform transform,
            ImageLoader loader) {
        this.images = images;
        this.texts = texts;
        this.txt2img = txt2img;
        this.img2txt = img2txt;
        this.transform = transform;
        this.loader = loader;
    }

    /** {@code coco_karpathy_retrieval_eval(transform, image_root, ann_root, split, max_words=30)}. */
    public static RetrievalEvalDataset karpathy(Path annFile, Path imageRoot, ImageTransform transform)
            throws IOException {
        return karpathy(annFile, imageRoot, transform, CaptionDataset.MAX_WORDS);
    }

    /** As {@link #karpathy(Path, Path, ImageTransform)} with another {@code max_words}. */
    public static RetrievalEvalDataset karpathy(Path annFile, Path imageRoot, ImageTransform transform, int maxWords)
            throws IOException {
        List<Annotations.KarpathyEval> anns = Annotations.readKarpathyEval(annFile);
        List<String> images = new ArrayList<>(anns.size());
        List<String> texts = new ArrayList<>();
        List<Integer> t2i = new ArrayList<>();
        int[][] i2t = new int[anns.size()][];
        for (int img = 0; img < anns.size(); img++) {
            Annotations.KarpathyEval a = anns.get(img);
            images.add(Dataset.resolve(imageRoot, a.image()).toString());
            i2t[img] = new int[a.captions().size()];
            for (int k = 0; k < a.captions().size(); k++) {
                i2t[img][k] = texts.size();
                texts.add(TextNormalizer.preCaption(a.captions().get(k), maxWords));
                t2i.add(img);
            }
        }
        int[] txt2img = t2i.stream().mapToInt(Integer::intValue).toArray();
        return new RetrievalEvalDataset(
                List.copyOf(images), List.copyOf(texts), txt2img, i2t, transform, ImageLoader.defaults());
    }

    /** The same data read with another image loader. */
    public RetrievalEvalDataset withLoader(ImageLoader loader) {
        return new RetrievalEvalDataset(images, texts, txt2img, img2txt, transform, loader);
    }

    /**
     * {@code coco_karpathy_caption_eval}'s id: the file name with the characters {@code .jpg} stripped from both ends
     * (Python's {@code strip('.jpg')}), then the part after the last {@code _}, as a number; -1 if not numeric.
     * {@code "val2014/COCO_val2014_000000391895.jpg"} gives 391895.
     */
    public static long cocoImageId(String image) {
        String name = image.substring(Math.max(image.lastIndexOf('/'), image.lastIndexOf('\\')) + 1);
        int b = 0;
        int e = name.length();
        while (b < e && ".jpg".indexOf(name.charAt(b)) >= 0) {
            b++;
        }
        while (e > b && ".jpg".indexOf(name.charAt(e - 1)) >= 0) {
            e--;
        }
        String stem = name.substring(b, e);
        String id = stem.substring(stem.lastIndexOf('_') + 1);
        if (id.isEmpty() || id.length() > 18 || !id.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Long.parseLong(id);
    }

    /** The resolved image paths, one per sample. */
    public List<String> images() {
        return images;
    }

    /** All cleaned captions, image by image ({@code self.text}). */
    public List<String> texts() {
        return texts;
    }

    /** For each text, the index of its image ({@code self.txt2img}). */
    public int[] txt2img() {
        return txt2img.clone();
    }

    /** For each image, the indices of its texts ({@code self.img2txt}). */
    public int[][] img2txt() {
        int[][] out = new int[img2txt.length][];
        for (int i = 0; i < out.length; i++) {
            out[i] = img2txt[i].clone();
        }
        return out;
    }

    @Override
    public int size() {
        return images.size();
    }

    @Override
    public Sample load(int index, SplittableRandom rng) throws IOException {
        String image = images.get(index);
        return new Sample(index, transform.apply(loader.load(Path.of(image)), rng), cocoImageId(image));
    }

    @Override
    public String source(int index) {
        return images.get(index);
    }
}
