package org.blip4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blip4j.Blip;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.generate.GenerationDefaults;
import org.blip4j.image.RgbImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code blip4j caption}: one caption per image, beam search by default as the reference. */
@Command(
        name = "caption",
        mixinStandardHelpOptions = true,
        description = "Caption images (BLIP_Decoder.generate: 3 beams, max 30 tokens, min 10 by default).",
        footer = {
            "",
            "Examples:",
            "  blip4j caption -m models/blip-image-captioning-base photo.jpg",
            "  blip4j caption -m model/ --json photos/ > captions.jsonl",
            "  blip4j caption -m model/ --sample --top-p 0.9 --seed 7 'photos/*.jpg'",
            "  blip4j caption -m model/ --prefix \"a painting of\" art.png",
            "  find photos -name '*.jpg' | blip4j caption -m model/ -"
        })
final class CaptionCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Parameters(
            arity = "1..*",
            paramLabel = "IMAGE",
            description = "Image files, folders, globs, or - for a list on stdin.")
    List<String> inputs;

    @Option(
            names = "--beams",
            description = "Beam width; 1 = greedy (default: the model's generation_config.json, else 3).")
    Integer beams;

    @Option(
            names = "--max-length",
            description = "Max tokens incl. prompt (default: the model's generation_config.json, else 30).")
    Integer maxLength;

    @Option(
            names = "--min-length",
            description = "Min tokens incl. prompt (default: the model's generation_config.json, else 10).")
    Integer minLength;

    @Option(
            names = "--sample",
            description = "Nucleus sampling (top-p, repetition penalty 1.1, top-k 50) as BLIP's sample=True.")
    boolean sample;

    @Option(
            names = "--top-p",
            defaultValue = "0.9",
            description = "Nucleus mass when sampling (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--repetition-penalty", description = "Repetition penalty (default: 1.0, or 1.1 when sampling).")
    Double repetitionPenalty;

    @Option(
            names = "--no-repeat-ngram-size",
            paramLabel = "N",
            description = "Never repeat an n-gram of N tokens, Hugging Face's no_repeat_ngram_size; 0 = off "
                    + "(default: the model's generation_config.json, else 0).")
    Integer noRepeatNgramSize;

    @Option(
            names = "--prefix",
            description = "Conditional captioning: start the caption with this text (kept in the output).")
    String prefix;

    @Option(
            names = "--batch-size",
            defaultValue = "8",
            description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--int8",
            description = "Decode with int8 weights (FBGEMM dynamic quantisation of the text decoder's "
                    + "linear layers): faster, slightly different captions; see docs/performance.md.")
    boolean int8;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @ParentCommand
    Main parent;

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1) {
            throw new ParameterException(spec.commandLine(), "--batch-size must be at least 1");
        }
        generation(GenerationDefaults.NONE); // bad values are refused before the model loads
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        ObjectMapper json = new ObjectMapper();
        List<Path> files = Inputs.expand(inputs);
        try (Blip blip = model.load()) {
            if (int8) {
                Int8Option.apply(blip, spec);
            }
            Blip.CaptionOptions opts =
                    Blip.CaptionOptions.defaults().withGeneration(generation(blip.generationDefaults()));
            if (prefix != null) {
                opts = opts.withPrefix(prefix);
            }
            Progress progress = new Progress(err, files.size(), parent.progress);
            for (int start = 0; start < files.size(); start += batchSize) {
                List<Path> chunk = files.subList(start, Math.min(files.size(), start + batchSize));
                // decode the chunk, caption what decoded, then report every item in input order
                Exception[] failures = new Exception[chunk.size()];
                List<RgbImage> okImages = new ArrayList<>();
                for (int i = 0; i < chunk.size(); i++) {
                    try {
                        okImages.add(blip.readImage(chunk.get(i)));
                    } catch (Exception e) {
                        failures[i] = e;
                    }
                }
                List<String> captions = okImages.isEmpty() ? List.of() : blip.caption(okImages, opts);
                int next = 0;
                for (int i = 0; i < chunk.size(); i++) {
                    Path f = chunk.get(i);
                    if (failures[i] != null) {
                        Report.failure(out, err, json, model.json, "image", f, failures[i], model.verbose, progress);
                        progress.step(false);
                        continue;
                    }
                    String caption = captions.get(next++);
                    if (model.json) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("image", f.toString());
                        row.put("caption", caption);
                        out.println(json.writeValueAsString(row));
                    } else {
                        out.println(files.size() > 1 ? f + "\t" + caption : caption);
                    }
                    progress.step(true);
                }
                out.flush();
            }
            return progress.failed() > 0 ? 1 : 0;
        }
    }

    /** {@code gen} with the {@code --no-repeat-ngram-size} given, or unchanged (null); a negative size is refused. */
    static GenerationConfig withNoRepeat(GenerationConfig gen, Integer size) {
        if (size == null) {
            return gen;
        }
        if (size < 0) {
            throw new IllegalArgumentException("--no-repeat-ngram-size must be at least 0 (0 = off), got " + size);
        }
        return gen.withNoRepeatNgramSize(size);
    }

    /**
     * The decoding asked for: each option given, else the model's setting, else the reference's (3 beams, 30, 10, no
     * n-gram ban).
     */
    private GenerationConfig generation(GenerationDefaults model) {
        try {
            GenerationConfig gen = model.beam(beams, maxLength, minLength, 3, 30, 10);
            if (sample) {
                if (beams != null && beams > 1) {
                    throw new IllegalArgumentException(
                            "--sample draws one sequence at a time; use --beams 1 or leave it");
                }
                gen = GenerationConfig.nucleus(topP, gen.maxLength(), gen.minLength(), seed)
                        .withNoRepeatNgramSize(gen.noRepeatNgramSize());
            }
            gen = withNoRepeat(gen, noRepeatNgramSize);
            return repetitionPenalty != null ? gen.withRepetitionPenalty(repetitionPenalty) : gen;
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }
}
