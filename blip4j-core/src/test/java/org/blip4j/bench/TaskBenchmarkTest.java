package org.blip4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.blip4j.config.BlipConfig;
import org.blip4j.config.TextConfig;
import org.junit.jupiter.api.Test;

/** The arithmetic behind bin/bench-tasks' bounds (the timings themselves are benchmarks, not tests). */
class TaskBenchmarkTest {
    @Test
    void decodeStepReadsEveryPerStepWeightOnce() {
        TextConfig t = BlipConfig.base(384).text(); // BERT-base: 12 layers, 768 wide, 3072 feed-forward, 30524 words
        // per layer: self q k v o + cross q o (6 · 768²) and the feed-forward pair (2 · 768 · 3072);
        // then the LM head's transform (768²) and its vocabulary projection (768 · 30524)
        double weights = 12 * (6 * 768.0 * 768 + 2 * 768.0 * 3072) + 768.0 * 768 + 768.0 * 30524;
        assertEquals(4 * weights, TaskBenchmark.decodeStepWeightBytes(t, 4), 1e-6);
        assertEquals(492_490_752.0, TaskBenchmark.decodeStepWeightBytes(t, 4), 1e-6);
        assertEquals(weights, TaskBenchmark.decodeStepWeightBytes(t, 1), 1e-6);
    }
}
