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
import org.bytedeco.pytorch.Tensor;

/**
 * A reference fixture directory (system property {@code blip4j.fixture}, default {@code ../shared/fixtures/blip-tiny}):
 * goldens, manifest and configs. Missing files fail the test; nothing is skipped.
 */
public final class Fixture implements AutoCloseable {
  private final Path dir;
  private final SafeTensors goldens;
  private final JsonNode manifest;

  private Fixture(Path dir) throws IOException {
    this.dir = dir;
    this.goldens = SafeTensors.open(require("goldens.safetensors"));
    this.manifest = new ObjectMapper().readTree(require("manifest.json").toFile());
  }

  public static Fixture open() {
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
    try {
      return new Fixture(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path dir() {
    return dir;
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

  public boolean has(String golden) {
    return goldens.contains(golden);
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
    float[] e = exp.toFloats();
    float[] a = T.toFloats(actual);
    double max = 0;
    for (int i = 0; i < e.length; i++) {
      max = Math.max(max, Math.abs((double) e[i] - a[i]));
      if (Double.isNaN(a[i]) != Double.isNaN(e[i])) {
        fail(label + ": NaN at " + i);
      }
    }
    System.out.printf("PARITY %-58s max|diff| = %.3e (tol %.0e)%n", label, max, tol);
    assertTrue(max <= tol, label + ": max abs diff " + max + " > " + tol);
    return max;
  }

  /** Asserts integer tensors equal exactly. */
  public void assertIds(String label, String golden, long[] actual) {
    long[] e = golden(golden).toLongs();
    assertArrayEquals(e, actual, label + ": ids differ: expected " + Arrays.toString(e) + " got "
        + Arrays.toString(actual));
    System.out.printf("PARITY %-58s ids identical%n", label);
  }

  @Override
  public void close() throws IOException {
    goldens.close();
  }
}
