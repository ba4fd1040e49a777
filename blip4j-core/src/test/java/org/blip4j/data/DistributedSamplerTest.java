package org.blip4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The shard rule of torch's DistributedSampler (drop_last=False), as BLIP's create_sampler uses it. */
class DistributedSamplerTest {
    @Test
    void unshuffledShardsFollowTorchsPaddingAndStride() {
        // torch: total_size = 12, indices = [0..9] + [0, 1] (padding repeats the start), rank r takes indices[r::3]
        assertArrayEquals(new int[] {0, 3, 6, 9}, new DistributedSampler(3, 0, false, 5).indices(10, 0));
        assertArrayEquals(new int[] {1, 4, 7, 0}, new DistributedSampler(3, 1, false, 5).indices(10, 0));
        assertArrayEquals(new int[] {2, 5, 8, 1}, new DistributedSampler(3, 2, false, 5).indices(10, 0));
        // fewer samples than ranks: padding_size 3 > len 2, so torch repeats the list: [0, 1] + [0, 1, 0]
        int[] got = new int[5];
        for (int r = 0; r < 5; r++) {
            int[] one = new DistributedSampler(5, r, false, 0).indices(2, 0);
            assertEquals(1, one.length);
            got[r] = one[0];
        }
        assertArrayEquals(new int[] {0, 1, 0, 1, 0}, got);
        assertEquals(4, new DistributedSampler(3, 0, true, 0).numSamples(10));
        assertEquals(0, new DistributedSampler(2, 1, true, 0).indices(0, 0).length);
    }

    @Test
    void shuffledShardsSplitOneEpochOrderThatChangesPerEpoch() {
        int n = 23;
        int world = 4;
        for (int epoch = 0; epoch < 3; epoch++) {
            int[] order = Seeds.order(n, true, 11, epoch);
            int[] padded = new int[24]; // ceil(23 / 4) = 6 per rank
            for (int i = 0; i < padded.length; i++) {
                padded[i] = order[i % n];
            }
            for (int r = 0; r < world; r++) {
                int[] mine = new DistributedSampler(world, r, true, 11).indices(n, epoch);
                assertEquals(6, mine.length);
                for (int i = 0; i < mine.length; i++) {
                    assertEquals(padded[i * world + r], mine[i], "epoch " + epoch + " rank " + r + " position " + i);
                }
            }
            // one replica is the single-process order
            assertArrayEquals(order, new DistributedSampler(1, 0, true, 11).indices(n, epoch));
        }
        assertNotEquals(
                Arrays.toString(new DistributedSampler(4, 0, true, 11).indices(n, 0)),
                Arrays.toString(new DistributedSampler(4, 0, true, 11).indices(n, 1)));
        assertThrows(IllegalArgumentException.class, () -> new DistributedSampler(2, 2, true, 0));
    }

    /** A dataset of n integers (the sample is its index), for checking which indices a loader visits. */
    private static Dataset<Integer> ints(int n) {
        return new Dataset<>() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public Integer load(int index, SplittableRandom rng) {
                return index;
            }

            @Override
            public String source(int index) {
                return "#" + index;
            }
        };
    }

    @Test
    void aShardedLoaderBatchesItsShardAndTheShardsMakeUpTheGlobalBatches() {
        int n = 20;
        DataLoader<List<Integer>> global = DataLoader.builder(ints(n), (List<Integer> l) -> l)
                .batchSize(4)
                .shuffle(true)
                .dropLast(true)
                .seed(3)
                .workers(0)
                .build();
        List<List<Integer>> g = new ArrayList<>();
        global.epoch(1).forEachRemaining(g::add);
        List<List<List<Integer>>> ranks = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            DataLoader<List<Integer>> l = global.sharded(r, 2);
            assertEquals(2, l.batchesPerEpoch()); // 10 samples per rank in batches of 4, the last dropped
            List<List<Integer>> batches = new ArrayList<>();
            DataLoader<List<Integer>> local = DataLoader.builder(ints(n), (List<Integer> x) -> x)
                    .batchSize(2)
                    .shuffle(true)
                    .dropLast(true)
                    .seed(3)
                    .workers(0)
                    .shard(r, 2)
                    .build();
            assertEquals(5, local.batchesPerEpoch());
            local.epoch(1).forEachRemaining(batches::add);
            ranks.add(batches);
            assertArrayEquals(new DistributedSampler(2, r, true, 3).indices(n, 1), l.order(1));
        }
        // step s of 2 ranks × batch 2 covers exactly the samples of step s of 1 process × batch 4: rank r has the
        // global batch's rows r, r + 2 (torch's stride)
        assertEquals(g.size(), ranks.get(0).size());
        for (int s = 0; s < g.size(); s++) {
            assertEquals(List.of(g.get(s).get(0), g.get(s).get(2)), ranks.get(0).get(s));
            assertEquals(List.of(g.get(s).get(1), g.get(s).get(3)), ranks.get(1).get(s));
        }
        assertEquals(global, global.sharded(0, 1));
    }
}
