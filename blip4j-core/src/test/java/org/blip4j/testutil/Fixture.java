package org.blip4j.testutil;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import org.blip4j.engine.T;
import org.blip4j.io.RawTensor;
import org.blip4j.io.SafeTensors;
import org.blip4j.nn.Block;
import org.blip4j.weights.Checkpoints;
import org.blip4j.weights.LoadPolicy;
import org.blip4j.weights.WeightLoader;
import org.bytedeco.pytorch.Tensor;

/**
 * A reference fixture directory (system property {@code blip4j.fixture}, default {@code ../shared/fixtures/blip-tiny})
 * or one of its sub-fixtures ({@code nlvr/}): goldens, manifest and configs. Missing files fail the test; nothing is
 * skipped. Every comparison goes through the {@code assert*} methods here, which record the golden compared for
 * {@link GoldenCoverage}.
 */
public final class Fixture implements AutoCloseable {
    /** The sub-fixture folder of the NLVR2 goldens. */
    public static final String NLVR = "nlvr";

    private final Path dir;
    private final String prefix;
    private final SafeTensors goldens;
    private final JsonNode manifest;

    private Fixture(Path dir, String prefix) throws IOException {
        this.dir = dir;
        this.prefix = prefix;
        this.goldens = SafeTensors.open(require("goldens.safetensors"));
        this.manifest = new ObjectMapper().readTree(require("manifest.json").toFile());
    }

    public static Fixture open() {
        try {
            return new Fixture(locate(), "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A sub-fixture ({@link #NLVR}) of the fixture directory; fails if it is absent (see {@link #hasSub}). */
    public static Fixture openSub(String name) {
        Path d = locate().resolve(name);
        if (!Files.isDirectory(d)) {
            fail("fixture sub-directory missing: " + d);
        }
        try {
            return new Fixture(d, name + "/");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static boolean hasSub(String name) {
        return Files.isDirectory(locate().resolve(name));
    }

    /** The fixture directory from {@code blip4j.fixture}; fails the test if it does not exist. */
    public static Path locate() {
        String p = System.getProperty("blip4j.fixture", "../shared/fixtures/blip-tiny");
        Path dir = Paths.get(p).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            // surefire runs in the module folder; the default is relative to the repository root
            Path alt = Paths.get("..").resolve(p).toAbsolutePath().normalize();
            if (Files.isDirectory(alt)) {
                dir = alt;
            } else {
                fail("fixture directory not found: " + dir + " (set -Dblip4j.fixture=DIR)");
            }
        }
        return dir;
    }

    public Path dir() {
        return dir;
    }

    /** Every golden tensor name of this fixture's goldens.safetensors. */
    public java.util.Set<String> goldenNames() {
        return goldens.entries().keySet();
    }

    /** The manifest's description of a golden ({@code tensors.<name>}: an object with {@code desc}, or a string). */
    public String description(String golden) {
        JsonNode t = manifest.path("tensors").path(golden);
        return t.isTextual() ? t.asText() : t.path("desc").asText();
    }

    /** A fixture file that must exist. */
    public Path require(String name) {
        Path f = dir.resolve(name);
        if (!Files.isRegularFile(f)) {
            fail("fixture file missing: " + f);
        }
        return f;
    }

    public JsonNode manifest() {
        return manifest;
    }

    public RawTensor golden(String name) {
        if (!goldens.contains(name)) {
            fail("golden tensor missing from " + goldens.file() + ": " + name);
        }
        try {
            return goldens.get(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Tensor tensor(String name) {
        return T.fromRaw(golden(name));
    }

    /** Max |actual - expected|, asserting shapes equal and the difference within tol; prints the figure. */
    public double assertClose(String name, Tensor actual, double tol) {
        return assertClose(name, name, actual, tol);
    }

    public double assertClose(String label, String golden, Tensor actual, double tol) {
        RawTensor exp = golden(golden);
        assertArrayEquals(exp.shape(), T.shape(actual), label + ": shape");
        return assertClose(label, golden, T.toFloats(actual), tol);
    }

    /**
     * Max |actual - expected| over a flat array in the golden's order (its element count must match); equal infinities
     * (e.g. -inf for removed tokens) count as equal, a NaN or an infinity on one side only fails.
     */
    public double assertClose(String label, String golden, float[] a, double tol) {
        RawTensor exp = golden(golden);
        float[] e = exp.toFloats();
        assertTrue(e.length == a.length, label + ": " + a.length + " values for " + e.length + " in " + golden);
        double max = 0;
        for (int i = 0; i < e.length; i++) {
            if (e[i] == a[i]) {
                continue;
            }
            if (!Float.isFinite(e[i]) || !Float.isFinite(a[i])) {
                fail(label + ": at " + i + " expected " + e[i] + ", got " + a[i]);
            }
            max = Math.max(max, Math.abs((double) e[i] - a[i]));
        }
        GoldenCoverage.compared(prefix + golden);
        System.out.printf("PARITY %-58s max|diff| = %.3e (tol %.0e)%n", label, max, tol);
        assertTrue(max <= tol, label + ": max abs diff " + max + " > " + tol);
        return max;
    }

    /** Asserts integer tensors equal exactly. */
    public void assertIds(String label, String golden, long[] actual) {
        long[] e = golden(golden).toLongs();
        GoldenCoverage.compared(prefix + golden);
        assertArrayEquals(
                e, actual, label + ": ids differ: expected " + Arrays.toString(e) + " got " + Arrays.toString(actual));
        System.out.printf("PARITY %-58s ids identical%n", label);
    }

    /** Asserts an integer golden equals rows of ids (a batch), exactly, including its shape. */
    public void assertIds(String label, String golden, long[][] rows) {
        long[] shape = golden(golden).shape();
        assertTrue(
                shape.length == 2 && shape[0] == rows.length,
                label + ": " + rows.length + " rows for shape " + Arrays.toString(shape));
        for (long[] r : rows) {
            assertTrue(r.length == shape[1], label + ": row of " + r.length + " for shape " + Arrays.toString(shape));
        }
        assertIds(
                label, golden, Arrays.stream(rows).flatMapToLong(Arrays::stream).toArray());
    }

    /**
     * Loads the fixture's {@code stem.pth} ({@code format} "pth", BLIP's names) or {@code stem.hf.safetensors} ("hf",
     * Hugging Face names) into a model, strictly apart from training state (momentum encoders, queues) and temp.
     */
    public <B extends Block> B load(B model, String stem, String format) throws IOException {
        String file = switch (format) {
            case "pth" -> stem + ".pth";
            case "hf" -> stem + ".hf.safetensors";
            default -> throw new IllegalArgumentException("format pth or hf, got " + format);
        };
        WeightLoader.load(
                model,
                Checkpoints.read(require(file)),
                LoadPolicy.strict().ignoringTrainingState().ignoring("temp"),
                file);
        return model;
    }

    @Override
    public void close() throws IOException {
        goldens.close();
    }
}
