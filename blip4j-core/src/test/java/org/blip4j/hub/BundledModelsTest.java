package org.blip4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Embedded models resolve from a build tree in place and from a jar by extraction into the cache (once). */
class BundledModelsTest {
    @TempDir
    Path tmp;

    @Test
    void theShapesModelIsOnTheTestClasspathWithEveryPart() throws Exception {
        for (String part : BundledModels.PARTS) {
            Path dir = BundledModels.resolve("shapes/" + part);
            assertTrue(Files.isRegularFile(dir.resolve("config.json")), dir.toString());
            assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")), dir.toString());
        }
        assertEquals(BundledModels.resolve("shapes/caption"), BundledModels.resolve("shapes"));
        assertTrue(BundledModels.isBundled("Shapes/VQA"));
    }

    @Test
    void unknownPartsAndAMissingJarAreClearErrors() throws Exception {
        var e = assertThrows(FileNotFoundException.class, () -> BundledModels.resolve("shapes/nlvr"));
        assertTrue(e.getMessage().contains("shapes/retrieval"), e.getMessage());
        ClassLoader old = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            Thread.currentThread().setContextClassLoader(empty);
            var e2 = assertThrows(FileNotFoundException.class, () -> BundledModels.resolve("shapes/vqa"));
            assertTrue(e2.getMessage().contains("blip4j-models"), e2.getMessage());
        } finally {
            Thread.currentThread().setContextClassLoader(old);
        }
    }

    @Test
    void fromAJarTheModelIsExtractedOnceIntoTheCache() throws Exception {
        Path jar = tmp.resolve("models.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            put(out, "org/blip4j/models/shapes/retrieval/config.json", "{}".getBytes());
            put(out, "org/blip4j/models/shapes/retrieval/model.safetensors", new byte[] {1, 2, 3});
            put(out, "org/blip4j/models/shapes/retrieval/vocab.txt", "[PAD]\n".getBytes());
        }
        ClassLoader old = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader cl = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            Thread.currentThread().setContextClassLoader(cl);
            Path dir = BundledModels.resolve("shapes/retrieval");
            assertTrue(dir.startsWith(BundledModels.cacheRoot()), dir + " under " + BundledModels.cacheRoot());
            assertEquals("{}", Files.readString(dir.resolve("config.json")));
            assertEquals(3, Files.size(dir.resolve("model.safetensors")));
            long stamp = Files.getLastModifiedTime(dir.resolve("config.json")).toMillis();
            assertEquals(dir, BundledModels.resolve("shapes/retrieval"), "second call reuses the extraction");
            assertEquals(
                    stamp, Files.getLastModifiedTime(dir.resolve("config.json")).toMillis());
        } finally {
            Thread.currentThread().setContextClassLoader(old);
        }
    }

    private static void put(JarOutputStream out, String name, byte[] data) throws Exception {
        out.putNextEntry(new JarEntry(name));
        OutputStream o = out;
        o.write(data);
        out.closeEntry();
    }
}
