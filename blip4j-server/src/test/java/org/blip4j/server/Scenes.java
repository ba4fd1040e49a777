package org.blip4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blip4j.shapes.ShapesConfig;
import org.blip4j.shapes.ShapesGenerator;

/** Generated shapes-world test scenes (PNG bytes, a reference caption and a question each), made once per JVM. */
final class Scenes {
    /** One scene: its file, encoded bytes, a human-style caption and a question with its answer. */
    record Scene(Path file, byte[] png, String caption, String question, String answer) {}

    private static List<Scene> scenes;
    private static List<String> answerList;

    private Scenes() {}

    static synchronized List<Scene> all() {
        if (scenes == null) {
            try {
                Path dir = Files.createTempDirectory("blip4j-server-scenes");
                dir.toFile().deleteOnExit();
                ShapesGenerator.generate(
                        ShapesConfig.defaults(2026)
                                .withNlvr(0, 0)
                                .withSizes(0, 0, 12, 0)
                                .withPerImage(1, 1)
                                .withThreads(1),
                        dir,
                        (done, total) -> {});
                JsonNode caps =
                        Http.JSON.readTree(dir.resolve("caption_test.json").toFile());
                JsonNode qs = Http.JSON.readTree(dir.resolve("vqa_test.json").toFile());
                List<Scene> out = new ArrayList<>();
                for (JsonNode c : caps) {
                    String image = c.get("image").asText();
                    JsonNode q = null;
                    for (JsonNode x : qs) {
                        if (x.get("image").asText().equals(image)) {
                            q = x;
                        }
                    }
                    Path f = dir.resolve(image);
                    out.add(new Scene(
                            f,
                            Files.readAllBytes(f),
                            c.get("caption").get(0).asText(),
                            q == null
                                    ? "what color is the largest shape?"
                                    : q.get("question").asText(),
                            q == null ? null : q.get("answer").get(0).asText()));
                }
                List<String> answers = new ArrayList<>();
                Http.JSON.readTree(dir.resolve("answer_list.json").toFile()).forEach(a -> answers.add(a.asText()));
                scenes = out;
                answerList = answers;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return scenes;
    }

    static List<String> answerList() {
        all();
        return answerList;
    }
}
