package org.blip4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blip4j.Blip;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code blip4j embed}: projected, normalised ITC embeddings of images or texts as JSON Lines. */
@Command(
        name = "embed",
        mixinStandardHelpOptions = true,
        description = {
            "Write ITC embeddings (normalised projections) of images and/or texts as JSON Lines.",
            "With --raw, the unprojected features of BLIP's feature extractor instead: image = ViT hidden states (N x W, "
                    + "[CLS] first), text = [CLS] state of the text encoder (D); --multimodal adds one row per image and "
                    + "text: the [ENC] state of the text cross-attending to the image (D)."
        },
        footer = {
            "",
            "Examples:",
            "  blip4j embed -m models/blip-itm-base-coco photos/ > images.jsonl",
            "  blip4j embed -m model/ -t \"a dog\" -t \"a cat\"",
            "  blip4j embed -m model/ --raw photo.jpg -t \"a dog\"",
            "  blip4j embed -m model/ --multimodal photo.jpg -t \"a dog\""
        })
final class EmbedCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Parameters(arity = "0..*", paramLabel = "IMAGE", description = "Image files, folders, globs, or - for stdin.")
    List<String> inputs = List.of();

    @Option(
            names = {"-t", "--text"},
            description = "Text to embed (repeatable).")
    List<String> texts = List.of();

    @Option(names = "--raw", description = "Raw (unprojected) features: image states and text [CLS] states.")
    boolean raw;

    @Option(names = "--multimodal", description = "Also the [ENC] state of each text given each image (implies --raw).")
    boolean multimodal;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @ParentCommand
    Main parent;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        if (inputs.isEmpty() && texts.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give images and/or --text");
        }
        if (multimodal && (inputs.isEmpty() || texts.isEmpty())) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--multimodal needs images and --text");
        }
        boolean rawMode = raw || multimodal;
        ObjectMapper json = new ObjectMapper();
        List<Path> files = Inputs.expand(inputs);
        try (Blip blip = model.load()) {
            Progress progress = new Progress(err, files.size(), parent.progress);
            for (Path f : files) {
                try {
                    var img = blip.readImage(f);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("image", f.toString());
                    if (rawMode) {
                        row.put("states", blip.imageStates(List.of(img))[0]);
                    } else {
                        row.put("embedding", blip.imageEmbedding(img));
                    }
                    out.println(json.writeValueAsString(row));
                    if (multimodal) {
                        float[][] mm = blip.multimodalStates(img, texts);
                        for (int i = 0; i < texts.size(); i++) {
                            Map<String, Object> pair = new LinkedHashMap<>();
                            pair.put("image", f.toString());
                            pair.put("text", texts.get(i));
                            pair.put("multimodal", mm[i]);
                            out.println(json.writeValueAsString(pair));
                        }
                    }
                    progress.step(true);
                } catch (java.io.IOException e) {
                    Report.failure(out, err, json, true, "image", f, e, model.verbose, progress);
                    progress.step(false);
                }
            }
            float[][] tv =
                    texts.isEmpty() ? new float[0][] : rawMode ? blip.textStates(texts) : blip.textEmbeddings(texts);
            for (int i = 0; i < tv.length; i++) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("text", texts.get(i));
                row.put(rawMode ? "states" : "embedding", tv[i]);
                out.println(json.writeValueAsString(row));
            }
            return progress.failed() > 0 ? 1 : 0;
        }
    }
}
