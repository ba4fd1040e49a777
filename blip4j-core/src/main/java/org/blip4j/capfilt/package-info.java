/**
 * CapFilt, BLIP's dataset bootstrapping (paper §3.3): a captioner writes synthetic captions for web images, an
 * image-text matching filter drops the web and synthetic texts it judges unmatched, and the survivors plus the human
 * annotations form a new pre-training list. {@link org.blip4j.capfilt.CapFilt} streams the web pairs in bounded
 * batches, checkpoints after every shard and resumes after a kill with byte-identical output.
 */
package org.blip4j.capfilt;
