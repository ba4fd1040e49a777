package org.blip4j.testutil;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.blip4j.io.SafeTensors;

/**
 * The golden coverage table ({@code src/test/resources/golden-coverage.txt}): for every golden of the fixture, the
 * test class that compares it, or {@code replayed} with the reason it can only be fed in. Each line is
 * {@code key-glob owner [note]}; {@code *} in a glob matches any characters; keys of a sub-fixture are written
 * {@code nlvr/<key>}.
 */
public record GoldenTable(List<Row> rows) {
    public static final String RESOURCE = "/golden-coverage.txt";
    public static final String REPLAYED = "replayed";

    /** One line of the table. */
    public record Row(int line, String glob, String owner, String note, Pattern pattern) {
        public boolean matches(String key) {
            return pattern.matcher(key).matches();
        }

        /** The sub-fixture the row's keys live in ("" for the fixture's own goldens). */
        public String sub() {
            int slash = glob.indexOf('/');
            return slash < 0 ? "" : glob.substring(0, slash);
        }
    }

    private static GoldenTable cached;
    private static Set<String> cachedKeys;

    public static synchronized GoldenTable load() {
        if (cached == null) {
            try (InputStream in = GoldenTable.class.getResourceAsStream(RESOURCE)) {
                assertNotNull(in, "test resource " + RESOURCE + " missing");
                cached = parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return cached;
    }

    static GoldenTable parse(String text) {
        List<Row> rows = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] f = l.split("\\s+", 3);
            if (f.length < 2) {
                fail(RESOURCE + " line " + (i + 1) + ": need 'key-glob owner [note]': " + l);
            }
            rows.add(new Row(i + 1, f[0], f[1], f.length > 2 ? f[2] : "", glob(f[0])));
        }
        return new GoldenTable(List.copyOf(rows));
    }

    static Pattern glob(String g) {
        String[] parts = g.split("\\*", -1);
        StringBuilder r = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            r.append(i > 0 ? ".*" : "").append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(r.toString());
    }

    public List<Row> matching(String key) {
        return rows.stream().filter(r -> r.matches(key)).toList();
    }

    /** The fixture keys a test class (simple name) owns. */
    public Set<String> claimedBy(String owner, Set<String> keys) {
        Set<String> out = new TreeSet<>();
        for (String k : keys) {
            if (matching(k).stream().anyMatch(r -> r.owner().equals(owner))) {
                out.add(k);
            }
        }
        return out;
    }

    /** Every golden key of the fixture and its sub-fixtures ({@code nlvr/<key>}), read from the safetensors headers. */
    public static synchronized Set<String> fixtureKeys() {
        if (cachedKeys == null) {
            Set<String> keys = new TreeSet<>();
            Path dir = Fixture.locate();
            read(dir.resolve("goldens.safetensors"), "", keys);
            if (Fixture.hasSub(Fixture.NLVR)) {
                read(dir.resolve(Fixture.NLVR).resolve("goldens.safetensors"), Fixture.NLVR + "/", keys);
            }
            cachedKeys = keys;
        }
        return cachedKeys;
    }

    private static void read(Path file, String prefix, Set<String> keys) {
        try (SafeTensors st = SafeTensors.open(file)) {
            st.entries().keySet().forEach(k -> keys.add(prefix + k));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
