package org.blip4j.weights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blip4j.engine.T;
import org.blip4j.io.RawTensor;
import org.blip4j.io.SafeTensors;
import org.blip4j.nn.Block;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Loads a state dict into a block tree by walking names, mirrors BLIP's {@code load_checkpoint} (position-embedding
 * interpolation, {@code position_ids} ignored) but fails on any missing, unexpected or mis-shaped tensor the policy
 * does not name.
 */
public final class WeightLoader {
    private WeightLoader() {}

    /** Turns Hugging Face names into original names (a no-op on original checkpoints). */
    public static Map<String, RawTensor> canonical(Map<String, RawTensor> stateDict) {
        boolean hf = stateDict.keySet().stream().anyMatch(HfKeys::isHfName);
        if (!hf) {
            return stateDict;
        }
        Map<String, RawTensor> out = new LinkedHashMap<>();
        stateDict.forEach((k, v) -> out.put(HfKeys.toOriginal(k), v));
        return out;
    }

    /** Loads and returns the report; throws {@link WeightLoadException} when the policy is violated. */
    public static LoadReport load(Block model, Map<String, RawTensor> stateDict, LoadPolicy policy, String source)
            throws WeightLoadException {
        Map<String, RawTensor> sd = canonical(stateDict);
        Map<String, Tensor> named = model.namedTensors();
        // Names sharing one tensor (tied LM head, decoder bias) are satisfied when any of them is in the checkpoint.
        IdentityHashMap<Tensor, List<String>> aliases = new IdentityHashMap<>();
        named.forEach(
                (k, t) -> aliases.computeIfAbsent(t, x -> new ArrayList<>()).add(k));
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        List<String> interpolated = new ArrayList<>();
        int loaded = 0;
        // A safetensors state dict can fill model tensors straight from the file (no mapped pages left resident).
        SafeTensors.StateDict file = stateDict instanceof SafeTensors.StateDict f ? f : null;
        IdentityHashMap<RawTensor, String> fileKeys = new IdentityHashMap<>();
        if (file != null) {
            file.forEach((k, v) -> fileKeys.put(v, k));
        }
        try (PointerScope scope = new PointerScope();
                NoGradGuard ng = new NoGradGuard();
                SafeTensors.StateDict.Reader reader = file == null ? null : openReader(file)) {
            for (var e : named.entrySet()) {
                String name = e.getKey();
                Tensor dst = e.getValue();
                RawTensor src = sd.get(name);
                if (src == null) {
                    boolean viaAlias = aliases.get(dst).stream().anyMatch(sd::containsKey);
                    if (!viaAlias && !policy.missingAllowed(name)) {
                        missing.add(name);
                    }
                    continue;
                }
                long[] want = T.shape(dst);
                if (name.endsWith("pos_embed")
                        && src.shape().length == 3
                        && !Arrays.equals(src.shape(), want)
                        && src.shape()[2] == want[2]) {
                    Tensor resized = PosEmbed.interpolate(T.fromRaw(src).to(torch.ScalarType.Float), want[1]);
                    interpolated.add(name + ": " + src.shape()[1] + " → " + want[1] + " tokens (bicubic)");
                    dst.copy_(resized);
                    loaded++;
                    continue;
                }
                if (!Arrays.equals(src.shape(), want)) {
                    mismatched.add(name + ": checkpoint " + Arrays.toString(src.shape()) + " vs model "
                            + Arrays.toString(want));
                    continue;
                }
                if (!src.dtype().isFloating() && dst.is_floating_point()) {
                    mismatched.add(name + ": checkpoint holds " + src.dtype() + ", model expects floating point");
                    continue;
                }
                copy(dst, src, reader, fileKeys.get(src));
                loaded++;
            }
        }
        List<String> unexpected = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        for (String k : sd.keySet()) {
            if (!named.containsKey(k)) {
                (policy.ignored(k) ? ignored : unexpected).add(k);
            }
        }
        LoadReport report = new LoadReport(source, loaded, missing, unexpected, mismatched, ignored, interpolated);
        if (!report.ok()) {
            throw new WeightLoadException(report);
        }
        return report;
    }

    /**
     * Copies checkpoint values into a model tensor: read from the file straight into the tensor's memory when the
     * tensor came from a safetensors reader and needs no conversion, else through the (mapped) checkpoint tensor.
     */
    private static void copy(Tensor dst, RawTensor src, SafeTensors.StateDict.Reader reader, String fileKey) {
        if (reader != null
                && fileKey != null
                && src.numel() > 0
                && dst.is_contiguous()
                && T.dtype(dst.scalar_type()) == src.dtype()) {
            try {
                reader.readInto(fileKey, T.memory(dst));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } else {
            T.copyInto(dst, src);
        }
    }

    private static SafeTensors.StateDict.Reader openReader(SafeTensors.StateDict file) {
        try {
            return file.openReader();
        } catch (IOException e) {
            return null; // the mapped views still work
        }
    }

    /** Thrown when a checkpoint does not fit; the message lists every offending name. */
    public static final class WeightLoadException extends IOException {
        private final LoadReport report;

        public WeightLoadException(LoadReport report) {
            super(report.describe());
            this.report = report;
        }

        public LoadReport report() {
            return report;
        }
    }
}
