package org.blip4j.io;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What {@link PthReader} found in a {@code torch.save} file, mirroring {@code torch.load(f)['model']}: the state dict
 * as contiguous tensors in file order plus storage sharing (tied weights); a hand-written reader's result, because no
 * JVM library reads torch zip checkpoints without executing pickle code.
 */
public final class PthCheckpoint {
    /**
     * Where a tensor came from in the checkpoint.
     *
     * @param storageKey the storage record {@code <archive>/data/<storageKey>}
     * @param storageType torch storage class name, e.g. FloatStorage
     * @param dtype element type
     * @param storageOffset offset of the first element, in elements
     * @param shape dimensions
     * @param stride strides in elements, as torch recorded them
     * @param copied true when the tensor was copied (non-contiguous view or byte-swapped), false when it is a
     *     zero-copy view of the file
     */
    public record TensorInfo(
            String storageKey,
            String storageType,
            DType dtype,
            long storageOffset,
            long[] shape,
            long[] stride,
            boolean copied) {
        public TensorInfo {
            shape = shape.clone();
            stride = stride.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public long[] stride() {
            return stride.clone();
        }
    }

    private final Path file;
    private final String archiveName;
    private final String version;
    private final List<String> topLevelKeys;
    private final String stateDictKey;
    private final Map<String, RawTensor> stateDict;
    private final Map<String, TensorInfo> tensorInfo;
    private final Map<String, Object> otherValues;
    private final Map<String, String> aliasOf;
    private final List<List<String>> sharedStorage;

    PthCheckpoint(
            Path file,
            String archiveName,
            String version,
            List<String> topLevelKeys,
            String stateDictKey,
            Map<String, RawTensor> stateDict,
            Map<String, TensorInfo> tensorInfo,
            Map<String, Object> otherValues,
            Map<String, String> aliasOf,
            List<List<String>> sharedStorage) {
        this.file = file;
        this.archiveName = archiveName;
        this.version = version;
        this.topLevelKeys = List.copyOf(topLevelKeys);
        this.stateDictKey = stateDictKey;
        this.stateDict = Collections.unmodifiableMap(stateDict);
        this.tensorInfo = Collections.unmodifiableMap(tensorInfo);
        this.otherValues = Collections.unmodifiableMap(otherValues);
        this.aliasOf = Collections.unmodifiableMap(aliasOf);
        this.sharedStorage = List.copyOf(sharedStorage);
    }

    public Path file() {
        return file;
    }

    /** The folder all archive entries live in (e.g. {@code archive} or the file stem). */
    public String archiveName() {
        return archiveName;
    }

    /** Content of {@code <archive>/version} (torch writes "3"), or null when absent. */
    public String version() {
        return version;
    }

    /** Keys of the top-level dict as strings (e.g. [model, optimizer, epoch]), for diagnostics. */
    public List<String> topLevelKeys() {
        return topLevelKeys;
    }

    /** The top-level key the state dict was taken from ("model" or "state_dict"), or null for a bare state dict. */
    public String stateDictKey() {
        return stateDictKey;
    }

    /** Every tensor of the state dict in file order (nested dicts flattened with '.'); contiguous little-endian. */
    public Map<String, RawTensor> stateDict() {
        return stateDict;
    }

    /** Storage, offset and strides of each tensor in {@link #stateDict()}. */
    public Map<String, TensorInfo> tensorInfo() {
        return tensorInfo;
    }

    /** Non-tensor entries of the state dict (Long, Double, Boolean, String, null, lists...), in file order. */
    public Map<String, Object> otherValues() {
        return otherValues;
    }

    /**
     * Tied weights: key to the first key (in file order) that is the very same view (same storage, offset, shape,
     * stride and dtype). The first key of each group is not in the map.
     */
    public Map<String, String> aliasOf() {
        return aliasOf;
    }

    /** Groups (size >= 2, file order) of keys whose tensors share a storage, whether or not the views are equal. */
    public List<List<String>> sharedStorage() {
        return sharedStorage;
    }

    /** The tensor for {@code key}, or a {@link CheckpointFormatException} naming the file when it is absent. */
    public RawTensor tensor(String key) throws CheckpointFormatException {
        RawTensor t = stateDict.get(key);
        if (t == null) {
            throw new CheckpointFormatException(file, "no tensor named '" + key + "' in the state dict");
        }
        return t;
    }
}
