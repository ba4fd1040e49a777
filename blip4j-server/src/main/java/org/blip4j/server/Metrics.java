package org.blip4j.server;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import org.bytedeco.javacpp.Pointer;

/**
 * The server's Prometheus metrics (client_java's registry and text format): requests by endpoint and status, request
 * latency, batch sizes and compute time per lane, queue depth, refusals (queue full, deadline), in-flight requests,
 * readiness and memory (resident set, JavaCPP native bytes, JVM heap).
 */
final class Metrics {
    static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Map<String, IntSupplier> depths = new ConcurrentHashMap<>();
    private final Counter requests = Counter.builder()
            .name("blip4j_requests_total")
            .help("HTTP requests answered, by endpoint and status code")
            .labelNames("endpoint", "status")
            .register(registry);
    private final Histogram latency = Histogram.builder()
            .name("blip4j_request_duration_seconds")
            .help("Time from arrival to answer, by endpoint")
            .labelNames("endpoint")
            .classicOnly()
            .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
            .register(registry);
    private final Histogram batchSize = Histogram.builder()
            .name("blip4j_batch_size")
            .help("Requests per computed batch, by model and task")
            .labelNames("model", "task")
            .classicOnly()
            .classicUpperBounds(1, 2, 4, 8, 16, 32, 64)
            .register(registry);
    private final Histogram batchSeconds = Histogram.builder()
            .name("blip4j_batch_duration_seconds")
            .help("Compute time of a batch, by model and task")
            .labelNames("model", "task")
            .classicOnly()
            .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
            .register(registry);
    private final Counter rejected = Counter.builder()
            .name("blip4j_queue_rejections_total")
            .help("Requests refused with 503 because the queue was full")
            .labelNames("model", "task")
            .register(registry);
    private final Counter expired = Counter.builder()
            .name("blip4j_deadline_exceeded_total")
            .help("Requests whose deadline passed before they were computed")
            .labelNames("model", "task")
            .register(registry);
    private final Gauge inflight = Gauge.builder()
            .name("blip4j_inflight_requests")
            .help("API requests being served")
            .register(registry);
    private final Gauge ready = Gauge.builder()
            .name("blip4j_ready")
            .help("1 when models are loaded and serving")
            .register(registry);

    Metrics() {
        GaugeWithCallback.builder()
                .name("blip4j_queue_depth")
                .help("Requests waiting, by model and task")
                .labelNames("model", "task")
                .callback(cb -> depths.forEach((k, d) -> {
                    String[] mt = k.split("\u0000", 2);
                    cb.call(d.getAsInt(), mt[0], mt[1]);
                }))
                .register(registry);
        GaugeWithCallback.builder()
                .name("blip4j_memory_bytes")
                .help("Memory: rss = resident set of the process, native = JavaCPP-tracked native bytes "
                        + "(tensors), heap = JVM heap in use")
                .labelNames("kind")
                .callback(cb -> {
                    cb.call(Pointer.physicalBytes(), "rss");
                    cb.call(Pointer.totalBytes(), "native");
                    Runtime rt = Runtime.getRuntime();
                    cb.call(rt.totalMemory() - rt.freeMemory(), "heap");
                })
                .register(registry);
    }

    /** The listener of one lane; {@code depth} is read at each scrape. */
    Lane.Listener lane(String model, String task, IntSupplier depth) {
        depths.put(model + "\u0000" + task, depth);
        rejected.labelValues(model, task); // exposed as 0 from the start, so that rates work
        expired.labelValues(model, task);
        return new Lane.Listener() {
            @Override
            public void batch(int size, double seconds) {
                batchSize.labelValues(model, task).observe(size);
                batchSeconds.labelValues(model, task).observe(seconds);
            }

            @Override
            public void rejected() {
                rejected.labelValues(model, task).inc();
            }

            @Override
            public void expired() {
                expired.labelValues(model, task).inc();
            }
        };
    }

    void request(String endpoint, int status, double seconds) {
        requests.labelValues(endpoint, Integer.toString(status)).inc();
        latency.labelValues(endpoint).observe(seconds);
    }

    void inflight(int delta) {
        inflight.inc(delta);
    }

    void ready(boolean r) {
        ready.set(r ? 1 : 0);
    }

    /** The Prometheus text exposition (format 0.0.4). */
    byte[] scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toByteArray();
    }

    static List<String> names() {
        return List.of(
                "blip4j_requests_total",
                "blip4j_request_duration_seconds",
                "blip4j_batch_size",
                "blip4j_batch_duration_seconds",
                "blip4j_queue_depth",
                "blip4j_queue_rejections_total",
                "blip4j_deadline_exceeded_total",
                "blip4j_inflight_requests",
                "blip4j_ready",
                "blip4j_memory_bytes");
    }
}
