package org.blip4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.config.TextConfig;
import org.blip4j.config.VisionConfig;
import org.blip4j.engine.T;
import org.blip4j.model.BlipDecoder;
import org.blip4j.weights.Checkpoints;
import org.blip4j.weights.LoadPolicy;
import org.blip4j.weights.WeightLoader;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors state dict's direct reads, and that the loader's direct path fills the model exactly. */
class SafeTensorsStateDictTest {
    @TempDir
    Path dir;

    private static Map<String, RawTensor> sample() {
        Map<String, RawTensor> m = new LinkedHashMap<>();
        m.put("a", RawTensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        m.put("b", RawTensor.ofLongs(new long[] {7, -8}, 2));
        m.put("empty", RawTensor.ofFloats(new float[0], 0));
        return m;
    }

    @Test
    void metadataIsWrittenInKeyOrderSoRunsGiveTheSameBytes() throws Exception {
        // the shapes chain reproduced every tensor, yet two runs' files differed: Map.of's order varies by JVM
        Map<String, String> forward = new LinkedHashMap<>();
        forward.put("architecture", "x");
        forward.put("format", "pt");
        forward.put("producer", "blip4j");
        Map<String, String> backward = new LinkedHashMap<>();
        backward.put("producer", "blip4j");
        backward.put("format", "pt");
        backward.put("architecture", "x");
        Path f1 = dir.resolve("a.safetensors");
        Path f2 = dir.resolve("b.safetensors");
        SafeTensors.write(f1, sample(), forward);
        SafeTensors.write(f2, sample(), backward);
        assertArrayEquals(java.nio.file.Files.readAllBytes(f1), java.nio.file.Files.readAllBytes(f2));
    }

    @Test
    void readerCopiesTheSameBytesAsTheMappedViews() throws Exception {
        Path f = dir.resolve("s.safetensors");
        SafeTensors.write(f, sample(), null);
        Map<String, RawTensor> sd = Checkpoints.read(f);
        SafeTensors.StateDict st = assertInstanceOf(SafeTensors.StateDict.class, sd);
        assertEquals(3, st.size());
        try (SafeTensors.StateDict.Reader r = st.openReader()) {
            assertNotNull(r);
            for (var e : st.entrySet()) {
                ByteBuffer mapped = e.getValue().data();
                ByteBuffer direct =
                        ByteBuffer.allocateDirect(mapped.remaining()).order(ByteOrder.LITTLE_ENDIAN);
                r.readInto(e.getKey(), direct);
                byte[] want = new byte[mapped.remaining()];
                mapped.get(want);
                byte[] got = new byte[direct.capacity()];
                direct.get(0, got);
                assertArrayEquals(want, got, e.getKey());
            }
            assertThrows(IllegalArgumentException.class, () -> r.readInto("a", ByteBuffer.allocateDirect(4)));
            assertThrows(CheckpointFormatException.class, () -> r.readInto("nope", ByteBuffer.allocateDirect(4)));
        }
    }

    @Test
    void noReaderOnceTheFileWasReplaced() throws Exception {
        Path f = dir.resolve("s.safetensors");
        SafeTensors.write(f, sample(), null);
        SafeTensors.StateDict st = (SafeTensors.StateDict) Checkpoints.read(f);
        SafeTensors.write(f, sample(), null); // atomic rename: a new file under the same name
        assertNull(st.openReader());
        assertEquals(2.0f, st.get("a").toFloats()[1]); // the mapped views still see the original file
    }

    /** A BLIP of toy sizes (the loader's path does not depend on them). */
    private static BlipConfig tiny() {
        return new BlipConfig(
                new VisionConfig(32, 16, 32, 2, 2, 64, 1e-6),
                new TextConfig(100, 32, 2, 2, 64, 40, 1e-12, 32, true, 0),
                16);
    }

    @Test
    void loaderFillsTheModelFromTheFile() throws Exception {
        BlipDecoder src = new BlipDecoder(tiny());
        Map<String, RawTensor> sd = new LinkedHashMap<>();
        int i = 0;
        for (var e : src.namedTensors().entrySet()) {
            e.getValue().fill_(T.s(0.001 * (++i)));
            sd.put(e.getKey(), T.toRaw(e.getValue()));
        }
        Path f = dir.resolve("m.safetensors");
        SafeTensors.write(f, sd, null);
        BlipDecoder dst = new BlipDecoder(tiny());
        WeightLoader.load(dst, Checkpoints.read(f), LoadPolicy.strict(), "m");
        Map<String, Tensor> want = src.namedTensors();
        for (var e : dst.namedTensors().entrySet()) {
            Tensor w = want.get(e.getKey());
            assertEquals(0.0, e.getValue().sub(w).abs().max().item_double(), 0.0, e.getKey());
        }
    }
}
