package org.blip4j.weights;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a load may leave out: checkpoint keys that are knowingly unused and model tensors that knowingly stay at their
 * initial values. Anything else missing, unexpected or of the wrong shape fails the load (nanoGPT-style strictness,
 * not BLIP's {@code strict=False}).
 *
 * @param ignoreUnexpected patterns (regex, full match) of checkpoint keys that may be unused
 * @param allowMissing patterns of model tensor names that may be absent from the checkpoint
 */
public record LoadPolicy(List<Pattern> ignoreUnexpected, List<Pattern> allowMissing) {

    /** Buffers that the reference saves but never needs ({@code position_ids}) and the unused BERT pooler. */
    public static final List<String> ALWAYS_IGNORED = List.of(".*\\.position_ids", ".*\\.pooler\\..*");

    /**
     * Training state that inference never reads: momentum encoders, feature queues, their pointers, and blip4j's
     * training-only patch-position and patch-relation heads.
     */
    public static final List<String> TRAINING_STATE = List.of(
            "visual_encoder_m\\..*",
            "text_encoder_m\\..*",
            "vision_proj_m\\..*",
            "text_proj_m\\..*",
            "image_queue",
            "text_queue",
            "idx_queue",
            "ptr_queue",
            "queue_ptr",
            "patch_position_head\\..*",
            "patch_relation_head\\..*");

    public LoadPolicy {
        ignoreUnexpected = List.copyOf(ignoreUnexpected);
        allowMissing = List.copyOf(allowMissing);
    }

    /** Strict: only {@link #ALWAYS_IGNORED} may be unused. */
    public static LoadPolicy strict() {
        return new LoadPolicy(compile(ALWAYS_IGNORED), List.of());
    }

    /** Also ignores checkpoint keys matching these regexes (e.g. the ITM head when loading a captioner). */
    public LoadPolicy ignoring(String... regexes) {
        List<Pattern> p = new ArrayList<>(ignoreUnexpected);
        p.addAll(compile(List.of(regexes)));
        return new LoadPolicy(p, allowMissing);
    }

    /** Also ignores the momentum encoders and queues of pre-training / retrieval checkpoints. */
    public LoadPolicy ignoringTrainingState() {
        return ignoring(TRAINING_STATE.toArray(new String[0]));
    }

    /** Allows these model tensors (regexes) to stay at their initial values. */
    public LoadPolicy allowingMissing(String... regexes) {
        List<Pattern> p = new ArrayList<>(allowMissing);
        p.addAll(compile(List.of(regexes)));
        return new LoadPolicy(ignoreUnexpected, p);
    }

    boolean ignored(String key) {
        return ignoreUnexpected.stream().anyMatch(p -> p.matcher(key).matches());
    }

    boolean missingAllowed(String key) {
        return allowMissing.stream().anyMatch(p -> p.matcher(key).matches());
    }

    private static List<Pattern> compile(List<String> regexes) {
        return regexes.stream().map(Pattern::compile).toList();
    }
}
