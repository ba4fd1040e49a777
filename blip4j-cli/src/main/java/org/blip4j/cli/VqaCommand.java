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

/** {@code blip4j vqa}: answer questions about images (BLIP_VQA generate: 3 beams, max 10 tokens). */
@Command(
        name = "vqa",
        mixinStandardHelpOptions = true,
        description = "Answer a question about each image.",
        footer = {
            "",
            "Examples:",
            "  blip4j vqa -m models/blip-vqa-base photo.jpg -q \"what color is the car?\"",
            "  blip4j vqa -m model/ --json photos/ -q \"how many people are there?\""
        })
final class VqaCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files, folders, globs, or - for stdin.")
    List<String> inputs;

    @Option(
            names = {"-q", "--question"},
            required = true,
            description = "The question (repeatable).")
    List<String> questions;

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
        try (Blip blip = model.load()) {
            Progress progress = new Progress(err, files.size(), parent.progress);
            for (Path f : files) {
                try {
                    var img = blip.readImage(f);
                    for (String q : questions) {
                        String a = blip.answer(img, q);
                        if (model.json) {
                            Map<String, Object> row = new LinkedHashMap<>();
                            row.put("image", f.toString());
                            row.put("question", q);
                            row.put("answer", a);
                            out.println(json.writeValueAsString(row));
                        } else {
                            out.println(files.size() > 1 || questions.size() > 1 ? f + "\t" + q + "\t" + a : a);
                        }
                    }
                    progress.step(true);
                } catch (java.io.IOException e) {
                    Report.failure(out, err, json, model.json, "image", f, e, model.verbose, progress);
                    progress.step(false);
                }
                out.flush();
            }
            return progress.failed() > 0 ? 1 : 0;
        }
    }
}
