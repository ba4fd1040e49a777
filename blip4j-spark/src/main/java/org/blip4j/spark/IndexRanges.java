package org.blip4j.spark;

import org.apache.spark.Partitioner;

/**
 * Partitions items by contiguous ranges of their index (partition p holds indices {@code [p·size, (p+1)·size)}), so
 * that each partition's output is a fixed slice of the input in input order, whatever the cluster.
 */
final class IndexRanges extends Partitioner {
    private static final long serialVersionUID = 1L;

    private final int partitions;
    private final long size;

    private IndexRanges(int partitions, long size) {
        this.partitions = partitions;
        this.size = size;
    }

    /**
     * Ranges for {@code count} items: at most {@code maxSize} items each, and at least {@code minPartitions}
     * partitions (the cluster's parallelism) while there are items enough.
     */
    static IndexRanges of(long count, long maxSize, int minPartitions) {
        long n = Math.max((count + maxSize - 1) / maxSize, Math.min(count, minPartitions));
        n = Math.max(1, n);
        long size = Math.max(1, (count + n - 1) / n);
        return new IndexRanges((int) Math.max(1, (count + size - 1) / size), size);
    }

    @Override
    public int numPartitions() {
        return partitions;
    }

    @Override
    public int getPartition(Object key) {
        return (int) Math.min(partitions - 1, (Long) key / size);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IndexRanges r && r.partitions == partitions && r.size == size;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(size) * 31 + partitions;
    }
}
