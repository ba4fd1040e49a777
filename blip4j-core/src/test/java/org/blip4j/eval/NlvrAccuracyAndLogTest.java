package org.blip4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NLVR2 accuracy and the JSON Lines metric log. */
class NlvrAccuracyAndLogTest {
    @Test
    void nlvrAccuracy() {
        // predictions 1,0,1,1 vs labels 1,1,1,0: positions 0 and 2 agree -> 2/4
        assertEquals(0.5, NlvrAccuracy.accuracy(new int[] {1, 0, 1, 1}, new int[] {1, 1, 1, 0}), 0.0);
        // logits: [0.2, 0.9] -> 1, [1.0, -1.0] -> 0, [0.5, 0.5] -> 0 (tie); labels 1, 0, 1 -> 2/3
        assertEquals(
                2.0 / 3,
                NlvrAccuracy.accuracy(new float[][] {{0.2f, 0.9f}, {1f, -1f}, {0.5f, 0.5f}}, new int[] {1, 0, 1}),
                1e-12);
    }

    @Test
    void metricsLogAppendsJsonLines(@TempDir Path dir) throws Exception {
        MetricsLog log = new MetricsLog(dir.resolve("out/log.txt"));
        Map<String, Object> first = new LinkedHashMap<>();
        first.put("epoch", 0);
        first.putAll(MetricsLog.prefixed("val_", Map.of("txt_r1", 81.9)));
        log.append(first);
        log.append(Map.of("epoch", 1));
        List<String> lines = Files.readAllLines(log.path());
        assertEquals(2, lines.size());
        assertEquals("{\"epoch\":0,\"val_txt_r1\":81.9}", lines.get(0));
        assertEquals(1, new ObjectMapper().readTree(lines.get(1)).get("epoch").asInt());
    }
}
