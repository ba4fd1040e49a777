package org.blip4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A random-access list of samples that decodes and transforms one entry on demand, the counterpart of a
 * {@code torch.utils.data.Dataset} with its {@code __len__} and {@code __getitem__}. Implementations must be
 * thread-safe and must take all randomness from the given {@code rng}.
 *
 * @param <S> the sample type
 */
public interface Dataset<S> {
    /** Number of samples. */
    int size();

    /**
     * Loads sample {@code index}: decode its image(s) and apply the transform.
     *
     * @param rng the sample's own random source (the loader seeds it from seed, epoch and index)
     * @throws IOException when an image is missing or cannot be decoded; the loader skips such samples
     */
    S load(int index, SplittableRandom rng) throws IOException;

    /** The file(s) sample {@code index} reads, for log messages. */
    String source(int index);

    /** {@code os.path.join(root, image)}: an absolute {@code image} ignores the root; a null root means none. */
    static Path resolve(Path root, String image) {
        return root == null ? Path.of(image) : root.resolve(image);
    }
}
