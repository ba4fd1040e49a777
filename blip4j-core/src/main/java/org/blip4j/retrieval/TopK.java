package org.blip4j.retrieval;

/**
 * A bounded selection of the k best (score, row) pairs: a primitive min-heap whose root is the worst kept entry.
 *
 * <p>Order: higher score first; equal scores by lower row, so results are deterministic however rows were split
 * across threads.
 */
final class TopK {
    private final int k;
    private final float[] scores;
    private final int[] rows;
    private int size;

    TopK(int k) {
        this.k = k;
        this.scores = new float[k];
        this.rows = new int[k];
    }

    /** True when (s1, r1) ranks before (s2, r2). */
    static boolean better(float s1, int r1, float s2, int r2) {
        return s1 > s2 || (s1 == s2 && r1 < r2);
    }

    /** The score a new row must beat to enter (-infinity until k rows are held). */
    float threshold() {
        return size < k ? Float.NEGATIVE_INFINITY : scores[0];
    }

    void offer(float score, int row) {
        if (k == 0) {
            return;
        }
        if (size < k) {
            int i = size++;
            scores[i] = score;
            rows[i] = row;
            siftUp(i);
        } else if (better(score, row, scores[0], rows[0])) {
            scores[0] = score;
            rows[0] = row;
            siftDown(0);
        }
    }

    void addAll(TopK other) {
        for (int i = 0; i < other.size; i++) {
            offer(other.scores[i], other.rows[i]);
        }
    }

    int size() {
        return size;
    }

    /** The kept entries, best first, as parallel arrays {rows, scores}; empties the heap. */
    Sorted drain() {
        int n = size;
        int[] r = new int[n];
        float[] s = new float[n];
        for (int i = n - 1; i >= 0; i--) { // pop worst first
            r[i] = rows[0];
            s[i] = scores[0];
            size--;
            if (size > 0) {
                scores[0] = scores[size];
                rows[0] = rows[size];
                siftDown(0);
            }
        }
        return new Sorted(r, s);
    }

    record Sorted(int[] rows, float[] scores) {}

    private void siftUp(int i) {
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (better(
                    scores[p], rows[p], scores[i], rows[i])) { // parent better than child: child is worse, move it up
                swap(i, p);
                i = p;
            } else {
                return;
            }
        }
    }

    private void siftDown(int i) {
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) {
                return;
            }
            int worst = l;
            int r = l + 1;
            if (r < size && better(scores[l], rows[l], scores[r], rows[r])) {
                worst = r;
            }
            if (better(scores[i], rows[i], scores[worst], rows[worst])) {
                swap(i, worst);
                i = worst;
            } else {
                return;
            }
        }
    }

    private void swap(int a, int b) {
        float s = scores[a];
        scores[a] = scores[b];
        scores[b] = s;
        int r = rows[a];
        rows[a] = rows[b];
        rows[b] = r;
    }
}
