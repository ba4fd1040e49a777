package org.blip4j.io;

import static org.blip4j.io.PickleBytes.contiguous;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Crafted torch.save archives: storage offsets, strides, shared storages, dtypes, byte order, zip variants. */
class PthReaderViewsTest {
    @TempDir
    Path tmp;

    static byte[] floats(ByteOrder order, float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(order);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    static float[] iota(int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = i;
        }
        return f;
    }

    /** {'model': OrderedDict(entries)} */
    static byte[] stateDict(String wrapKey, PickleBytes entries) {
        PickleBytes p = PickleBytes.proto(2);
        if (wrapKey != null) {
            p.emptyDict().str(wrapKey);
        }
        p.orderedDict().mark().raw(entries.bytes()).setitems();
        if (wrapKey != null) {
            p.setitem();
        }
        return p.stop().bytes();
    }

    private PthCheckpoint viewsCheckpoint(boolean zip64, boolean deflate) throws Exception {
        PickleBytes e = new PickleBytes();
        e.str("a").tensor("FloatStorage", "0", 12, 0, new long[] {2, 3}, contiguous(2, 3));
        e.str("b").tensor("FloatStorage", "0", 12, 6, new long[] {2, 3}, contiguous(2, 3));
        e.str("c").tensor("FloatStorage", "0", 12, 0, new long[] {3, 2}, new long[] {1, 3}); // a.T
        e.str("d").tensor("FloatStorage", "0", 12, 0, new long[] {2, 3}, contiguous(2, 3)); // tied to a
        e.str("e").tensor("FloatStorage", "0", 12, 2, new long[] {2, 2}, new long[] {0, 1}); // expand
        e.str("f").tensor("FloatStorage", "0", 12, 11, new long[] {}, new long[] {}); // scalar
        e.str("g").tensor("FloatStorage", "0", 12, 0, new long[] {0, 3}, contiguous(0, 3)); // empty
        e.str("h").tensor("FloatStorage", "0", 12, 1, new long[] {3, 1}, new long[] {4, 7}); // column, size-1 dim
        e.str("other").tensor("FloatStorage", "1", 2, 0, new long[] {2}, new long[] {1});
        Map<String, byte[]> storages = new LinkedHashMap<>();
        storages.put("0", floats(ByteOrder.LITTLE_ENDIAN, iota(12)));
        storages.put("1", floats(ByteOrder.LITTLE_ENDIAN, 7f, 8f));
        Path f = TestZip.torch("views", stateDict("model", e), storages)
                .zip64(zip64)
                .deflate(deflate)
                .write(tmp.resolve("views.pth"));
        return PthReader.read(f);
    }

    @ParameterizedTest(name = "zip64={0} deflate={1}")
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void offsetsStridesAndSharedStorage(boolean zip64, boolean deflate) throws Exception {
        PthCheckpoint ck = viewsCheckpoint(zip64, deflate);
        Map<String, RawTensor> sd = ck.stateDict();
        assertEquals(List.of("a", "b", "c", "d", "e", "f", "g", "h", "other"), List.copyOf(sd.keySet()));
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, sd.get("a").toFloats());
        assertArrayEquals(new float[] {6, 7, 8, 9, 10, 11}, sd.get("b").toFloats());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, sd.get("c").toFloats());
        assertArrayEquals(new long[] {3, 2}, sd.get("c").shape());
        assertArrayEquals(new float[] {2, 3, 2, 3}, sd.get("e").toFloats());
        assertArrayEquals(new float[] {11}, sd.get("f").toFloats());
        assertEquals(0, sd.get("f").shape().length);
        assertEquals(0, sd.get("g").numel());
        assertArrayEquals(new float[] {1, 5, 9}, sd.get("h").toFloats());
        assertArrayEquals(new float[] {7, 8}, sd.get("other").toFloats());

        assertEquals(Map.of("d", "a"), ck.aliasOf());
        assertEquals(List.of(List.of("a", "b", "c", "d", "e", "f", "g", "h")), ck.sharedStorage());
        assertFalse(ck.tensorInfo().get("a").copied());
        assertFalse(ck.tensorInfo().get("b").copied());
        assertTrue(ck.tensorInfo().get("c").copied());
        assertTrue(ck.tensorInfo().get("e").copied());
        assertEquals(6, ck.tensorInfo().get("b").storageOffset());
        assertArrayEquals(new long[] {1, 3}, ck.tensorInfo().get("c").stride());
        assertEquals("FloatStorage", ck.tensorInfo().get("a").storageType());
        assertEquals("0", ck.tensorInfo().get("a").storageKey());
        assertEquals(!deflate, sd.get("b").data().isDirect(), "stored entries are memory-mapped");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "FloatStorage,F32",
        "HalfStorage,F16",
        "BFloat16Storage,BF16",
        "DoubleStorage,F64",
        "LongStorage,I64",
        "IntStorage,I32",
        "ShortStorage,I16",
        "CharStorage,I8",
        "ByteStorage,U8",
        "BoolStorage,BOOL"
    })
    void everyStorageType(String type, DType dtype) throws Exception {
        int n = 5;
        byte[] raw = new byte[n * dtype.bytes()];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) (dtype == DType.BOOL ? i % 2 : i * 7 + 1);
        }
        PickleBytes e = new PickleBytes().str("t").tensor(type, "0", n, 1, new long[] {2, 2}, contiguous(2, 2));
        Path f = TestZip.torch("archive", stateDict("model", e), Map.of("0", raw))
                .write(tmp.resolve("t.pth"));
        RawTensor t = PthReader.read(f).stateDict().get("t");
        assertEquals(dtype, t.dtype());
        byte[] got = new byte[4 * dtype.bytes()];
        t.data().get(got);
        byte[] want = new byte[got.length];
        System.arraycopy(raw, dtype.bytes(), want, 0, want.length);
        assertArrayEquals(want, got);
    }

    @Test
    void bigEndianArchivesAreByteSwapped() throws Exception {
        PickleBytes e = new PickleBytes();
        e.str("w").tensor("FloatStorage", "0", 3, 0, new long[] {3}, new long[] {1});
        e.str("i").tensor("LongStorage", "1", 2, 0, new long[] {2}, new long[] {1});
        e.str("wt").tensor("FloatStorage", "0", 3, 0, new long[] {2}, new long[] {2});
        ByteBuffer longs =
                ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN).putLong(-5).putLong(1L << 40);
        Map<String, byte[]> st = new LinkedHashMap<>();
        st.put("0", floats(ByteOrder.BIG_ENDIAN, 1.5f, -2f, 3.25f));
        st.put("1", longs.array());
        Path f = TestZip.torch("archive", stateDict("model", e), st)
                .put("archive/byteorder", "big")
                .write(tmp.resolve("be.pth"));
        PthCheckpoint ck = PthReader.read(f);
        assertArrayEquals(
                new float[] {1.5f, -2f, 3.25f}, ck.stateDict().get("w").toFloats());
        assertArrayEquals(new long[] {-5, 1L << 40}, ck.stateDict().get("i").toLongs());
        assertArrayEquals(new float[] {1.5f, 3.25f}, ck.stateDict().get("wt").toFloats());
        assertTrue(ck.tensorInfo().get("w").copied());
    }

    @Test
    void littleByteorderRecordAndOtherArchiveName() throws Exception {
        PickleBytes e = new PickleBytes().str("w").tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1});
        Path f = TestZip.torch(
                        "model_base_capfilt_large",
                        stateDict("state_dict", e),
                        Map.of("0", floats(ByteOrder.LITTLE_ENDIAN, 4f, 5f)))
                .put("model_base_capfilt_large/byteorder", "little")
                .write(tmp.resolve("model_base_capfilt_large.pth"));
        PthCheckpoint ck = PthReader.read(f);
        assertEquals("model_base_capfilt_large", ck.archiveName());
        assertEquals("state_dict", ck.stateDictKey());
        assertArrayEquals(new float[] {4f, 5f}, ck.stateDict().get("w").toFloats());
        assertFalse(ck.tensorInfo().get("w").copied());
    }

    @Test
    void bareStateDictWithNonTensorValues() throws Exception {
        PickleBytes e = new PickleBytes();
        e.str("w").tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1});
        e.str("num_batches_tracked_like").integer(7);
        e.str("lr").floating(0.25);
        e.str("flag").op(0x88);
        e.str("nothing").op('N');
        e.str("inner")
                .emptyDict()
                .str("x")
                .tensor("FloatStorage", "0", 2, 1, new long[] {1}, new long[] {1})
                .setitem();
        Path f = TestZip.torch("archive", stateDict(null, e), Map.of("0", floats(ByteOrder.LITTLE_ENDIAN, 1f, 2f)))
                .write(tmp.resolve("bare.pth"));
        PthCheckpoint ck = PthReader.read(f);
        assertNull(ck.stateDictKey());
        assertEquals(List.of("w", "num_batches_tracked_like", "lr", "flag", "nothing", "inner"), ck.topLevelKeys());
        assertEquals(List.of("w", "inner.x"), List.copyOf(ck.stateDict().keySet()));
        assertArrayEquals(new float[] {2f}, ck.stateDict().get("inner.x").toFloats());
        assertEquals(7L, ck.otherValues().get("num_batches_tracked_like"));
        assertEquals(0.25, ck.otherValues().get("lr"));
        assertEquals(Boolean.TRUE, ck.otherValues().get("flag"));
        assertTrue(ck.otherValues().containsKey("nothing"));
    }

    @Test
    void topLevelExtrasAreListedButNotFlattened() throws Exception {
        PickleBytes p = PickleBytes.proto(2).emptyDict().mark();
        p.str("model")
                .orderedDict()
                .mark()
                .str("w")
                .tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1})
                .setitems();
        p.str("epoch").integer(19);
        p.str("config").emptyDict().str("lr").floating(1e-5).setitem();
        p.setitems().stop();
        Path f = TestZip.torch("archive", p.bytes(), Map.of("0", floats(ByteOrder.LITTLE_ENDIAN, 1f, 2f)))
                .write(tmp.resolve("extras.pth"));
        PthCheckpoint ck = PthReader.read(f);
        assertEquals(List.of("model", "epoch", "config"), ck.topLevelKeys());
        assertEquals(List.of("w"), List.copyOf(ck.stateDict().keySet()));
        assertTrue(ck.otherValues().isEmpty());
    }

    @Test
    void parametersV3UntypedStorageAndRebuildFromType() throws Exception {
        PickleBytes e = new PickleBytes();
        // torch._utils._rebuild_parameter(tensor, True, OrderedDict())
        e.str("param")
                .global("torch._utils", "_rebuild_parameter")
                .mark()
                .tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1})
                .op(0x88)
                .orderedDict()
                .tuple()
                .reduce();
        // torch._utils._rebuild_tensor_v3(untyped storage, offset 1 (in bf16 elements), (2,), (1,), False, {},
        // bfloat16)
        e.str("v3")
                .global("torch._utils", "_rebuild_tensor_v3")
                .mark()
                .mark()
                .str("storage")
                .global("torch", "UntypedStorage")
                .str("1")
                .str("cpu")
                .integer(6)
                .tuple()
                .op('Q')
                .integer(1)
                .ints(2)
                .ints(1)
                .op(0x89)
                .orderedDict()
                .global("torch", "bfloat16")
                .tuple()
                .reduce();
        // torch._tensor._rebuild_from_type_v2(_rebuild_tensor_v2, Parameter, (args...), {})
        e.str("typed")
                .global("torch._tensor", "_rebuild_from_type_v2")
                .mark()
                .global("torch._utils", "_rebuild_tensor_v2")
                .global("torch.nn.parameter", "Parameter")
                .mark()
                .storage("FloatStorage", "0", 2)
                .integer(1)
                .ints(1)
                .ints(1)
                .op(0x89)
                .orderedDict()
                .tuple()
                .emptyDict()
                .tuple()
                .reduce();
        Map<String, byte[]> st = new LinkedHashMap<>();
        st.put("0", floats(ByteOrder.LITTLE_ENDIAN, 1f, 2f));
        ByteBuffer bf = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
        bf.putShort(Half.floatToBf16(9f)).putShort(Half.floatToBf16(-1.5f)).putShort(Half.floatToBf16(0.5f));
        st.put("1", bf.array());
        Path f = TestZip.torch("archive", stateDict("model", e), st).write(tmp.resolve("p.pth"));
        PthCheckpoint ck = PthReader.read(f);
        assertArrayEquals(new float[] {1f, 2f}, ck.stateDict().get("param").toFloats());
        assertEquals(DType.BF16, ck.stateDict().get("v3").dtype());
        assertArrayEquals(new float[] {-1.5f, 0.5f}, ck.stateDict().get("v3").toFloats());
        assertArrayEquals(new float[] {2f}, ck.stateDict().get("typed").toFloats());
        assertEquals("UntypedStorage", ck.tensorInfo().get("v3").storageType());
    }

    @Test
    void protocol4FramesMemoizeAndStackGlobal() throws Exception {
        PickleBytes p = PickleBytes.proto(4)
                .op(0x95)
                .raw(new byte[8]) // FRAME (length ignored)
                .op('}')
                .op(0x94) // EMPTY_DICT MEMOIZE -> memo 0
                .shortStr("model")
                .op(0x94)
                .stackGlobal("collections", "OrderedDict")
                .op(0x94)
                .emptyTuple()
                .reduce()
                .op(0x94)
                .mark()
                .shortStr("w")
                .stackGlobal("torch._utils", "_rebuild_tensor_v2")
                .op(0x94)
                .mark()
                .mark()
                .shortStr("storage")
                .stackGlobal("torch", "HalfStorage")
                .shortStr("0")
                .shortStr("cpu")
                .integer(2)
                .tuple()
                .op('Q')
                .integer(0)
                .integer(2)
                .op(0x85)
                .integer(1)
                .op(0x85)
                .op(0x89)
                .stackGlobal("collections", "OrderedDict")
                .emptyTuple()
                .reduce()
                .tuple()
                .reduce()
                .setitems()
                .setitem()
                .stop();
        ByteBuffer h = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        h.putShort(Half.fromFloat(0.5f)).putShort(Half.fromFloat(-3f));
        Path f = TestZip.torch("archive", p.bytes(), Map.of("0", h.array())).write(tmp.resolve("p4.pth"));
        RawTensor t = PthReader.read(f).stateDict().get("w");
        assertEquals(DType.F16, t.dtype());
        assertArrayEquals(new float[] {0.5f, -3f}, t.toFloats());
    }
}
