package org.blip4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.blip4j.Blip;
import org.blip4j.Task;
import org.blip4j.hub.BundledModels;
import org.blip4j.hub.HubException;
import org.blip4j.hub.HubSettings;
import org.blip4j.hub.ModelSource;
import org.blip4j.model.Bf16Inference;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Options every model command shares. */
final class ModelOptions {
    /** The model {@code caption} uses without {@code --model}. */
    static final String DEFAULT_CAPTIONER = "Salesforce/blip-image-captioning-base";

    @Option(
            names = {"-m", "--model"},
            paramLabel = "MODEL",
            description = "Model: local folder, weight file, 'shapes' (the embedded small model; shapes/caption, "
                    + "shapes/retrieval, shapes/vqa pick a part, plain 'shapes' the one for this command), or a "
                    + "Hugging Face id such as Salesforce/blip-image-captioning-base (optionally @revision; downloaded "
                    + "once into the Hugging Face cache, see HF_HOME, HF_HUB_OFFLINE). Required except for caption, "
                    + "which defaults to "
                    + DEFAULT_CAPTIONER + ".")
    String model;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(
            names = "--task",
            paramLabel = "TASK",
            description = "Network to build from the checkpoint: ${COMPLETION-CANDIDATES} (default: inferred).")
    Task task;

    @Option(names = "--image-size", paramLabel = "PX", description = "Input resolution (default: from the config).")
    Integer imageSize;

    @Option(names = "--exif", description = "Apply EXIF orientation (the reference does not).")
    boolean exif;

    @Option(names = "--threads", paramLabel = "N", description = "Compute threads (default: all cores).")
    Integer threads;

    @Option(
            names = "--bf16",
            description = "Multiply the linear layers in bfloat16 (image encoder, text encoders, decoding): about 2x "
                    + "faster encoding and 1.8x faster decoding on CPUs with AVX-512 BF16 or AMX, at bf16 rounding; "
                    + "with --int8 the int8 layers stay int8. See docs/performance.md.")
    boolean bf16;

    @Option(names = "--json", description = "Write JSON Lines instead of text.")
    boolean json;

    @Option(
            names = {"-v", "--verbose"},
            description = "Print stack traces on errors.")
    boolean verbose;

    /** Loads the model; plain {@code shapes} picks the part this command needs. */
    Blip load() throws IOException {
        String cmd = mixee != null ? mixee.name() : "";
        return load(
                switch (cmd) {
                    case "caption", "vqa", "nlvr" -> cmd;
                    default -> "retrieval";
                });
    }

    /** Loads the model; plain {@code shapes} means {@code shapes/<shapesPart>}. */
    Blip load(String shapesPart) throws IOException {
        if (threads != null) {
            org.blip4j.engine.Engine.setThreads(threads);
        }
        boolean defaulted = model == null;
        String spec = model;
        if (defaulted) {
            if (mixee == null || !"caption".equals(mixee.name())) {
                throw new picocli.CommandLine.ParameterException(
                        mixee.commandLine(),
                        "Missing required option: "
                                + "'--model=MODEL' (a model folder, a weight file, 'shapes' or a Hugging Face id)");
            }
            spec = DEFAULT_CAPTIONER;
        }
        return open(spec, shapesPart, task, defaulted);
    }

    /**
     * Loads a second model this command uses beside {@code --model} (e.g. {@code --captioner}) with the same
     * options, its network inferred from its weights; {@code shapes} means {@code shapes/<shapesPart>}.
     */
    Blip loadAlso(String spec, String shapesPart) throws IOException {
        return open(spec, shapesPart, null, false);
    }

    private Blip open(String spec, String shapesPart, Task network, boolean defaulted) throws IOException {
        if (spec.equalsIgnoreCase(BundledModels.SHAPES) && !java.nio.file.Files.exists(Path.of(spec))) {
            if (!BundledModels.PARTS.contains(shapesPart)) {
                throw new picocli.CommandLine.ParameterException(
                        mixee.commandLine(),
                        "the embedded shapes model has no "
                                + shapesPart + " part (it has " + String.join(", ", BundledModels.PARTS) + "); pass a "
                                + shapesPart
                                + " model with --model");
            }
            spec = BundledModels.SHAPES + "/" + shapesPart;
        }
        PrintWriter err = mixee != null ? mixee.commandLine().getErr() : new PrintWriter(System.err, true);
        Path path;
        try (DownloadProgress progress = new DownloadProgress(err)) {
            path = ModelSource.resolve(spec, HubSettings.fromEnvironment(), progress);
        } catch (HubException e) {
            if (defaulted) {
                throw new HubException(
                        "no --model given, and the default " + DEFAULT_CAPTIONER + " is not available: "
                                + e.getMessage()
                                + ". Use --model shapes for the embedded small model, or --model with a local folder.",
                        e);
            }
            throw e;
        }
        Blip blip = Blip.load(path, new Blip.Options(network, imageSize, exif));
        if (bf16) {
            if (!Bf16Inference.nativeSupport()) {
                err.println("warning: --bf16: this CPU has no native bf16 (AVX-512 BF16 or AMX); the products are "
                        + "emulated and slower than float32");
            }
            blip.useBf16();
        }
        return blip;
    }
}
