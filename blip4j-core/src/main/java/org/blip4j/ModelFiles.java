package org.blip4j;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files that make up a model: weights, config (HF {@code config.json} or BLIP's {@code med_config.json}),
 * tokenizer folder, optional {@code preprocessor_config.json} and optional {@code generation_config.json} (the model's
 * own caption lengths and beams, {@link org.blip4j.generate.GenerationDefaults}).
 *
 * <p>Accepted: a Hugging Face model folder ({@code config.json} + {@code model.safetensors} or
 * {@code pytorch_model.bin}); a weight file ({@code .safetensors}, {@code .pth}, {@code .bin}) whose folder holds the
 * config and tokenizer; a folder with exactly one {@code .pth} next to {@code med_config.json}.
 */
public record ModelFiles(
        Path weights,
        Path hfConfig,
        Path medConfig,
        Path tokenizerDir,
        Path preprocessorConfig,
        Path generationConfig) {

    private static final List<String> HF_WEIGHTS = List.of("model.safetensors", "pytorch_model.bin");

    /** Resolves a local path; every problem is reported with the path and what is missing. */
    public static ModelFiles resolve(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new FileNotFoundException(path + ": model path not found (give a model folder or a weight file)");
        }
        Path dir;
        Path weights;
        if (Files.isDirectory(path)) {
            dir = path;
            weights = HF_WEIGHTS.stream()
                    .map(dir::resolve)
                    .filter(Files::isRegularFile)
                    .findFirst()
                    .orElse(null);
            if (weights == null) {
                List<Path> found;
                try (Stream<Path> s = Files.list(dir)) {
                    found = s.filter(p -> {
                                String n = p.getFileName().toString();
                                return n.endsWith(".safetensors") || n.endsWith(".pth") || n.endsWith(".bin");
                            })
                            .sorted()
                            .toList();
                }
                if (found.isEmpty()) {
                    throw new FileNotFoundException(dir
                            + ": no weights found (expected model.safetensors, pytorch_model.bin " + "or a .pth file)");
                }
                if (found.size() > 1) {
                    throw new IOException(dir + ": several weight files, name one of them: "
                            + found.stream()
                                    .map(p -> p.getFileName().toString())
                                    .toList());
                }
                weights = found.get(0);
            }
        } else {
            weights = path;
            dir = path.toAbsolutePath().getParent();
        }
        Path hf = dir.resolve("config.json");
        Path med = dir.resolve("med_config.json");
        Path pre = dir.resolve("preprocessor_config.json");
        Path gen = dir.resolve(org.blip4j.generate.GenerationDefaults.FILE);
        if (!Files.isRegularFile(hf) && !Files.isRegularFile(med)) {
            throw new FileNotFoundException(dir + ": no config.json (Hugging Face) or med_config.json (original BLIP) "
                    + "next to " + weights.getFileName());
        }
        if (!Files.isRegularFile(dir.resolve("tokenizer.json")) && !Files.isRegularFile(dir.resolve("vocab.txt"))) {
            throw new FileNotFoundException(
                    dir + ": no tokenizer (tokenizer.json or vocab.txt) next to " + weights.getFileName());
        }
        return new ModelFiles(
                weights,
                Files.isRegularFile(hf) ? hf : null,
                Files.isRegularFile(med) ? med : null,
                dir,
                Files.isRegularFile(pre) ? pre : null,
                Files.isRegularFile(gen) ? gen : null);
    }
}
