package org.blip4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blip4j.io.SafeUnpickler.PyCallable;
import org.blip4j.io.SafeUnpickler.Tuple;
import org.junit.jupiter.api.Test;

/** The pickle VM on its own: opcodes, the allow-list, and hostile input. */
class SafeUnpicklerTest {
    static final Path FILE = Path.of("test.pth");

    static Object load(byte[] pickle) throws CheckpointFormatException {
        Map<String, Object> allow = Map.of(
                "collections.OrderedDict", (PyCallable) a -> new java.util.LinkedHashMap<>(), "torch.Tensor", "marker");
        return new SafeUnpickler(FILE, "archive/data.pkl", allow, pid -> "pid:" + pid).load(pickle);
    }

    static Object load(PickleBytes p) throws CheckpointFormatException {
        return load(p.bytes());
    }

    static String error(byte[] pickle) {
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> load(pickle));
        assertTrue(e.getMessage().startsWith(FILE + ": "), e.getMessage());
        assertEquals(FILE, e.file());
        return e.getMessage();
    }

    static String error(PickleBytes p) {
        return error(p.bytes());
    }

    static void assertContains(String message, String... parts) {
        for (String s : parts) {
            assertTrue(message.contains(s), "expected '" + s + "' in: " + message);
        }
    }

    @Test
    void integersOfEveryWidth() throws Exception {
        PickleBytes p = PickleBytes.proto(2)
                .mark()
                .integer(5)
                .integer(300)
                .integer(-7)
                .integer(70000)
                .integer(1L << 40)
                .integer(Long.MIN_VALUE)
                .op(0x8a, 0) // LONG1 zero-length = 0
                .op(0x8a, 9)
                .le(0, 8)
                .op(1) // 2^64
                .op(0x8a, 1)
                .op(0xff) // -1
                .op(0x8b)
                .le(2, 4)
                .op(0x00, 0x80) // LONG4 -32768
                .tuple()
                .stop();
        Tuple t = (Tuple) load(p);
        assertEquals(
                List.of(
                        5L,
                        300L,
                        -7L,
                        70000L,
                        1L << 40,
                        Long.MIN_VALUE,
                        0L,
                        BigInteger.ONE.shiftLeft(64),
                        -1L,
                        -32768L),
                t.items());
    }

    @Test
    void scalarsStringsAndBytes() throws Exception {
        PickleBytes p = PickleBytes.proto(2)
                .mark()
                .floating(-0.1)
                .op(0x88)
                .op(0x89)
                .op('N')
                .str("h\u00e9llo")
                .shortStr("ok")
                .op(0x8d)
                .le(3, 8)
                .raw("abc".getBytes(StandardCharsets.UTF_8))
                .op('U', 2)
                .raw("py".getBytes(StandardCharsets.UTF_8))
                .op('T')
                .le(1, 4)
                .op('z')
                .op('C', 2, 1, 2)
                .op('B')
                .le(1, 4)
                .op(9)
                .op(0x8e)
                .le(0, 8)
                .op(0x96)
                .le(1, 8)
                .op(7)
                .tuple()
                .stop();
        List<Object> v = ((Tuple) load(p)).items();
        assertEquals(-0.1, v.get(0));
        assertEquals(true, v.get(1));
        assertEquals(false, v.get(2));
        assertNull(v.get(3));
        assertEquals(List.of("h\u00e9llo", "ok", "abc", "py", "z"), v.subList(4, 9));
        assertArrayEquals(new byte[] {1, 2}, (byte[]) v.get(9));
        assertArrayEquals(new byte[] {9}, (byte[]) v.get(10));
        assertArrayEquals(new byte[0], (byte[]) v.get(11));
        assertArrayEquals(new byte[] {7}, (byte[]) v.get(12));
    }

    @Test
    void containersAndMemo() throws Exception {
        PickleBytes p = PickleBytes.proto(2)
                .op(0x95)
                .le(0, 8) // FRAME
                .emptyDict()
                .put(0)
                .str("list")
                .op(']')
                .put(1)
                .mark()
                .integer(1)
                .integer(2)
                .op('e')
                .integer(3)
                .op('a')
                .setitem()
                .str("same")
                .get(1)
                .setitem()
                .str("t123")
                .integer(1)
                .op(0x85)
                .integer(1)
                .integer(2)
                .op(0x86)
                .integer(1)
                .integer(2)
                .integer(3)
                .op(0x87)
                .op(0x87)
                .setitem()
                .str("d")
                .mark()
                .str("k")
                .integer(9)
                .op('d')
                .setitem()
                .str("l")
                .mark()
                .integer(4)
                .op('l')
                .setitem()
                .str("long memo")
                .str("v")
                .op('r')
                .le(70000, 4)
                .op('0')
                .op('j')
                .le(70000, 4)
                .setitem()
                .str("memoize")
                .op(')')
                .op(0x94)
                .op('h', 3)
                .op(0x86)
                .setitem() // MEMOIZE index = len(memo) = 3
                .str("set")
                .op(0x8f)
                .mark()
                .integer(1)
                .integer(1)
                .str("x")
                .op(0x90)
                .setitem()
                .str("frozen")
                .mark()
                .integer(2)
                .op(0x91)
                .setitem()
                .str("dup")
                .integer(4)
                .op('2')
                .op(0x86)
                .setitem()
                .mark()
                .str("ignored")
                .op('1') // POP_MARK
                .str("od")
                .global("collections", "OrderedDict")
                .op(')')
                .reduce()
                .setitem()
                .stop();
        Map<?, ?> m = (Map<?, ?>) load(p);
        assertEquals(List.of(1L, 2L, 3L), m.get("list"));
        assertSame(m.get("list"), m.get("same"));
        Tuple t = (Tuple) m.get("t123");
        assertEquals(3, t.size());
        assertEquals(List.of(1L), ((Tuple) t.get(0)).items());
        assertEquals(List.of(1L, 2L, 3L), ((Tuple) t.get(2)).items());
        assertEquals(Map.of("k", 9L), m.get("d"));
        assertEquals(List.of(4L), m.get("l"));
        assertEquals("v", m.get("long memo"));
        Tuple pair = (Tuple) m.get("memoize");
        assertSame(pair.get(0), pair.get(1));
        assertEquals(Set.of(1L, "x"), m.get("set"));
        assertEquals(Set.of(2L), m.get("frozen"));
        assertEquals(List.of(4L, 4L), ((Tuple) m.get("dup")).items());
        assertEquals(Map.of(), m.get("od"));
        assertEquals(
                List.of("list", "same", "t123", "d", "l", "long memo", "memoize", "set", "frozen", "dup", "od"),
                List.copyOf(m.keySet()));
    }

    @Test
    void persistentIdsAndBuild() throws Exception {
        PickleBytes p = PickleBytes.proto(2).str("abc").op('Q').stop();
        assertEquals("pid:abc", load(p));
        p = PickleBytes.proto(2)
                .op('P')
                .raw("x1\n".getBytes(StandardCharsets.US_ASCII))
                .stop();
        assertEquals("pid:x1", load(p));
        // BUILD with a state (a state dict's _metadata) leaves the object unchanged
        p = PickleBytes.proto(2)
                .emptyDict()
                .str("a")
                .integer(1)
                .setitem()
                .emptyDict()
                .str("_metadata")
                .emptyDict()
                .setitem()
                .op('b')
                .stop();
        assertEquals(Map.of("a", 1L), load(p));
    }

    @Test
    void refusesGlobalsOutsideTheAllowList() {
        String[][] globals = {
            {"posix", "system"},
            {"os", "system"},
            {"builtins", "eval"},
            {"builtins", "exec"},
            {"subprocess", "Popen"},
            {"torch.storage", "_load_from_bytes"},
            {"__builtin__", "open"},
            {"torch", "load"},
            {"collections", "OrderedDict\nos"}
        };
        for (String[] g : globals) {
            String expected = FILE + ": refusing to load: the pickle asks for global '" + g[0] + "." + g[1]
                    + "', which is not allowed in a state dict (only tensors and containers are accepted)";
            if (!g[1].contains("\n")) {
                assertEquals(
                        expected,
                        error(PickleBytes.proto(2)
                                .global(g[0], g[1])
                                .op(')')
                                .reduce()
                                .stop()));
            }
            assertEquals(
                    expected,
                    error(PickleBytes.proto(4)
                            .stackGlobal(g[0], g[1])
                            .op(')')
                            .reduce()
                            .stop()));
        }
    }

    @Test
    void theExactAttackFromTheBrief() {
        byte[] evil = "\u0080\u0002cposix\nsystem\nq\u0000X\u0002\u0000\u0000\u0000lsq\u0001\u0085q\u0002Rq\u0003."
                .getBytes(StandardCharsets.ISO_8859_1);
        assertContains(error(evil), "global 'posix.system'", "not allowed");
    }

    @Test
    void refusesObjectConstructingOpcodes() {
        assertContains(
                error(PickleBytes.proto(2)
                        .mark()
                        .op('i')
                        .raw("os\nsystem\n".getBytes())
                        .stop()),
                "refusing pickle opcode INST (0x69)",
                "at byte 3");
        assertContains(
                error(PickleBytes.proto(2)
                        .mark()
                        .global("torch", "Tensor")
                        .op('o')
                        .stop()),
                "refusing pickle opcode OBJ (0x6f)");
        assertContains(error(PickleBytes.proto(2).op(0x82, 1).stop()), "refusing pickle opcode EXT1 (0x82)");
    }

    @Test
    void unknownAndUnsupportedOpcodesNameByteAndPosition() {
        assertContains(
                error(new byte[] {(byte) 0x80, 2, ')', (byte) 0xfe, '.'}),
                "archive/data.pkl",
                "unknown pickle opcode 0xfe",
                "at byte 3");
        assertContains(
                error(new byte[] {(byte) 0x80, 2, 'I', '1', '\n', '.'}),
                "unsupported pickle opcode INT (0x49)",
                "at byte 2");
        assertContains(error(new byte[] {(byte) 0x80, 9, '.'}), "unsupported pickle protocol 9");
        assertContains(error(new byte[] {(byte) 0x80, 5, (byte) 0x97, '.'}), "NEXT_BUFFER (0x97)");
    }

    @Test
    void hostileLengthsFailWithoutAllocating() {
        // BINUNICODE claiming 2 GiB - 1 with 3 bytes left
        assertContains(
                error(PickleBytes.proto(2)
                        .op('X')
                        .le(0x7fffffff, 4)
                        .raw("abc".getBytes())
                        .bytes()),
                "length 2147483647 exceeds the 3 bytes left",
                "at byte 2");
        // BINUNICODE8 / BINBYTES8 lengths far beyond 2^31, and with the top bit set
        assertContains(
                error(PickleBytes.proto(4).op(0x8d).le(1L << 40, 8).op('.').bytes()), "exceeds");
        assertContains(
                error(PickleBytes.proto(4).op(0x8e).le(-1L, 8).op('.').bytes()), "length 18446744073709551615 exceeds");
        // LONG4 and BINSTRING take signed lengths
        assertContains(error(PickleBytes.proto(2).op(0x8b).le(-5, 4).op('.').bytes()), "exceeds");
        assertContains(
                error(PickleBytes.proto(2).op('T').le(0x80000000L, 4).op('.').bytes()), "exceeds");
        // a GLOBAL without newline
        byte[] endless = new byte[5000];
        java.util.Arrays.fill(endless, (byte) 'a');
        assertContains(error(PickleBytes.proto(2).op('c').raw(endless).bytes()), "unterminated or overlong");
    }

    @Test
    void structuralErrors() {
        assertContains(error(PickleBytes.proto(2).stop()), "stack underflow", "at byte 2");
        assertContains(error(PickleBytes.proto(2).integer(1).op('t').stop()), "no MARK");
        assertContains(error(PickleBytes.proto(2).emptyDict()), "input ended without STOP");
        assertContains(error(PickleBytes.proto(2).op('h', 5).stop()), "memo entry 5 is used before it is defined");
        assertContains(
                error(PickleBytes.proto(2).op(']').str("k").integer(1).setitem().stop()),
                "SETITEM expects a Map, found list");
        assertContains(
                error(PickleBytes.proto(2).emptyDict().integer(1).op('a').stop()), "APPEND expects a List, found dict");
        assertContains(
                error(PickleBytes.proto(2)
                        .global("torch", "Tensor")
                        .op(')')
                        .reduce()
                        .stop()),
                "calls str 'marker', which is not callable");
        assertContains(
                error(PickleBytes.proto(2).integer(1).integer(2).reduce().stop()),
                "REDUCE arguments expects a Tuple, found int");
        assertContains(error(PickleBytes.proto(2).mark().integer(1).op('d').stop()), "odd number of items");
        assertContains(
                error(PickleBytes.proto(2)
                        .emptyDict()
                        .op(']')
                        .integer(1)
                        .setitem()
                        .stop()),
                "unhashable list");
        assertContains(error(PickleBytes.proto(2).mark().str("x").op(0x93).stop()), "stack underflow");
        assertContains(
                error(PickleBytes.proto(2).integer(1).integer(2).op(0x93).stop()), "STACK_GLOBAL needs two strings");
    }

    @Test
    void deepNestingDoesNotOverflowTheStack() throws Exception {
        int depth = 1_000_000;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x80);
        b.write(2);
        for (int i = 0; i < depth; i++) {
            b.write(']');
        }
        for (int i = 1; i < depth; i++) {
            b.write('a');
        }
        b.write('.');
        Object o = load(b.toByteArray());
        int seen = 0;
        while (o instanceof List<?> l && !l.isEmpty()) {
            o = l.get(0);
            seen++;
        }
        assertEquals(depth - 1, seen);
        // the same nesting as a dict key would make Java hash recursively; it is refused like Python refuses it
        byte[] key = b.toByteArray();
        byte[] asKey = new byte[key.length + 3];
        asKey[0] = (byte) 0x80;
        asKey[1] = 2;
        asKey[2] = '}';
        System.arraycopy(key, 2, asKey, 3, key.length - 3);
        asKey[asKey.length - 3] = 'N';
        asKey[asKey.length - 2] = 's';
        asKey[asKey.length - 1] = '.';
        assertContains(error(asKey), "unhashable list");
    }

    @Test
    void selfReferenceIsFine() throws Exception {
        // l = []; l.append(l)
        List<?> l = (List<?>)
                load(PickleBytes.proto(2).op(']').put(0).get(0).op('a').stop());
        assertSame(l, l.get(0));
    }

    @Test
    void objectBudgetStopsPickleBombs() {
        byte[] bomb = new byte[SafeUnpickler.MAX_OBJECTS + 10];
        java.util.Arrays.fill(bomb, (byte) '}');
        bomb[0] = (byte) 0x80;
        bomb[1] = 2;
        assertContains(error(bomb), "pushes more than " + SafeUnpickler.MAX_OBJECTS + " values");
        // memo-driven amplification: one list, appended to itself from the memo millions of times
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) 0x80, 2, ']', 'q', 0, '('});
        for (int i = 0; i < SafeUnpickler.MAX_OBJECTS + 10; i++) {
            b.write('h');
            b.write(0);
        }
        assertContains(error(b.toByteArray()), "pushes more than");
    }
}
