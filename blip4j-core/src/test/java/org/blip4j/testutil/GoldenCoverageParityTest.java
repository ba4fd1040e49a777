package org.blip4j.testutil;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every golden of the fixture (and of its {@code nlvr/} sub-fixture when present) is either owned by a test class
 * that compares it — checked by that class itself through {@link GoldenCoverage} — or listed as a replayed input with
 * the reason it cannot be compared. A new golden without a row, a row matching nothing, or an owner that is not a
 * {@link ComparesGoldens} test class fails here.
 */
class GoldenCoverageParityTest {
    @Test
    void everyGoldenIsComparedOrReplayedWithAReason() throws Exception {
        GoldenTable table = GoldenTable.load();
        Set<String> keys = GoldenTable.fixtureKeys();
        Map<String, Class<?>> owners = ownerClasses();
        List<String> problems = new ArrayList<>();
        Map<String, Integer> perOwner = new TreeMap<>();
        for (String k : keys) {
            List<GoldenTable.Row> rows = table.matching(k);
            if (rows.isEmpty()) {
                problems.add(k
                        + ": no row (compare it in a parity test and add a row, or list it as replayed with a reason)");
            } else if (rows.size() > 1) {
                problems.add(k + ": several rows, lines "
                        + rows.stream().map(GoldenTable.Row::line).toList());
            } else {
                perOwner.merge(rows.get(0).owner(), 1, Integer::sum);
            }
        }
        for (GoldenTable.Row r : table.rows()) {
            boolean present = r.sub().isEmpty() || Fixture.hasSub(r.sub());
            if (present && keys.stream().noneMatch(r::matches)) {
                problems.add("line " + r.line() + " " + r.glob() + ": matches no golden of the fixture (stale row)");
            }
            if (r.owner().equals(GoldenTable.REPLAYED)) {
                if (r.note().isBlank()) {
                    problems.add("line " + r.line() + " " + r.glob() + ": replayed without a reason");
                }
            } else if (!owners.containsKey(r.owner())) {
                problems.add("line " + r.line() + " " + r.glob() + ": owner " + r.owner()
                        + " is not a test class annotated @ComparesGoldens");
            }
        }
        perOwner.forEach((o, n) -> System.out.printf("GOLDENS %-34s %4d%n", o, n));
        System.out.printf(
                "GOLDENS %d goldens, %d rows%n", keys.size(), table.rows().size());
        if (!problems.isEmpty()) {
            fail(GoldenTable.RESOURCE + ":\n  " + String.join("\n  ", problems));
        }
    }

    @Test
    void globsMatchWholeKeys() {
        GoldenTable t = GoldenTable.parse("# comment\ntrain.decoder.grad.* A note\ndecoder.logits B\n");
        assertEquals(2, t.rows().size());
        assertTrue(t.rows().get(0).matches("train.decoder.grad.visual_encoder.pos_embed"));
        assertTrue(!t.rows().get(0).matches("train.decoder.gradx"));
        assertTrue(t.rows().get(1).matches("decoder.logits"));
        assertTrue(!t.rows().get(1).matches("decoder.logits2"));
        assertEquals(Set.of("decoder.logits"), t.claimedBy("B", Set.of("decoder.logits", "decoder.loss_check")));
    }

    /** Test classes annotated {@link ComparesGoldens}, by simple name, from this module's compiled test classes. */
    static Map<String, Class<?>> ownerClasses() throws Exception {
        Path root = Path.of(GoldenCoverageParityTest.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        Map<String, Class<?>> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : s.filter(p ->
                            p.toString().endsWith(".class") && !p.toString().contains("$"))
                    .toList()) {
                String rel = root.relativize(f).toString().replace('\\', '/');
                Class<?> c = Class.forName(
                        rel.substring(0, rel.length() - 6).replace('/', '.'),
                        false,
                        GoldenCoverageParityTest.class.getClassLoader());
                if (c.isAnnotationPresent(ComparesGoldens.class)) {
                    Class<?> prev = out.put(c.getSimpleName(), c);
                    if (prev != null) {
                        fail("two @ComparesGoldens classes named " + c.getSimpleName() + ": " + prev + ", " + c);
                    }
                }
            }
        }
        return out;
    }
}
