package org.blip4j.io;

import static org.blip4j.io.IoFixtures.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crafted safetensors files: every malformed header gives one CheckpointFormatException naming the file. */
class SafeTensorsHardeningTest {
    @TempDir
    Path tmp;

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "expected '" + p + "' in: " + message);
        }
    }

    /** 8-byte little-endian header length, the header, then {@code dataBytes} zero bytes. */
    private Path craft(String name, long declaredHeaderLen, String header, int dataBytes) throws Exception {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredHeaderLen).put(h);
        return Files.write(tmp.resolve(name), b.array());
    }

    private Path craft(String name, String header, int dataBytes) throws Exception {
        return craft(name, header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
    }

    private String open(Path f) {
        return failure(f, () -> SafeTensors.open(f).close());
    }

    @Test
    void missingFile() {
        assertContains(open(tmp.resolve("missing.safetensors")), "file not found");
    }

    @Test
    void directory() {
        assertContains(open(tmp), "is a directory");
    }

    @Test
    void zeroSizeFile() throws Exception {
        assertContains(open(Files.createFile(tmp.resolve("zero.safetensors"))), "only 0 bytes");
    }

    @Test
    void headerLengthLargerThanFile() throws Exception {
        assertContains(open(craft("big.safetensors", 1000, "{}", 0)), "header length 1000", "the file has 10 bytes");
        assertContains(open(craft("huge.safetensors", Long.MAX_VALUE, "{}", 0)), "header length");
        assertContains(open(craft("neg.safetensors", -8, "{}", 0)), "header length -8");
    }

    @Test
    void headerNotJson() throws Exception {
        assertContains(open(craft("junk.safetensors", "{\"a\": [1, 2", 0)), "invalid JSON");
        assertContains(open(craft("array.safetensors", "[1, 2, 3]", 0)), "not a JSON object");
        assertContains(open(craft("bin.safetensors", "\u0000\u0001\u0002", 0)), "invalid JSON");
        assertContains(open(craft("trailing.safetensors", "{} {\"x\":1}", 0)), "invalid JSON");
        try (SafeTensors ok = SafeTensors.open(craft("spaces.safetensors", "{}      ", 0))) {
            assertTrue(ok.entries().isEmpty(), "space padding after the header is fine");
        }
    }

    @Test
    void offsetsPastEndOfFile() throws Exception {
        Path f = craft("past.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
        assertContains(open(f), "tensor 'w'", "past the end of the file");
    }

    @Test
    void overlappingTensors() throws Exception {
        Path f = craft(
                "overlap.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                12);
        assertContains(open(f), "'a' and 'b' overlap");
    }

    @Test
    void sizeNotNumelTimesDtype() throws Exception {
        Path f = craft("size.safetensors", "{\"w\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertContains(open(f), "tensor 'w'", "needs 6 bytes", "span 8");
    }

    @Test
    void absurdShape() throws Exception {
        Path f = craft(
                "absurd.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1e12,1e12],\"data_offsets\":[0,8]}}", 8);
        assertContains(open(f), "tensor 'w'", "absurd shape");
        Path g = craft(
                "absurd2.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1000000000000,1000000000000],\"data_offsets\":[0,8]}}",
                8);
        assertContains(open(g), "tensor 'w'", "absurd shape");
        Path h = craft(
                "absurd3.safetensors",
                "{\"w\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],\"data_offsets\":[0,8]}}",
                8);
        assertContains(open(h), "tensor 'w'", "absurd shape");
        Path i = craft(
                "absurd4.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}",
                8);
        assertContains(open(i), "tensor 'w'", "invalid dimension");
    }

    @Test
    void nonIntegralNumbers() throws Exception {
        Path f = craft("frac.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8);
        assertContains(open(f), "tensor 'w'", "invalid dimension 2.5");
        Path g = craft("fracoff.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0.5,8]}}", 8);
        assertContains(open(g), "tensor 'w'", "invalid data_offsets");
        Path h = craft("strdim.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8);
        assertContains(open(h), "tensor 'w'", "invalid dimension");
    }

    @Test
    void negativeDims() throws Exception {
        Path f = craft("neg.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2,-1],\"data_offsets\":[0,8]}}", 8);
        assertContains(open(f), "tensor 'w'", "invalid dimension -2");
    }

    @Test
    void negativeOffsets() throws Exception {
        Path f = craft("negoff.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8);
        assertContains(open(f), "tensor 'w'", "invalid data_offsets");
    }

    @Test
    void unknownDtype() throws Exception {
        Path f = craft("dtype.safetensors", "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2);
        assertContains(open(f), "tensor 'w'", "unsupported dtype F8_E4M3");
        Path g = craft("dtype2.safetensors", "{\"w\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        assertContains(open(g), "tensor 'w'", "unsupported dtype 7");
    }

    @Test
    void missingFieldsAndDuplicates() throws Exception {
        assertContains(
                open(craft("fields.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8)),
                "needs dtype, shape and data_offsets");
        assertContains(open(craft("notobj.safetensors", "{\"w\":[1,2]}", 8)), "needs dtype, shape and data_offsets");
        Path dup = craft(
                "dup.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                8);
        assertContains(open(dup), "invalid JSON", "Duplicate field 'w'");
    }

    @Test
    void missingTensorByName() throws Exception {
        Path f = tmp.resolve("one.safetensors");
        SafeTensors.write(f, Map.of("w", RawTensor.ofFloats(new float[] {1f}, 1)), null);
        try (SafeTensors st = SafeTensors.open(f)) {
            assertContains(failure(f, () -> st.get("nope")), "no tensor named 'nope'");
        }
    }

    @Test
    void roundTrip() throws Exception {
        Map<String, RawTensor> in = new LinkedHashMap<>();
        in.put("f32", RawTensor.ofFloats(new float[] {1.5f, -2f, 3f, 0f, 1e-8f, Float.MAX_VALUE}, 2, 3));
        ByteBuffer h = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
        h.putShort(Half.fromFloat(0.5f))
                .putShort(Half.fromFloat(-65504f))
                .putShort(Half.fromFloat(1e-7f))
                .flip();
        in.put("f16", new RawTensor(DType.F16, new long[] {3}, h));
        ByteBuffer bf = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        bf.putShort(Half.floatToBf16(3.140625f))
                .putShort(Half.floatToBf16(-1e30f))
                .flip();
        in.put("bf16", new RawTensor(DType.BF16, new long[] {2, 1}, bf));
        in.put("i64", RawTensor.ofLongs(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, 4));
        in.put("scalar", RawTensor.ofFloats(new float[] {42f}));
        in.put("empty", RawTensor.ofFloats(new float[0], 0, 5));
        Path f = tmp.resolve("sub/rt.safetensors");
        SafeTensors.write(f, in, Map.of("format", "pt"));
        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals(List.copyOf(in.keySet()), List.copyOf(st.entries().keySet()));
            assertEquals(Map.of("format", "pt"), st.metadata());
            for (var e : in.entrySet()) {
                RawTensor got = st.get(e.getKey());
                assertEquals(e.getValue().dtype(), got.dtype(), e.getKey());
                assertArrayEquals(e.getValue().shape(), got.shape(), e.getKey());
                assertEquals(e.getValue().data(), got.data(), e.getKey());
            }
            assertEquals(0, st.get("scalar").shape().length);
            assertArrayEquals(new float[] {42f}, st.get("scalar").toFloats());
            assertArrayEquals(
                    new float[] {0.5f, -65504f, Half.toFloat(Half.fromFloat(1e-7f))},
                    st.get("f16").toFloats());
            assertArrayEquals(
                    new float[] {3.140625f, Half.bf16ToFloat(Half.floatToBf16(-1e30f))},
                    st.get("bf16").toFloats());
        }
        // data section starts 8-byte aligned, and no temporary file is left behind
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .getLong();
        assertEquals(0, headerLen % 8);
        try (var files = Files.list(f.getParent())) {
            assertEquals(
                    List.of(f.getFileName().toString()),
                    files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void pthTensorsRoundTripThroughSafetensors() throws Exception {
        PthCheckpoint ck = PthReader.read(IoFixtures.file("blip_decoder.pth"));
        Path f = tmp.resolve("decoder.safetensors");
        SafeTensors.write(f, ck.stateDict(), null);
        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals(ck.stateDict().size(), st.entries().size());
            for (var e : ck.stateDict().entrySet()) {
                assertEquals(e.getValue().data(), st.get(e.getKey()).data(), e.getKey());
            }
        }
    }
}
