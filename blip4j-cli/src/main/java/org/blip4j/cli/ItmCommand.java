package org.blip4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blip4j.Blip;
import org.blip4j.image.RgbImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code blip4j itm}: image–text matching probability (ITM head) and ITC cosine similarity. */
@Command(
        name = "itm",
        mixinStandardHelpOptions = true,
        description = "Score how well texts match images: ITM probability p(match) and ITC cosine similarity.",
        footer = {
            "",
            "Examples:",
            "  blip4j itm -m models/blip-itm-base-coco photo.jpg -t \"a dog on a beach\" -t \"a cat\"",
            "  blip4j itm -m model/ --match-token enc --json photos/ -t \"a red car\""
        })
final class ItmCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files, folders, globs, or - for stdin.")
    List<String> inputs;

    @Option(
            names = {"-t", "--text"},
            required = true,
            description = "Text to match (repeatable).")
    List<String> texts;

    @Option(
            names = "--match-token",
            description = "First token for ITM: CLS (BLIP_ITM, HF) or ENC (retrieval evaluation, LAVIS). Default: "
                    + "CLS, as BLIP_ITM and Hugging Face score the released checkpoints; ENC for the embedded shapes "
                    + "model, whose ITM was trained with [ENC] first (as BLIP trains ITM).")
    Blip.MatchToken matchToken;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @ParentCommand
    Main parent;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        ObjectMapper json = new ObjectMapper();
        List<Path> files = Inputs.expand(inputs);
        Blip.MatchToken token = matchToken != null
                ? matchToken
                : org.blip4j.hub.BundledModels.matchToken(model.model); // [ENC] for the embedded model
        try (Blip blip = model.load()) {
            Progress progress = new Progress(err, files.size(), parent.progress);
            for (Path f : files) {
                RgbImage img;
                try {
                    img = blip.readImage(f);
                } catch (Exception e) {
                    Report.failure(out, err, json, model.json, "image", f, e, model.verbose, progress);
                    progress.step(false);
                    continue;
                }
                double[] p = blip.itm(img, texts, token);
                double[] c = blip.itc(img, texts);
                for (int i = 0; i < texts.size(); i++) {
                    if (model.json) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("image", f.toString());
                        row.put("text", texts.get(i));
                        row.put("itm", p[i]);
                        row.put("itc", c[i]);
                        out.println(json.writeValueAsString(row));
                    } else {
                        out.printf("%s\titm=%.4f\titc=%.4f\t%s%n", f, p[i], c[i], texts.get(i));
                    }
                }
                progress.step(true);
                out.flush();
            }
            return progress.failed() > 0 ? 1 : 0;
        }
    }
}
