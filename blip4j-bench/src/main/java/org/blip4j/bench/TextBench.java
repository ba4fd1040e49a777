package org.blip4j.bench;

import org.blip4j.model.BlipDecoder;
import org.blip4j.model.text.KvCache;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Times the MED text decoder reading the image tokens: a full forward and one cached decode step. */
final class TextBench {
    private final BlipDecoder model;

    TextBench(BlipDecoder model) {
        this.model = model;
    }

    /** Milliseconds of the decoder forward (LM logits included) for {@code tokens} ids over {@code image} (1, N, D). */
    double forwardMs(Tensor image, int tokens) {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor ids = torch.randint(1000, 2000, new long[] {image.size(0), tokens}); // int64 ids in the vocabulary
            Tensor mask = torch.ones(image.size(0), tokens);
            long t0 = System.nanoTime();
            model.logits(image, ids, mask);
            return (System.nanoTime() - t0) / 1e6;
        }
    }

    /** Milliseconds of one cached decode step after {@code past} tokens (the cache holds image keys/values already). */
    double stepMs(Tensor image, int past) {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            KvCache cache = model.textDecoder().newCache();
            model.step(image, torch.randint(1000, 2000, new long[] {image.size(0), past}), cache);
            Tensor next = torch.randint(1000, 2000, new long[] {image.size(0), 1});
            long t0 = System.nanoTime();
            model.step(image, next, cache);
            return (System.nanoTime() - t0) / 1e6;
        }
    }
}
