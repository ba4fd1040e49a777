package org.blip4j.io;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Writes pickle opcodes by hand, for crafting test inputs (protocol 2, as torch.save emits them). */
final class PickleBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static PickleBytes proto(int version) {
        return new PickleBytes().op(0x80).op(version);
    }

    PickleBytes op(int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
        return this;
    }

    PickleBytes raw(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    PickleBytes le(long v, int n) {
        for (int i = 0; i < n; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    /** BINUNICODE. */
    PickleBytes str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return op('X').le(b.length, 4).raw(b);
    }

    /** SHORT_BINUNICODE. */
    PickleBytes shortStr(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return op(0x8c, b.length).raw(b);
    }

    /** The smallest int opcode, as pickle chooses it. */
    PickleBytes integer(long v) {
        if (v >= 0 && v < 256) {
            return op('K', (int) v);
        }
        if (v >= 0 && v < 65536) {
            return op('M').le(v, 2);
        }
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            return op('J').le(v, 4);
        }
        return op(0x8a, 8).le(v, 8);
    }

    PickleBytes floating(double d) {
        return op('G').raw(ByteBuffer.allocate(8)
                .order(ByteOrder.BIG_ENDIAN)
                .putDouble(d)
                .array());
    }

    PickleBytes global(String module, String name) {
        return op('c').raw((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    PickleBytes stackGlobal(String module, String name) {
        return shortStr(module).shortStr(name).op(0x93);
    }

    PickleBytes mark() {
        return op('(');
    }

    PickleBytes tuple() {
        return op('t');
    }

    PickleBytes ints(long... v) {
        mark();
        for (long x : v) {
            integer(x);
        }
        return tuple();
    }

    PickleBytes emptyDict() {
        return op('}');
    }

    PickleBytes emptyTuple() {
        return op(')');
    }

    PickleBytes reduce() {
        return op('R');
    }

    PickleBytes setitem() {
        return op('s');
    }

    PickleBytes setitems() {
        return op('u');
    }

    PickleBytes put(int i) {
        return op('q', i);
    }

    PickleBytes get(int i) {
        return op('h', i);
    }

    PickleBytes stop() {
        return op('.');
    }

    /** collections.OrderedDict() */
    PickleBytes orderedDict() {
        return global("collections", "OrderedDict").emptyTuple().reduce();
    }

    /** ('storage', torch.&lt;type&gt;, key, 'cpu', numel) BINPERSID. */
    PickleBytes storage(String type, String key, long numel) {
        return mark().str("storage")
                .global("torch", type)
                .str(key)
                .str("cpu")
                .integer(numel)
                .tuple()
                .op('Q');
    }

    /** torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()). */
    PickleBytes tensor(String type, String key, long numel, long offset, long[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2").mark();
        storage(type, key, numel)
                .integer(offset)
                .ints(size)
                .ints(stride)
                .op(0x89)
                .orderedDict();
        return tuple().reduce();
    }

    /** Contiguous strides of a shape. */
    static long[] contiguous(long... shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
