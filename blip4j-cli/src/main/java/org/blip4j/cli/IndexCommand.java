package org.blip4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.blip4j.Blip;
import org.blip4j.image.RgbImage;
import org.blip4j.retrieval.EmbeddingIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code blip4j index}: adds images' ITC embeddings to an on-disk index for {@code blip4j search}. */
@Command(
        name = "index",
        mixinStandardHelpOptions = true,
        description = {
            "Add the ITC embeddings of images to an on-disk index (created if missing) for `blip4j search`.",
            "Images are identified by their absolute path: ones already in the index are skipped, so re-running over a "
                    + "folder only adds new files. Search later reads the images again from these paths."
        },
        footer = {
            "",
            "Examples:",
            "  blip4j index -m models/blip-itm-base-coco --index photos.idx photos/",
            "  blip4j index -m model_base_retrieval_coco.pth --index photos.idx 'photos/**/*.jpg'",
            "  find photos -name '*.jpg' | blip4j index -m model/ --index photos.idx -"
        })
final class IndexCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(
            names = {"-i", "--index"},
            required = true,
            paramLabel = "DIR",
            description = "Index directory.")
    Path index;

    @Parameters(
            arity = "1..*",
            paramLabel = "IMAGE",
            description = "Image files, folders, globs, or - for a list on stdin.")
    List<String> inputs;

    @Option(
            names = "--batch-size",
            defaultValue = "8",
            description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--batch-size must be at least 1");
        }
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        ObjectMapper json = new ObjectMapper();
        List<Path> files = Inputs.expand(inputs);
        int added = 0;
        int skipped = 0;
        try (Blip blip = model.load();
                EmbeddingIndex idx =
                        EmbeddingIndex.openOrCreate(index, blip.config().embedDim(), EmbeddingIndex.Kind.IMAGE)) {
            Progress progress = new Progress(err, files.size(), true);
            Set<String> seen = new HashSet<>();
            for (int start = 0; start < files.size(); start += batchSize) {
                List<Path> okFiles = new ArrayList<>();
                List<String> okIds = new ArrayList<>();
                List<RgbImage> okImages = new ArrayList<>();
                for (Path f : files.subList(start, Math.min(files.size(), start + batchSize))) {
                    String id = f.toAbsolutePath().normalize().toString();
                    if (idx.contains(id) || !seen.add(id)) {
                        skipped++;
                        progress.step(true);
                        continue;
                    }
                    try {
                        okImages.add(blip.readImage(f));
                        okFiles.add(f);
                        okIds.add(id);
                    } catch (Exception e) {
                        Report.failure(out, err, json, model.json, "image", f, e, model.verbose);
                        progress.step(false);
                    }
                }
                if (okImages.isEmpty()) {
                    continue;
                }
                int first = idx.append(okIds, List.of(blip.imageEmbeddings(okImages)));
                for (int i = 0; i < okIds.size(); i++) {
                    if (model.json) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("image", okIds.get(i));
                        row.put("row", first + i);
                        out.println(json.writeValueAsString(row));
                    }
                    progress.step(true);
                }
                added += okIds.size();
                out.flush();
            }
            String summary = String.format(
                    "%s: added %d, skipped %d already indexed, failed %d; %d images in the index",
                    index, added, skipped, progress.failed(), idx.size());
            if (model.json) {
                err.println(summary);
            } else {
                out.println(summary);
            }
            return progress.failed() > 0 ? 1 : 0;
        }
    }
}
