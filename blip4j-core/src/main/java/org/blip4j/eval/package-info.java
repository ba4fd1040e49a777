/**
 * BLIP's evaluation metrics in pure Java: COCO caption metrics as pycocoevalcap computes them ({@link
 * org.blip4j.eval.CaptionEvaluator}: PTB tokenisation, BLEU-1..4, ROUGE-L, CIDEr-D; METEOR and SPICE not
 * implemented), retrieval recall@K ({@link org.blip4j.eval.RetrievalMetrics}), VQA accuracy ({@link
 * org.blip4j.eval.VqaAccuracy}) and NLVR2 accuracy; hand-written because no JVM library implements the COCO caption
 * metrics or these reference scripts' exact conventions.
 */
package org.blip4j.eval;
