package org.blip4j.weights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.blip4j.io.CheckpointFormatException;
import org.blip4j.io.RawTensor;
import org.blip4j.io.SafeTensors;

/** Reads a state dict from any supported weight file: safetensors or a {@code torch.save} zip checkpoint. */
public final class Checkpoints {
    private Checkpoints() {}

    /** Tensors by name, in file order (safetensors are memory-mapped; keys as stored). */
    public static Map<String, RawTensor> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new CheckpointFormatException(file, "file not found");
        }
        String name = file.getFileName().toString();
        if (name.endsWith(".safetensors")) {
            SafeTensors st = SafeTensors.open(file); // mappings stay valid after close
            try (st) {
                return st.readAll();
            }
        }
        return org.blip4j.io.PthReader.read(file).stateDict();
    }
}
