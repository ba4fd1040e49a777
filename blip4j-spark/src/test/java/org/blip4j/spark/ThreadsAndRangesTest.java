package org.blip4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The thread plan per task and the index-range partitioning, without Spark. */
class ThreadsAndRangesTest {
    @Test
    void threadsPerTaskNeverOversubscribeTheExecutorsCores() {
        assertEquals(1, Threads.perTask("local[2]", null, 1, 16), "2 slots on 2 cores");
        assertEquals(1, Threads.perTask("local[2,4]", null, 1, 16));
        assertEquals(1, Threads.perTask("local[*]", null, 1, 16), "16 slots on 16 cores");
        assertEquals(4, Threads.perTask("local[*]", null, 4, 16), "task.cpus 4: 4 slots of 4 threads");
        assertEquals(1, Threads.perTask("local", null, 1, 16));
        assertEquals(8, Threads.perTask("yarn", 8, 8, 64), "one task per 8-core executor");
        assertEquals(2, Threads.perTask("spark://m:7077", 8, 2, 64));
        assertEquals(3, Threads.perTask("k8s://x", 7, 3, 64), "7 cores, 2 slots: 3 threads each");
        assertEquals(1, Threads.perTask("yarn", 4, 1, 64));
        assertEquals(1, Threads.perTask("yarn", null, 1, 2), "executor cores unknown: the JVM's");
    }

    @Test
    void indexRangesAreContiguousBalancedAndCoverEveryItem() {
        IndexRanges r = IndexRanges.of(18, 4, 2);
        assertEquals(5, r.numPartitions());
        assertEquals(0, r.getPartition(3L));
        assertEquals(1, r.getPartition(4L));
        assertEquals(4, r.getPartition(17L));
        IndexRanges few = IndexRanges.of(18, 1000, 2); // small table: still one partition per slot
        assertEquals(2, few.numPartitions());
        assertEquals(0, few.getPartition(8L));
        assertEquals(1, few.getPartition(9L));
        assertEquals(1, IndexRanges.of(0, 1000, 4).numPartitions());
        assertEquals(3, IndexRanges.of(3, 1000, 8).numPartitions(), "never more partitions than items");
        IndexRanges big = IndexRanges.of(10_001, 1000, 2);
        assertEquals(11, big.numPartitions());
        assertEquals(10, big.getPartition(10_000L));
    }
}
