package org.blip4j.engine;

import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.bytedeco.pytorch.Tensor;

/**
 * Inference variants of weight tensors (an int8 or bf16 copy), looked up by tensor identity on every {@link T#linear}
 * call. A weight registered several times (layers that share it, or two models) gets one variant, freed when its last
 * registration goes. Copy-on-write: lookups read without locking.
 */
final class WeightRegistry<V> {
    private final Object lock = new Object();
    private volatile Map<Tensor, Entry<V>> entries = new IdentityHashMap<>();

    private static final class Entry<V> {
        final V value;
        int users;

        Entry(V value) {
            this.value = value;
        }
    }

    /**
     * Registers each weight once more, making its variant with {@code make} on first registration; returns those
     * made.
     */
    java.util.List<V> register(Collection<Tensor> weights, Function<Tensor, V> make) {
        synchronized (lock) {
            Map<Tensor, Entry<V>> next = new IdentityHashMap<>(entries);
            java.util.List<V> made = new java.util.ArrayList<>();
            for (Tensor w : weights) {
                Entry<V> e = next.get(w);
                if (e == null) {
                    e = new Entry<>(make.apply(w));
                    next.put(w, e);
                    made.add(e.value);
                }
                e.users++;
            }
            entries = next;
            return made;
        }
    }

    /** Undoes one registration of each weight; a variant whose last registration goes is passed to {@code free}. */
    void unregister(Collection<Tensor> weights, Consumer<V> free) {
        synchronized (lock) {
            Map<Tensor, Entry<V>> next = new IdentityHashMap<>(entries);
            for (Tensor w : weights) {
                Entry<V> e = next.get(w);
                if (e != null && --e.users == 0) {
                    next.remove(w);
                    free.accept(e.value);
                }
            }
            entries = next;
        }
    }

    /** The variant of {@code w}, or null. */
    V get(Tensor w) {
        Map<Tensor, Entry<V>> m = entries;
        if (m.isEmpty()) {
            return null;
        }
        Entry<V> e = m.get(w);
        return e == null ? null : e.value;
    }
}
