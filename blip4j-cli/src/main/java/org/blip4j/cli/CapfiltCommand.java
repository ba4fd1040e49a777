package org.blip4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.blip4j.Blip;
import org.blip4j.capfilt.CapFilt;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.hub.HubSettings;
import org.blip4j.hub.ModelSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code blip4j capfilt}: bootstraps a noisy web dataset with a captioner and an ITM filter (BLIP's CapFilt). */
@Command(
        name = "capfilt",
        mixinStandardHelpOptions = true,
        description = {
            "CapFilt (BLIP paper 3.3): caption each web image with the captioner (nucleus sampling, top-p 0.9),"
                    + " score the web text and the synthetic captions with the filter's ITM p(match), keep those above the"
                    + " threshold, and write a pre-training list (human + kept web + kept synthetic) to OUT/bootstrapped.json.",
            "Also written: decisions/part-NNNNN.jsonl (every score and decision), rejects.jsonl (unreadable images),"
                    + " report.json, itm_histogram.png, examples.html. Killed runs resume where they stopped when rerun with the"
                    + " same arguments, and end with the same files as an uninterrupted run."
        },
        footer = {
            "",
            "Examples:",
            "  blip4j capfilt --captioner models/caption-coco --filter models/retrieval-coco \\",
            "      --web cc3m.jsonl --images /data/cc3m --human coco_karpathy_train.json --out cc3m-capfilt",
            "  blip4j capfilt --captioner Salesforce/blip-image-captioning-base --filter Salesforce/blip-itm-base-coco \\",
            "      --web web.json --images imgs --out out --captions-per-image 2 --threshold 0.6 --seed 7",
            "  blip4j capfilt --captioner cap/ --filter itm/ --web web.json --images imgs --out out --beam",
            "",
            "Exit codes: 0 ok, 1 some images were rejected (see OUT/rejects.jsonl) or a run error, 2 usage error."
        })
final class CapfiltCommand implements Callable<Integer> {
    /** Rejected items printed on stderr before the rest only go to rejects.jsonl. */
    static final int REJECTS_SHOWN = 20;

    @Option(
            names = "--captioner",
            required = true,
            paramLabel = "MODEL",
            description = "Captioning model (BLIP_Decoder): folder, weight file or Hugging Face id.")
    String captioner;

    @Option(
            names = "--filter",
            required = true,
            paramLabel = "MODEL",
            description = "Filter: an ITM/retrieval model (folder, weight file or Hugging Face id).")
    String filter;

    @Option(
            names = "--web",
            required = true,
            paramLabel = "FILE",
            description = "Web pairs: a JSON list or JSON Lines of {image, caption} (read as a stream).")
    Path web;

    @Option(
            names = "--images",
            required = true,
            paramLabel = "DIR",
            description =
                    "Image root the web entries' image paths are relative to (absolute paths are used as they are).")
    Path images;

    @Option(
            names = "--human",
            paramLabel = "FILE",
            description = "Human annotations (JSON list or JSON Lines), copied into bootstrapped.json as they are.")
    Path human;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "DIR",
            description = "Output folder (new, empty, or a run to resume).")
    Path out;

    @Option(
            names = "--captions-per-image",
            defaultValue = "1",
            paramLabel = "N",
            description = "Synthetic captions per web image (default: ${DEFAULT-VALUE}).")
    int captionsPerImage;

    @Option(names = "--beam", description = "Beam search (3 beams, or N for N captions) instead of nucleus sampling.")
    boolean beam;

    @Option(
            names = "--top-p",
            defaultValue = "0.9",
            description = "Nucleus mass when sampling (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(
            names = "--max-length",
            defaultValue = "30",
            description = "Max caption tokens incl. prompt (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(
            names = "--min-length",
            defaultValue = "10",
            description = "Min caption tokens incl. prompt (default: ${DEFAULT-VALUE}).")
    int minLength;

    @Option(
            names = "--threshold",
            defaultValue = "0.5",
            description = "Keep a text when its ITM p(match) > threshold (default: ${DEFAULT-VALUE}, the authors').")
    double threshold;

    @Option(
            names = "--match-token",
            defaultValue = "CLS",
            description =
                    "First token of the ITM text: CLS (BLIP_ITM, HF BlipForImageTextRetrieval) or ENC (as the ITM head"
                            + " was trained, retrieval evaluation). Default: ${DEFAULT-VALUE}.")
    Blip.MatchToken matchToken;

    @Option(
            names = "--batch-size",
            defaultValue = "8",
            description = "Images per captioning pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--seed",
            defaultValue = "0",
            description = "Seed of the per-item sampling seeds (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--shard-size",
            defaultValue = "1000",
            description = "Items per decisions shard and per checkpoint (default: ${DEFAULT-VALUE}).")
    int shardSize;

    @Option(
            names = "--examples",
            defaultValue = "24",
            paramLabel = "N",
            description = "Items shown on examples.html (default: ${DEFAULT-VALUE}).")
    int examples;

    @Option(names = "--threads", paramLabel = "N", description = "Compute threads (default: all cores).")
    Integer threads;

    @Option(
            names = "--noise-labels",
            paramLabel = "FILE",
            description =
                    "Ground-truth noise labels of the web texts ({image, caption, label: clean|<noise kind>}, e.g. the "
                            + "shapes world's web_noise_labels.json): after the run, print the filter's precision and recall at "
                            + "removing noisy texts and write noise_audit.json. Never used for the decisions.")
    Path noiseLabels;

    @Option(
            names = {"-v", "--verbose"},
            description = "Print stack traces on errors.")
    boolean verbose;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @ParentCommand
    Main parent;

    @Override
    public Integer call() throws Exception {
        CapFilt.Options options;
        try {
            GenerationConfig gen = beam
                    ? GenerationConfig.beam(Math.max(3, captionsPerImage), maxLength, minLength)
                    : GenerationConfig.nucleus(topP, maxLength, minLength, 0);
            options = new CapFilt.Options(
                    captionsPerImage, gen, threshold, batchSize, seed, shardSize, matchToken, examples, human);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        if (threads != null) {
            if (threads < 1) {
                throw new ParameterException(spec.commandLine(), "--threads must be at least 1");
            }
            org.blip4j.engine.Engine.setThreads(threads);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Blip cap = load(captioner, "caption", err);
                Blip filt = load(filter, "retrieval", err)) {
            CapFilt pipeline = new CapFilt(cap, filt, options);
            Listener listener = new Listener(err, parent != null && parent.progress);
            CapFilt.Result r;
            try {
                r = pipeline.run(web, images, out, listener);
            } catch (CapFilt.OutputConflictException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage(), e);
            }
            if (listener.progress != null) {
                listener.progress.clear();
            }
            if (r.alreadyComplete()) {
                stdout.println(out + " holds a complete run with these settings; nothing to do");
            } else if (r.firstItem() > 0) {
                stdout.println("resumed at item " + r.firstItem());
            }
            stdout.printf(
                    Locale.ROOT,
                    "items %d: scored %d, rejected %d%s%n",
                    r.items(),
                    r.scored(),
                    r.rejected(),
                    r.rejected() > 0 ? " (see " + out.resolve(CapFilt.REJECTS) + ")" : "");
            stdout.printf(
                    Locale.ROOT,
                    "web texts kept %d of %d; synthetic captions kept %d of %d (threshold %s)%n",
                    r.web().kept(),
                    r.web().texts(),
                    r.synthetic().kept(),
                    r.synthetic().texts(),
                    threshold);
            stdout.printf(
                    Locale.ROOT,
                    "%s: %d entries (human %d, web %d, synthetic %d)%n",
                    out.resolve(CapFilt.BOOTSTRAPPED),
                    r.bootstrapped(),
                    r.human(),
                    r.web().kept(),
                    r.synthetic().kept());
            if (r.processed() > 0) {
                err.printf(
                        Locale.ROOT,
                        "capfilt: %d pairs in %.1f s, %.2f pairs/s%n",
                        r.processed(),
                        r.seconds(),
                        r.pairsPerSecond());
            }
            if (noiseLabels != null) {
                org.blip4j.capfilt.NoiseAudit.Result a = org.blip4j.capfilt.NoiseAudit.audit(out, noiseLabels);
                stdout.printf(
                        Locale.ROOT,
                        "noise audit: removed web texts that were noisy (precision) %.3f, noisy web texts "
                                + "removed (recall) %.3f%n",
                        a.precision(),
                        a.recall());
                a.removedByLabel()
                        .forEach((k, v) -> stdout.printf(Locale.ROOT, "  %-12s removed %d of %d%n", k, v[0], v[1]));
                new com.fasterxml.jackson.databind.ObjectMapper()
                        .writerWithDefaultPrettyPrinter()
                        .writeValue(out.resolve("noise_audit.json").toFile(), a.toMap());
            }
            stdout.flush();
            err.flush();
            return r.rejected() > 0 ? 1 : 0;
        }
    }

    /** Loads a model; plain {@code shapes} means the embedded model's captioner or filter part. */
    private static Blip load(String model, String shapesPart, PrintWriter err) throws IOException {
        if (model.equalsIgnoreCase(org.blip4j.hub.BundledModels.SHAPES)
                && !java.nio.file.Files.exists(Path.of(model))) {
            model = org.blip4j.hub.BundledModels.SHAPES + "/" + shapesPart;
        }
        Path path;
        try (DownloadProgress progress = new DownloadProgress(err)) {
            path = ModelSource.resolve(model, HubSettings.fromEnvironment(), progress);
        }
        return Blip.load(path);
    }

    /** Draws the bar (rate, ETA) and prints the first rejected items and any warning on stderr. */
    private static final class Listener implements CapFilt.Listener {
        final PrintWriter err;
        final boolean bar;
        Progress progress;
        int shown;

        Listener(PrintWriter err, boolean bar) {
            this.err = err;
            this.bar = bar;
        }

        @Override
        public void started(long firstItem, long totalItems) {
            progress = new Progress(err, (int) Math.min(Integer.MAX_VALUE, totalItems - firstItem), bar);
            if (firstItem > 0) {
                err.println("capfilt: resuming at item " + firstItem + " of " + totalItems);
                err.flush();
            }
        }

        @Override
        public void itemDone(long index, String image, String error) {
            if (error != null && shown < REJECTS_SHOWN) {
                progress.clear();
                err.println("blip4j: item " + index + " (" + image + "): " + error
                        + (++shown == REJECTS_SHOWN ? " (further rejects only in rejects.jsonl)" : ""));
                err.flush();
            }
            progress.step(error == null);
        }

        @Override
        public void warning(String message) {
            if (progress != null) {
                progress.clear();
            }
            err.println("blip4j: warning: " + message);
            err.flush();
        }
    }
}
