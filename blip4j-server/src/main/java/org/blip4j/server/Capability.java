package org.blip4j.server;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import org.blip4j.Task;

/** What a served model can be asked to do; each capability has its own queue (lane) per model. */
enum Capability {
    CAPTION,
    VQA,
    VQA_RANK,
    ITM,
    ITC,
    EMBEDDINGS,
    SEARCH;

    /** The name used in metrics, errors and {@code /v1/models}. */
    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** What a network built for {@code task} serves (NLVR2 models are not served). */
    static Set<Capability> of(Task task) {
        return switch (task) {
            case CAPTION -> EnumSet.of(CAPTION);
            case ITM -> EnumSet.of(ITM, ITC, EMBEDDINGS, SEARCH);
            case VQA -> EnumSet.of(VQA, VQA_RANK);
            case PRETRAIN -> EnumSet.of(CAPTION, ITM, ITC, EMBEDDINGS, SEARCH);
            case NLVR -> EnumSet.noneOf(Capability.class);
        };
    }
}
