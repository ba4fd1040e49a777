/**
 * BLIP's training and evaluation data (mirrors the reference's {@code data/*.py} and {@code transform/randaugment.py}):
 * annotation readers, per-task datasets, the seeded train transform, and a parallel, deterministic batch loader.
 * No model code lives here.
 */
package org.blip4j.data;
