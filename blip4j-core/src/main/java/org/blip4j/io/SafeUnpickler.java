package org.blip4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle virtual machine (the binary opcodes of protocols 2-5, as Python's {@code pickle._Unpickler} runs them)
 * that never executes code: globals resolve only through an explicit allow-list of Java stand-ins. Hand-written
 * because no JVM library reads torch zip checkpoints without executing pickle code.
 *
 * <p>Results are plain Java values: {@code null} (None), Boolean, Long or BigInteger, Double, String, byte[],
 * {@link Tuple}, ArrayList, LinkedHashMap, LinkedHashSet, and whatever the allow-listed callables return. The VM is
 * iterative, bounds every length by the remaining input and caps the number of objects it creates, so hostile input
 * ends in a {@link CheckpointFormatException} rather than a stack overflow or OutOfMemoryError.
 */
public final class SafeUnpickler {
    /** Most values one pickle may push, bounding what it can make us allocate (a BLIP-large state dict: ~30 000). */
    public static final int MAX_OBJECTS = 2_000_000;

    /** A Python tuple: immutable, compared by identity so that hostile nesting cannot recurse in hashCode. */
    public static final class Tuple {
        public static final Tuple EMPTY = new Tuple(List.of());
        private final List<Object> items;

        public Tuple(List<Object> items) {
            this.items = Collections.unmodifiableList(new ArrayList<>(items));
        }

        public List<Object> items() {
            return items;
        }

        public int size() {
            return items.size();
        }

        public Object get(int i) {
            return items.get(i);
        }

        @Override
        public String toString() {
            return "tuple(" + items.size() + ")";
        }
    }

    /** Java stand-in for an allow-listed global that the pickle may call (REDUCE, NEWOBJ). */
    @FunctionalInterface
    public interface PyCallable {
        /** Throws IllegalArgumentException (or ClassCastException) when the arguments are unusable. */
        Object call(List<Object> args) throws IOException;
    }

    /** Resolves BINPERSID / PERSID references (torch: storages). */
    @FunctionalInterface
    public interface PersistentLoader {
        Object load(Object pid) throws IOException;
    }

    private final Path file;
    private final String entry;
    private final Map<String, Object> globals;
    private final PersistentLoader persistent;
    private PickleInput in;
    private int created;

    /**
     * @param file checkpoint named in error messages
     * @param entry name of the pickle inside the file (for messages), e.g. {@code archive/data.pkl}
     * @param globals allow-list: "module.name" to a {@link PyCallable} or an inert marker object
     * @param persistent resolves persistent ids; null refuses them
     */
    public SafeUnpickler(Path file, String entry, Map<String, Object> globals, PersistentLoader persistent) {
        this.file = file;
        this.entry = entry;
        this.globals = Map.copyOf(globals);
        this.persistent = persistent;
    }

    /** Runs the pickle and returns the object STOP leaves on the stack. */
    public Object load(byte[] pickle) throws CheckpointFormatException {
        this.in = new PickleInput(file, entry, pickle);
        this.created = 0;
        try {
            return run();
        } catch (CheckpointFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw in.fail("bad arguments (" + e.getMessage() + ")");
        } catch (StackOverflowError e) {
            throw in.fail("objects nested too deeply");
        }
    }

    private Object run() throws IOException {
        List<Object> stack = new ArrayList<>();
        List<Integer> marks = new ArrayList<>();
        Map<Long, Object> memo = new HashMap<>();
        while (true) {
            if (in.atEnd()) {
                throw in.fail("truncated pickle: input ended without STOP", in.length());
            }
            in.opPos = in.pos;
            int op = in.u1();
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = in.u1();
                    if (v > 5) {
                        throw in.fail("unsupported pickle protocol " + v);
                    }
                }
                case 0x95 -> in.skip(8); // FRAME: framing is only a read-ahead hint
                case '.' -> { // STOP
                    return pop(stack, marks);
                }
                case '(' -> marks.add(stack.size());
                case '0' -> pop(stack, marks);
                case '1' -> popMark(stack, marks);
                case '2' -> push(stack, peek(stack, marks));
                case '}' -> push(stack, new LinkedHashMap<>());
                case ']' -> push(stack, new ArrayList<>());
                case ')' -> push(stack, Tuple.EMPTY);
                case 0x8f -> push(stack, new LinkedHashSet<>()); // EMPTY_SET
                case 0x90 -> { // ADDITEMS
                    List<Object> items = popMark(stack, marks);
                    Set<Object> set = as(Set.class, peek(stack, marks), "ADDITEMS");
                    for (Object o : items) {
                        set.add(hashable(o));
                    }
                }
                case 0x91 -> { // FROZENSET
                    Set<Object> set = new LinkedHashSet<>();
                    for (Object o : popMark(stack, marks)) {
                        set.add(hashable(o));
                    }
                    push(stack, Collections.unmodifiableSet(set));
                }
                case 't' -> push(stack, new Tuple(popMark(stack, marks)));
                case 0x85, 0x86, 0x87 -> { // TUPLE1..3
                    int n = op - 0x84;
                    List<Object> items = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        items.add(0, pop(stack, marks));
                    }
                    push(stack, new Tuple(items));
                }
                case 'l' -> push(stack, popMark(stack, marks)); // LIST
                case 'd' -> { // DICT
                    Map<Object, Object> m = new LinkedHashMap<>();
                    putPairs(m, popMark(stack, marks));
                    push(stack, m);
                }
                case 'q' -> memo.put((long) in.u1(), peek(stack, marks)); // BINPUT
                case 'r' -> memo.put(in.u4(), peek(stack, marks)); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek(stack, marks)); // MEMOIZE
                case 'h', 'j' -> { // BINGET, LONG_BINGET
                    long k = op == 'h' ? in.u1() : in.u4();
                    if (!memo.containsKey(k)) {
                        throw in.fail("memo entry " + k + " is used before it is defined");
                    }
                    push(stack, memo.get(k));
                }
                case 'J' -> push(stack, (long) (int) in.u4()); // BININT
                case 'K' -> push(stack, (long) in.u1()); // BININT1
                case 'M' -> push(stack, (long) in.u1() | ((long) in.u1() << 8)); // BININT2
                case 0x8a -> push(stack, PickleInput.longLE(in.bytes(in.u1()))); // LONG1
                case 0x8b -> push(stack, PickleInput.longLE(in.bytes((int) in.u4()))); // LONG4, signed length
                case 'G' -> push(stack, ByteBuffer.wrap(in.bytes(8)).getDouble()); // BINFLOAT, big-endian
                case 0x88 -> push(stack, Boolean.TRUE);
                case 0x89 -> push(stack, Boolean.FALSE);
                case 'N' -> push(stack, null);
                case 0x8c -> push(stack, PickleInput.utf8(in.bytes(in.u1()))); // SHORT_BINUNICODE
                case 'X' -> push(stack, PickleInput.utf8(in.bytes(in.u4()))); // BINUNICODE
                case 0x8d -> push(stack, PickleInput.utf8(in.bytes(in.u8()))); // BINUNICODE8
                case 'U' -> push(stack, PickleInput.utf8(in.bytes(in.u1()))); // SHORT_BINSTRING (py2 str, UTF-8)
                case 'T' -> push(stack, PickleInput.utf8(in.bytes((int) in.u4()))); // BINSTRING (signed length)
                case 'C' -> push(stack, in.bytes(in.u1())); // SHORT_BINBYTES
                case 'B' -> push(stack, in.bytes(in.u4())); // BINBYTES
                case 0x8e, 0x96 -> push(stack, in.bytes(in.u8())); // BINBYTES8, BYTEARRAY8
                case 'c' -> push(stack, resolve(in.line(), in.line())); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(stack, marks);
                    Object module = pop(stack, marks);
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw in.fail(
                                "STACK_GLOBAL needs two strings, got " + typeName(module) + " and " + typeName(name));
                    }
                    push(stack, resolve(m, n));
                }
                case 'R', 0x81 -> { // REDUCE, NEWOBJ (cls.__new__(cls, *args) is the same call for our stand-ins)
                    Tuple args =
                            as(Tuple.class, pop(stack, marks), op == 'R' ? "REDUCE arguments" : "NEWOBJ arguments");
                    push(stack, call(pop(stack, marks), args.items()));
                }
                case 0x92 -> { // NEWOBJ_EX
                    Map<?, ?> kwargs = as(Map.class, pop(stack, marks), "NEWOBJ_EX keyword arguments");
                    Tuple args = as(Tuple.class, pop(stack, marks), "NEWOBJ_EX arguments");
                    if (!kwargs.isEmpty()) {
                        throw in.fail("NEWOBJ_EX with keyword arguments is not supported");
                    }
                    push(stack, call(pop(stack, marks), args.items()));
                }
                case 'b' -> { // BUILD: object state (e.g. a state dict's _metadata attribute) is not needed; drop it
                    pop(stack, marks);
                    peek(stack, marks);
                }
                case 's' -> { // SETITEM
                    Object v = pop(stack, marks);
                    Object k = pop(stack, marks);
                    Map<Object, Object> m = as(Map.class, peek(stack, marks), "SETITEM");
                    m.put(hashable(k), v);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark(stack, marks);
                    putPairs(as(Map.class, peek(stack, marks), "SETITEMS"), items);
                }
                case 'a' -> { // APPEND
                    Object v = pop(stack, marks);
                    List<Object> l = as(List.class, peek(stack, marks), "APPEND");
                    l.add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark(stack, marks);
                    List<Object> l = as(List.class, peek(stack, marks), "APPENDS");
                    l.addAll(items);
                }
                case 'Q', 'P' -> { // BINPERSID, PERSID
                    Object pid = op == 'Q' ? pop(stack, marks) : in.line();
                    if (persistent == null) {
                        throw in.fail("persistent id " + typeName(pid) + " is not allowed here");
                    }
                    push(stack, persistent.load(pid));
                }
                case 'i', 'o', 0x82, 0x83, 0x84 ->
                    throw in.fail("refusing pickle opcode " + PickleInput.opName(op)
                            + " (it constructs arbitrary objects; a state dict never needs it)");
                default -> {
                    String name = PickleInput.opName(op);
                    throw in.fail(
                            name.startsWith("0x")
                                    ? "unknown pickle opcode " + name + " (corrupt data?)"
                                    : "unsupported pickle opcode " + name);
                }
            }
        }
    }

    private Object resolve(String module, String name) throws CheckpointFormatException {
        String full = module + "." + name;
        if (!globals.containsKey(full)) {
            throw new CheckpointFormatException(
                    file,
                    "refusing to load: the pickle asks for global '" + full
                            + "', which is not allowed in a state dict (only tensors and containers are accepted)");
        }
        return globals.get(full);
    }

    private Object call(Object f, List<Object> args) throws IOException {
        if (!(f instanceof PyCallable c)) {
            throw in.fail("the pickle calls " + typeName(f) + ", which is not callable");
        }
        return c.call(args);
    }

    private void putPairs(Map<Object, Object> m, List<Object> items) throws CheckpointFormatException {
        if (items.size() % 2 != 0) {
            throw in.fail("odd number of items for a dict");
        }
        for (int i = 0; i < items.size(); i += 2) {
            m.put(hashable(items.get(i)), items.get(i + 1));
        }
    }

    /** Python refuses unhashable keys; Java would recurse into them (or loop on cycles), so refuse them too. */
    private Object hashable(Object k) throws CheckpointFormatException {
        if (k instanceof List || k instanceof Map || k instanceof Set) {
            throw in.fail("unhashable " + typeName(k) + " used as a dict key or set element");
        }
        return k;
    }

    private void push(List<Object> stack, Object o) throws CheckpointFormatException {
        if (++created > MAX_OBJECTS) {
            throw in.fail("the pickle pushes more than " + MAX_OBJECTS + " values; refusing (not a state dict?)");
        }
        stack.add(o);
    }

    private Object pop(List<Object> stack, List<Integer> marks) throws CheckpointFormatException {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) {
            throw in.fail("stack underflow");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek(List<Object> stack, List<Integer> marks) throws CheckpointFormatException {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) {
            throw in.fail("stack underflow");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark(List<Object> stack, List<Integer> marks) throws CheckpointFormatException {
        if (marks.isEmpty()) {
            throw in.fail("no MARK on the stack");
        }
        int m = marks.remove(marks.size() - 1);
        List<Object> tail = stack.subList(m, stack.size());
        List<Object> items = new ArrayList<>(tail);
        tail.clear();
        return items;
    }

    @SuppressWarnings("unchecked")
    private <T> T as(Class<? super T> type, Object o, String what) throws CheckpointFormatException {
        if (!type.isInstance(o)) {
            throw in.fail(what + " expects a " + type.getSimpleName() + ", found " + typeName(o));
        }
        return (T) o;
    }

    /** A short Python-style type name for messages (never renders contents, which may be cyclic). */
    public static String typeName(Object o) {
        return PickleInput.typeName(o);
    }
}
