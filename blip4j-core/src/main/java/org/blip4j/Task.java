package org.blip4j;

import java.util.Set;

/** What a checkpoint was trained for, inferred from its weight names (each maps to one reference model class). */
public enum Task {
    /** {@code BLIP_Decoder} / BlipForConditionalGeneration: captioning. */
    CAPTION,
    /** {@code BLIP_ITM} / {@code BLIP_Retrieval} / BlipForImageTextRetrieval: matching, features, search. */
    ITM,
    /** {@code BLIP_VQA} / BlipForQuestionAnswering. */
    VQA,
    /** {@code BLIP_NLVR}: two images and a statement. */
    NLVR,
    /** {@code BLIP_Pretrain}: encoder and decoder; serves captioning and matching. */
    PRETRAIN;

    /** Infers the task from canonical (original) weight names. */
    public static Task infer(Set<String> keys) {
        boolean decoder = keys.stream().anyMatch(k -> k.startsWith("text_decoder."));
        boolean encoder = keys.stream().anyMatch(k -> k.startsWith("text_encoder."));
        boolean itm = keys.contains("itm_head.weight");
        if (keys.stream().anyMatch(k -> k.startsWith("cls_head."))) {
            return NLVR;
        }
        if (decoder && encoder && itm) {
            return PRETRAIN;
        }
        if (decoder && encoder) {
            return VQA;
        }
        if (decoder) {
            return CAPTION;
        }
        if (encoder && itm) {
            return ITM;
        }
        throw new IllegalArgumentException(
                "cannot tell which BLIP model these weights belong to (no text_decoder, text_encoder + itm_head or cls_head)");
    }
}
