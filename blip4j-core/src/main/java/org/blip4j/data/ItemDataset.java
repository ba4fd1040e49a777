package org.blip4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.blip4j.image.ImageLoader;

/**
 * A dataset over a list of annotation items whose images are read by an {@link ImageLoader} and then transformed: what
 * the caption, VQA and NLVR2 datasets share.
 *
 * @param <I> the annotation item type
 * @param <S> the sample type
 */
public abstract class ItemDataset<I, S> implements Dataset<S> {
    final List<I> items;
    final ImageTransform transform;
    final ImageLoader loader;

    ItemDataset(List<I> items, ImageTransform transform, ImageLoader loader) {
        this.items = List.copyOf(items);
        this.transform = transform;
        this.loader = loader;
    }

    public final List<I> items() {
        return items;
    }

    @Override
    public final int size() {
        return items.size();
    }

    /** Reads the image at {@code path} and applies the transform, which draws its randomness from {@code rng}. */
    final Pixels image(String path, SplittableRandom rng) throws IOException {
        return transform.apply(loader.load(Path.of(path)), rng);
    }
}
