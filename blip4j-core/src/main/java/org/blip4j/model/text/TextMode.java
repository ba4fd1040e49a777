package org.blip4j.model.text;

/** The three ways BLIP runs its one text transformer (paper §3.1). */
public enum TextMode {
    /** Unimodal text encoder: [CLS] first, bidirectional self-attention only (reference {@code mode='text'}). */
    UNIMODAL,
    /** Image-grounded text encoder: [ENC] first, cross-attention to image states (reference {@code mode='multimodal'}). */
    MULTIMODAL,
    /** Image-grounded text decoder: [DEC] first, causal self-attention plus cross-attention. */
    DECODER
}
