package org.blip4j.io;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.blip4j.io.SafeUnpickler.PyCallable;
import org.blip4j.io.SafeUnpickler.Tuple;

/**
 * The allow-list of Python globals a torch state dict may name, each mirrored by an inert Java stand-in (close to
 * {@code torch._weights_only_unpickler}); hand-written because no JVM library reads torch zip checkpoints without
 * executing pickle code.
 */
final class TorchGlobals {
    private TorchGlobals() {}

    /** A {@code torch.*Storage} class; the element type of its data (null: given by the tensor, v3 only). */
    record StorageType(String name, DType dtype) {
        @Override
        public String toString() {
            return "global 'torch." + name + "'";
        }
    }

    /** What {@code persistent_load} returns: a storage record {@code <archive>/data/<key>} of {@code numel} elements. */
    record StorageRef(String key, StorageType type, String location, long numel) {
        @Override
        public String toString() {
            return "storage '" + key + "'";
        }
    }

    /** A view of a storage as {@code torch._utils._rebuild_tensor_v2/v3} describes it (offset in elements of dtype). */
    record TensorRef(StorageRef storage, DType dtype, long offset, long[] shape, long[] stride) {
        @Override
        public String toString() {
            return "tensor " + dtype + Arrays.toString(shape);
        }
    }

    /** An inert placeholder for an allowed type that only serves as an argument (torch.Tensor, Parameter). */
    record Marker(String name) {
        @Override
        public String toString() {
            return "global '" + name + "'";
        }
    }

    private static final Map<String, DType> STORAGES = Map.ofEntries(
            Map.entry("FloatStorage", DType.F32),
            Map.entry("HalfStorage", DType.F16),
            Map.entry("BFloat16Storage", DType.BF16),
            Map.entry("DoubleStorage", DType.F64),
            Map.entry("LongStorage", DType.I64),
            Map.entry("IntStorage", DType.I32),
            Map.entry("ShortStorage", DType.I16),
            Map.entry("CharStorage", DType.I8),
            Map.entry("ByteStorage", DType.U8),
            Map.entry("BoolStorage", DType.BOOL),
            Map.entry("UntypedStorage", DType.U8));

    static final List<String> UNSUPPORTED_STORAGES = List.of(
            "ComplexFloatStorage",
            "ComplexDoubleStorage",
            "QInt8Storage",
            "QUInt8Storage",
            "QInt32Storage",
            "QUInt4x2Storage",
            "QUInt2x4Storage");

    private static final Map<String, DType> DTYPES = Map.ofEntries(
            Map.entry("float32", DType.F32),
            Map.entry("float", DType.F32),
            Map.entry("float16", DType.F16),
            Map.entry("half", DType.F16),
            Map.entry("bfloat16", DType.BF16),
            Map.entry("float64", DType.F64),
            Map.entry("double", DType.F64),
            Map.entry("int64", DType.I64),
            Map.entry("long", DType.I64),
            Map.entry("int32", DType.I32),
            Map.entry("int", DType.I32),
            Map.entry("int16", DType.I16),
            Map.entry("short", DType.I16),
            Map.entry("int8", DType.I8),
            Map.entry("uint8", DType.U8),
            Map.entry("bool", DType.BOOL));

    /** The allow-list: "module.name" to a callable or an inert marker. Nothing here can run code or touch files. */
    static Map<String, Object> allowList() {
        Map<String, Object> g = new HashMap<>();
        STORAGES.forEach((n, d) -> {
            g.put("torch." + n, new StorageType(n, d));
            g.put("torch.storage." + n, new StorageType(n, d));
        });
        g.put("torch.storage.TypedStorage", new StorageType("TypedStorage", null)); // dtype must come from v3
        for (String n : UNSUPPORTED_STORAGES) { // named so that the error says "unsupported", not "refused"
            g.put("torch." + n, new StorageType(n, null));
        }
        DTYPES.forEach((n, d) -> g.put("torch." + n, d));
        g.put("collections.OrderedDict", (PyCallable) TorchGlobals::orderedDict);
        g.put("torch._utils._rebuild_tensor_v2", (PyCallable) a -> rebuildTensor(a, false));
        g.put("torch._utils._rebuild_tensor_v3", (PyCallable) a -> rebuildTensor(a, true));
        g.put("torch._utils._rebuild_parameter", (PyCallable) a -> tensorArg(a, 0));
        g.put("torch._utils._rebuild_parameter_with_state", (PyCallable) a -> tensorArg(a, 0));
        g.put("torch._tensor._rebuild_from_type_v2", (PyCallable) TorchGlobals::rebuildFromType);
        g.put("torch.Tensor", new Marker("torch.Tensor"));
        g.put("torch.nn.parameter.Parameter", new Marker("torch.nn.parameter.Parameter"));
        g.put("torch.Size", (PyCallable) a -> a.isEmpty() ? Tuple.EMPTY : (Tuple) a.get(0));
        g.put("torch.device", (PyCallable) a -> String.valueOf(a.get(0)) + (a.size() > 1 ? ":" + a.get(1) : ""));
        g.put("builtins.set", (PyCallable) a -> a.isEmpty() ? new LinkedHashSet<>() : toSet(a.get(0)));
        g.put("builtins.frozenset", (PyCallable) a -> a.isEmpty() ? Collections.emptySet() : toSet(a.get(0)));
        // protocol 2 pickles Python 3 bytes as _codecs.encode(str, 'latin1')
        g.put("_codecs.encode", (PyCallable) a -> ((String) a.get(0)).getBytes(StandardCharsets.ISO_8859_1));
        return g;
    }

    private static Object orderedDict(List<Object> args) {
        Map<Object, Object> m = new LinkedHashMap<>();
        if (!args.isEmpty()) {
            for (Object pair : (List<?>) args.get(0)) {
                Tuple t = (Tuple) pair;
                if (t.get(0) instanceof List || t.get(0) instanceof Map) {
                    throw new IllegalArgumentException("unhashable dict key");
                }
                m.put(t.get(0), t.get(1));
            }
        }
        return m;
    }

    private static Object toSet(Object items) {
        LinkedHashSet<Object> s = new LinkedHashSet<>();
        for (Object o : (List<?>) items) {
            if (o instanceof List || o instanceof Map) {
                throw new IllegalArgumentException("unhashable set element");
            }
            s.add(o);
        }
        return s;
    }

    private static Object tensorArg(List<Object> args, int i) {
        if (args.size() <= i || !(args.get(i) instanceof TensorRef t)) {
            throw new IllegalArgumentException("expected a tensor as argument " + i);
        }
        return t;
    }

    /** {@code _rebuild_from_type_v2(func, new_type, args, state)}: the tensor subclass and its state do not matter. */
    private static Object rebuildFromType(List<Object> args) throws java.io.IOException {
        if (args.size() < 3 || !(args.get(0) instanceof PyCallable f) || !(args.get(2) instanceof Tuple inner)) {
            throw new IllegalArgumentException("_rebuild_from_type_v2 needs (func, type, args, state)");
        }
        return f.call(inner.items());
    }

    /**
     * v2: {@code (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}, dtype from the
     * storage type; v3: {@code (storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype[, ...])}.
     */
    private static Object rebuildTensor(List<Object> a, boolean v3) {
        if (a.size() < (v3 ? 7 : 4) || !(a.get(0) instanceof StorageRef s)) {
            throw new IllegalArgumentException("_rebuild_tensor needs (storage, offset, size, stride, ...)");
        }
        DType dtype = s.type().dtype();
        if (!v3 && dtype == null) {
            throw new IllegalArgumentException(s.type() + " has no dtype; _rebuild_tensor_v2 cannot use it");
        }
        if (v3) {
            if (!(a.get(6) instanceof DType d)) {
                throw new IllegalArgumentException("_rebuild_tensor_v3 needs a torch dtype as argument 6");
            }
            dtype = d;
        }
        long[] shape = longs(a.get(2), "size");
        long[] stride = longs(a.get(3), "stride");
        if (shape.length != stride.length) {
            throw new IllegalArgumentException(
                    "size " + Arrays.toString(shape) + " and stride " + Arrays.toString(stride) + " differ in length");
        }
        if (!(a.get(1) instanceof Long offset)) {
            throw new IllegalArgumentException("storage offset must be an int");
        }
        return new TensorRef(s, dtype, offset, shape, stride);
    }

    private static long[] longs(Object o, String what) {
        if (!(o instanceof Tuple t)) {
            throw new IllegalArgumentException(what + " must be a tuple of ints");
        }
        long[] r = new long[t.size()];
        for (int i = 0; i < r.length; i++) {
            if (!(t.get(i) instanceof Long v)) {
                throw new IllegalArgumentException(what + " must be a tuple of ints");
            }
            r[i] = v;
        }
        return r;
    }
}
