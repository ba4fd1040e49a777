package org.blip4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blip4j.io.PthCheckpoint.TensorInfo;
import org.blip4j.io.SafeUnpickler.Tuple;
import org.blip4j.io.TorchGlobals.StorageRef;
import org.blip4j.io.TorchGlobals.StorageType;
import org.blip4j.io.TorchGlobals.TensorRef;

/**
 * Reads {@code torch.save} checkpoints in the zip format (PyTorch >= 1.6), mirroring {@code torch.load(f,
 * weights_only=True)}; hand-written because no JVM library reads torch zip checkpoints without executing pickle code.
 *
 * <p>The zip directory is parsed by hand (ZIP64 included) and each storage is memory-mapped, so the weights never
 * pass through the Java heap unless a view has to be made contiguous. {@code data.pkl} runs in a {@link
 * SafeUnpickler} whose allow-list holds only tensor-rebuilding functions, storage types and containers.
 */
public final class PthReader {
    /** Largest data.pkl accepted; real state dicts need well under 1 MiB. */
    static final long MAX_PICKLE_BYTES = 256L << 20;

    private PthReader() {}

    /** Reads a checkpoint; every failure is a {@link CheckpointFormatException} naming the file and the problem. */
    public static PthCheckpoint read(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new CheckpointFormatException(file, "is a directory, expected a PyTorch checkpoint file (.pth)");
        }
        if (!Files.exists(file)) {
            throw new CheckpointFormatException(file, "file not found");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(file, ch);
        } catch (NoSuchFileException e) {
            throw new CheckpointFormatException(file, "file not found");
        } catch (CheckpointFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new CheckpointFormatException(file, "unreadable or corrupt checkpoint (" + e + ")", e);
        }
    }

    private static PthCheckpoint read(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size == 0) {
            throw new CheckpointFormatException(file, "empty file (0 bytes), not a PyTorch checkpoint");
        }
        byte[] head = ZipDirectory.readAt(ch, 0, (int) Math.min(size, 16)).array();
        ZipDirectory zip = ZipDirectory.read(file, ch);
        if (zip == null) {
            throw new CheckpointFormatException(file, diagnoseNonZip(head, size));
        }
        String archive = findArchive(file, zip);
        boolean bigEndian = false;
        ZipDirectory.Entry bo = zip.get(archive + "/byteorder");
        if (bo != null) {
            String order = new String(zip.readAll(bo), StandardCharsets.US_ASCII).strip();
            if (!order.equals("little") && !order.equals("big")) {
                throw new CheckpointFormatException(file, "unknown byte order '" + order + "' in " + bo.name);
            }
            bigEndian = order.equals("big");
        }
        ZipDirectory.Entry ver = zip.get(archive + "/version");
        String version =
                ver == null || ver.size > 64 ? null : new String(zip.readAll(ver), StandardCharsets.UTF_8).strip();
        ZipDirectory.Entry pkl = zip.get(archive + "/data.pkl");
        if (pkl.size > MAX_PICKLE_BYTES) {
            throw new CheckpointFormatException(
                    file, pkl.name + " is " + pkl.size + " bytes; refusing (a state dict " + "needs far less)");
        }
        SafeUnpickler unpickler =
                new SafeUnpickler(file, pkl.name, TorchGlobals.allowList(), pid -> storage(file, zip, archive, pid));
        Object top = unpickler.load(zip.readAll(pkl));

        if (!(top instanceof Map<?, ?> topMap)) {
            throw new CheckpointFormatException(
                    file,
                    "the checkpoint holds a " + SafeUnpickler.typeName(top)
                            + ", expected a dict (a state dict, or a dict with a 'model' or 'state_dict' entry)");
        }
        List<String> topKeys = new ArrayList<>();
        topMap.keySet().forEach(k -> topKeys.add(String.valueOf(k)));
        String sdKey = null;
        Map<?, ?> sd = topMap;
        for (String k : List.of("model", "state_dict")) {
            if (topMap.get(k) instanceof Map<?, ?> m) {
                sdKey = k;
                sd = m;
                break;
            }
        }
        Map<String, TensorRef> refs = new LinkedHashMap<>();
        Map<String, Object> other = new LinkedHashMap<>();
        flatten(sd, refs, other);
        if (refs.isEmpty()) {
            throw new CheckpointFormatException(
                    file, "no tensors found in the checkpoint (top-level keys: " + topKeys + ")");
        }

        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        Map<String, String> aliasOf = new LinkedHashMap<>();
        Map<String, String> firstOfView = new LinkedHashMap<>();
        Map<String, List<String>> byStorage = new LinkedHashMap<>();
        for (var e : refs.entrySet()) {
            String key = e.getKey();
            TensorRef t = e.getValue();
            StorageRef s = t.storage();
            StridedView.Result r =
                    StridedView.materialize(file, key, t, zip, zip.get(archive + "/data/" + s.key()), bigEndian);
            tensors.put(key, r.tensor());
            infos.put(
                    key,
                    new TensorInfo(s.key(), s.type().name(), t.dtype(), t.offset(), t.shape(), t.stride(), r.copied()));
            String view = s.key() + "|" + t.dtype() + "|" + t.offset() + "|" + Arrays.toString(t.shape()) + "|"
                    + Arrays.toString(t.stride());
            String first = firstOfView.putIfAbsent(view, key);
            if (first != null) {
                aliasOf.put(key, first);
            }
            byStorage.computeIfAbsent(s.key(), k -> new ArrayList<>()).add(key);
        }
        List<List<String>> shared = new ArrayList<>();
        byStorage.values().stream().filter(g -> g.size() > 1).forEach(shared::add);
        return new PthCheckpoint(file, archive, version, topKeys, sdKey, tensors, infos, other, aliasOf, shared);
    }

    /** The folder holding data.pkl: torch names it after the file stem or "archive". */
    private static String findArchive(Path file, ZipDirectory zip) throws CheckpointFormatException {
        List<String> names = new ArrayList<>(zip.entries().keySet());
        String found = null;
        for (String n : names) {
            int slash = n.indexOf('/');
            if (slash > 0 && n.endsWith("/data.pkl") && n.length() == slash + 9) {
                found = n.substring(0, slash);
                break;
            }
        }
        if (found == null) {
            List<String> sample = names.subList(0, Math.min(names.size(), 5));
            throw new CheckpointFormatException(
                    file,
                    "a zip archive without '<folder>/data.pkl' is not a torch.save " + "checkpoint (entries: " + sample
                            + (names.size() > 5 ? ", ..." : "") + ")");
        }
        String prefix = found;
        if (zip.get(found + "/constants.pkl") != null
                || names.stream().anyMatch(n -> n.startsWith(prefix + "/code/"))) {
            throw new CheckpointFormatException(
                    file,
                    "this is a TorchScript archive (torch.jit.save), not a torch.save "
                            + "state dict; save model.state_dict() with torch.save instead");
        }
        return found;
    }

    /** persistent_load: {@code ('storage', storage_type, key, location, numel)}. */
    private static Object storage(Path file, ZipDirectory zip, String archive, Object pid)
            throws CheckpointFormatException {
        if (!(pid instanceof Tuple t)
                || t.size() < 5
                || !"storage".equals(t.get(0))
                || !(t.get(1) instanceof StorageType type)
                || !(t.get(4) instanceof Long numel)
                || numel < 0) {
            throw new CheckpointFormatException(
                    file,
                    "data.pkl has a persistent id that is not a storage record "
                            + "('storage', type, key, location, numel)");
        }
        if (TorchGlobals.UNSUPPORTED_STORAGES.contains(type.name())) {
            throw new CheckpointFormatException(
                    file,
                    "unsupported storage type torch." + type.name() + " (complex and "
                            + "quantized tensors are not supported; only float, half, bfloat16, double, integer and bool)");
        }
        String key = String.valueOf(t.get(2));
        ZipDirectory.Entry e = zip.get(archive + "/data/" + key);
        if (e == null) {
            throw new CheckpointFormatException(
                    file,
                    "data.pkl refers to storage '" + key + "' but the archive has no " + "entry '" + archive + "/data/"
                            + key + "' (incomplete or corrupt checkpoint)");
        }
        DType d = type.dtype();
        if (d != null && (numel > Long.MAX_VALUE / d.bytes() || e.size < numel * d.bytes())) {
            throw new CheckpointFormatException(
                    file,
                    "storage '" + key + "' should hold " + numel + " elements of " + d + " but " + e.name + " has only "
                            + e.size + " bytes: the storage is too small (truncated checkpoint?)");
        }
        return new StorageRef(key, type, String.valueOf(t.get(3)), numel);
    }

    /** Splits a (possibly nested) state dict into tensors and other values in file order, joining keys with '.'. */
    private static void flatten(Map<?, ?> root, Map<String, TensorRef> refs, Map<String, Object> other) {
        Deque<Map.Entry<String, Iterator<? extends Map.Entry<?, ?>>>> stack = new ArrayDeque<>();
        Map<Object, Boolean> seen = new IdentityHashMap<>();
        seen.put(root, true);
        stack.push(Map.entry("", root.entrySet().iterator()));
        while (!stack.isEmpty()) {
            var top = stack.peek();
            if (!top.getValue().hasNext()) {
                stack.pop();
                continue;
            }
            var e = top.getValue().next();
            String key = top.getKey() + e.getKey();
            if (e.getValue() instanceof TensorRef t) {
                refs.put(key, t);
            } else if (e.getValue() instanceof Map<?, ?> m && stack.size() < 64 && seen.put(m, true) == null) {
                stack.push(Map.entry(key + ".", m.entrySet().iterator()));
            } else {
                other.put(key, e.getValue());
            }
        }
    }

    private static String diagnoseNonZip(byte[] h, long size) {
        if (h.length >= 4 && h[0] == 'P' && h[1] == 'K' && h[2] == 3 && h[3] == 4) {
            return "truncated or corrupt zip archive: it starts like a torch.save checkpoint but has no end-of-central-"
                    + "directory record (" + size + " bytes; incomplete download or copy?)";
        }
        if (h.length >= 2 && (h[0] & 0xff) == 0x80 && h[1] >= 1 && h[1] <= 5) {
            return "legacy (non-zip) PyTorch serialization format, which is not supported; convert it with PyTorch >= 1.6:"
                    + " torch.save(torch.load('old.pth'), 'new.pth') (the zip format is the default since 1.6)";
        }
        if (h.length >= 9
                && h[8] == '{'
                && ByteBuffer.wrap(h, 0, 8)
                                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                                .getLong()
                        < size) {
            return "this is a safetensors file, not a torch.save checkpoint; open it with SafeTensors.open";
        }
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(h.length, 8); i++) {
            hex.append(String.format("%02x", h[i] & 0xff));
        }
        return "not a PyTorch checkpoint: neither a zip archive (torch.save since PyTorch 1.6) nor a legacy pickle "
                + "(first bytes: " + hex + ")";
    }
}
