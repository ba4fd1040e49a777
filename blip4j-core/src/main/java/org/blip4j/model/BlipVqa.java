package org.blip4j.model;

import org.blip4j.config.BlipConfig;
import org.blip4j.model.text.BertLMHeadModel;
import org.blip4j.model.text.BertModel;
import org.blip4j.model.text.TextMode;
import org.blip4j.model.vision.VisionTransformer;
import org.blip4j.nn.Block;
import org.bytedeco.pytorch.Tensor;

/**
 * Visual question answering, mirrors {@code models/blip_vqa.py BLIP_VQA} (HF {@code BlipForQuestionAnswering}):
 * {@code visual_encoder}, the image-grounded question encoder {@code text_encoder}, and an answer decoder
 * {@code text_decoder} that cross-attends to the question states (so its cross-attention width is the text width).
 */
public final class BlipVqa extends Block {
  private final BlipConfig config;
  private final VisionTransformer visualEncoder;
  private final BertModel textEncoder;
  private final BertLMHeadModel textDecoder;

  public BlipVqa(BlipConfig c) {
    this.config = c;
    this.visualEncoder = child("visual_encoder", new VisionTransformer(c.vision()));
    this.textEncoder = child("text_encoder", new BertModel(c.text().withEncoderWidth(c.vision().hiddenSize())));
    this.textDecoder = child("text_decoder", new BertLMHeadModel(c.text().withEncoderWidth(c.text().hiddenSize())));
  }

  public BlipConfig config() {
    return config;
  }

  public VisionTransformer visualEncoder() {
    return visualEncoder;
  }

  public BertLMHeadModel textDecoder() {
    return textDecoder;
  }

  public Tensor encodeImage(Tensor pixels) {
    return visualEncoder.forward(pixels);
  }

  /** Question states (B, Lq, D): ids with [ENC] first, cross-attending to the image. */
  public Tensor questionStates(Tensor imageEmbeds, Tensor ids, Tensor mask) {
    return textEncoder.forward(ids, mask, TextMode.MULTIMODAL, imageEmbeds);
  }
}
