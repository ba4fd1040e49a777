package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.blip4j.testutil.Fixture;
import org.junit.jupiter.api.Test;

/** The learning-rate schedules against the reference's values (manifest lr_schedules), 1e-12 relative. */
class ScheduleParityTest {
    static void close(double expected, double actual, String what) {
        assertEquals(expected, actual, Math.abs(expected) * 1e-12 + 1e-300, what);
    }

    @Test
    void schedulesMatchTheReference() {
        try (Fixture fx = Fixture.open()) {
            JsonNode s = fx.manifest().path("lr_schedules");
            int n = 0;
            for (JsonNode c : s.path("cosine")) {
                for (JsonNode p : c.path("points")) {
                    close(
                            p.path("lr").asDouble(),
                            Schedules.cosine(
                                    p.path("epoch").asInt(),
                                    c.path("max_epoch").asInt(),
                                    c.path("init_lr").asDouble(),
                                    c.path("min_lr").asDouble()),
                            c.path("config") + " epoch " + p);
                    n++;
                }
            }
            for (JsonNode c : s.path("warmup")) {
                for (JsonNode p : c.path("points")) {
                    close(
                            p.path("lr").asDouble(),
                            Schedules.warmup(
                                    p.path("step").asLong(),
                                    c.path("max_step").asLong(),
                                    c.path("init_lr(warmup_lr)").asDouble(),
                                    c.path("max_lr(init_lr)").asDouble()),
                            "warmup " + p);
                    n++;
                }
            }
            for (JsonNode c : s.path("step")) {
                for (JsonNode p : c.path("points")) {
                    close(
                            p.path("lr").asDouble(),
                            Schedules.step(
                                    p.path("epoch").asInt(),
                                    c.path("init_lr").asDouble(),
                                    c.path("min_lr").asDouble(),
                                    c.path("decay_rate").asDouble()),
                            "step " + p);
                    n++;
                }
            }
            assertTrue(n > 0, "no schedule points in the manifest");
            System.out.println("PARITY lr schedules: " + n + " points identical within 1e-12 relative");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void alphaRamps() {
        assertEquals(0.0, Schedules.pretrainAlpha(0.4, 0, 0, 100));
        assertEquals(0.2, Schedules.pretrainAlpha(0.4, 0, 100, 100), 1e-15); // half-way: epoch 1 starts at 1/2
        assertEquals(0.4, Schedules.pretrainAlpha(0.4, 2, 0, 100));
        assertEquals(0.1, Schedules.retrievalAlpha(0.4, 0, 25, 100), 1e-15);
        assertEquals(0.4, Schedules.retrievalAlpha(0.4, 1, 0, 100));
    }
}
