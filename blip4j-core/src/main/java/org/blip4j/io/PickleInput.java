package org.blip4j.io;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The byte cursor of {@link SafeUnpickler}, mirroring the argument decoding of Python's {@code pickle} module (every
 * length is checked against the bytes left); hand-written because no JVM library reads torch zip checkpoints without
 * executing pickle code.
 */
final class PickleInput {
    private final Path file;
    private final String entry;
    private final byte[] data;
    /** Next byte to read. */
    int pos;
    /** Where the opcode being executed starts (for messages). */
    int opPos;

    PickleInput(Path file, String entry, byte[] data) {
        this.file = file;
        this.entry = entry;
        this.data = data;
    }

    boolean atEnd() {
        return pos >= data.length;
    }

    int length() {
        return data.length;
    }

    int u1() throws CheckpointFormatException {
        need(1);
        return data[pos++] & 0xff;
    }

    long u4() throws CheckpointFormatException {
        byte[] b = bytes(4);
        return (b[0] & 0xffL) | (b[1] & 0xffL) << 8 | (b[2] & 0xffL) << 16 | (b[3] & 0xffL) << 24;
    }

    long u8() throws CheckpointFormatException {
        byte[] b = bytes(8);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (b[i] & 0xffL);
        }
        return v; // a length with the top bit set is negative and rejected by need()
    }

    void skip(long n) throws CheckpointFormatException {
        need(n);
        pos += (int) n;
    }

    byte[] bytes(long n) throws CheckpointFormatException {
        need(n);
        byte[] b = new byte[(int) n];
        System.arraycopy(data, pos, b, 0, (int) n);
        pos += (int) n;
        return b;
    }

    private void need(long n) throws CheckpointFormatException {
        if (n < 0 || n > data.length - pos) {
            throw fail("length " + (n < 0 ? Long.toUnsignedString(n) : n) + " exceeds the " + (data.length - pos)
                    + " bytes left (truncated or corrupt pickle)");
        }
    }

    /** A newline-terminated ASCII argument (GLOBAL, PERSID), at most 1 KiB. */
    String line() throws CheckpointFormatException {
        int start = pos;
        while (pos < data.length && pos - start <= 1024) {
            if (data[pos++] == '\n') {
                return new String(data, start, pos - 1 - start, StandardCharsets.UTF_8);
            }
        }
        throw fail("unterminated or overlong text argument");
    }

    static Object longLE(byte[] b) {
        if (b.length == 0) {
            return 0L;
        }
        byte[] be = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            be[i] = b[b.length - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static String typeName(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof String s) {
            return "str '" + (s.length() > 60 ? s.substring(0, 60) + "..." : s) + "'";
        }
        if (o instanceof Long || o instanceof BigInteger) {
            return "int";
        }
        if (o instanceof Double) {
            return "float";
        }
        if (o instanceof Boolean) {
            return "bool";
        }
        if (o instanceof byte[]) {
            return "bytes";
        }
        if (o instanceof SafeUnpickler.Tuple) {
            return "tuple";
        }
        if (o instanceof List) {
            return "list";
        }
        if (o instanceof Map) {
            return "dict";
        }
        if (o instanceof Set) {
            return "set";
        }
        return o.toString();
    }

    CheckpointFormatException fail(String problem) {
        return fail(problem, opPos);
    }

    CheckpointFormatException fail(String problem, int at) {
        return new CheckpointFormatException(file, entry + ": " + problem + " at byte " + at);
    }

    static String opName(int op) {
        String names = "I:INT,L:LONG,F:FLOAT,S:STRING,V:UNICODE,p:PUT,g:GET,i:INST,o:OBJ,0x82:EXT1,0x83:EXT2,0x84:EXT4,"
                + "0x97:NEXT_BUFFER,0x98:READONLY_BUFFER";
        String key = op >= 0x21 && op < 0x7f ? String.valueOf((char) op) : String.format("0x%02x", op);
        for (String kv : names.split(",")) {
            int c = kv.lastIndexOf(':');
            if (kv.substring(0, c).equals(key)) {
                return kv.substring(c + 1) + String.format(" (0x%02x)", op);
            }
        }
        return String.format("0x%02x", op);
    }
}
