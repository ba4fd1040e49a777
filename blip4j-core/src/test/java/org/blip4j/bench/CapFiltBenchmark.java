package org.blip4j.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.blip4j.Blip;
import org.blip4j.capfilt.CapFilt;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.image.RgbImage;
import org.blip4j.io.RawTensor;
import org.blip4j.io.SafeTensors;
import org.blip4j.model.BlipDecoder;
import org.blip4j.model.BlipItm;
import org.blip4j.nn.Block;
import org.bytedeco.javacpp.PointerScope;

/**
 * CapFilt throughput (issue "CapFilt" §6): pairs per second through {@link CapFilt} on the shapes web split, and where
 * one batch's time goes (image decode, captioner ViT, decoding, filter ITM incl. its ViT). Models: {@code base} =
 * ViT-B/16@384 + BERT-base with random weights (written once to a temporary folder), or two model folders.
 * Usage: {@code bin/bench-capfilt [base | CAPTIONER FILTER] [pairs] [batch]}.
 */
public final class CapFiltBenchmark {
    public static void main(String[] args) throws Exception {
        Path data = Path.of(System.getProperty("shapes.data", "data/shapes"));
        Path captionerDir;
        Path filterDir;
        int a = 0;
        if (args.length == 0 || args[0].equals("base")) {
            Path root = Path.of(System.getProperty("java.io.tmpdir"), "blip4j-bench-base");
            captionerDir = randomModel(
                    root.resolve("captioner"), new BlipDecoder(BlipConfig.base(384)), "BlipForConditionalGeneration");
            filterDir =
                    randomModel(root.resolve("filter"), new BlipItm(BlipConfig.base(384)), "BlipForImageTextRetrieval");
            a = args.length == 0 ? 0 : 1;
        } else {
            captionerDir = Path.of(args[0]);
            filterDir = Path.of(args[1]);
            a = 2;
        }
        int pairs = args.length > a ? Integer.parseInt(args[a]) : 16;
        int batch = args.length > a + 1 ? Integer.parseInt(args[a + 1]) : 8;
        Path work = Files.createTempDirectory("blip4j-capfilt-bench");
        String web = Files.readString(data.resolve("web.json"));
        List<Map<String, Object>> all = new com.fasterxml.jackson.databind.ObjectMapper()
                .readValue(web, new com.fasterxml.jackson.core.type.TypeReference<List<Map<String, Object>>>() {});
        Path webFile = work.resolve("web.json");
        new com.fasterxml.jackson.databind.ObjectMapper().writeValue(webFile.toFile(), all.subList(0, pairs));
        try (Blip captioner = Blip.load(captionerDir);
                Blip filter = Blip.load(filterDir)) {
            CapFilt.Options opts =
                    CapFilt.Options.defaults().withBatchSize(batch).withSeed(1);
            // where one batch's time goes, measured with the same calls CapFilt makes (second batch: the first warms
            // up)
            Map<String, Double> stage = new TreeMap<>();
            for (int round = 0; round < 2; round++) {
                stage.clear();
                try (PointerScope s = new PointerScope()) {
                    long t0 = System.nanoTime();
                    List<RgbImage> imgs = new ArrayList<>();
                    for (int i = 0; i < batch; i++) {
                        imgs.add(captioner.readImage(
                                data.resolve((String) all.get(round * batch + i).get("image"))));
                    }
                    long t1 = System.nanoTime();
                    filter.imageStates(
                            imgs); // the captioner's ViT has the same size; a captioner exposes no image states
                    long t2 = System.nanoTime();
                    long[] seeds = new long[batch];
                    for (int i = 0; i < batch; i++) {
                        seeds[i] = CapFilt.itemSeed(1, i);
                    }
                    List<List<String>> syn = captioner.captions(
                            imgs, new Blip.CaptionOptions(opts.generation(), Blip.PROMPT, true), 1, seeds);
                    long t3 = System.nanoTime();
                    for (int i = 0; i < batch; i++) {
                        filter.imageStates(List.of(imgs.get(i)));
                    }
                    long t4 = System.nanoTime();
                    for (int i = 0; i < batch; i++) {
                        filter.itm(
                                imgs.get(i),
                                List.of(
                                        (String) all.get(round * batch + i).get("caption"),
                                        syn.get(i).get(0)),
                                opts.matchToken());
                    }
                    long t5 = System.nanoTime();
                    stage.put("1 image decode + resize", (t1 - t0) / 1e9);
                    stage.put("2 captioner ViT (batch)", (t2 - t1) / 1e9);
                    stage.put("3 caption generation (after the ViT)", Math.max(0, (t3 - t2) - (t2 - t1)) / 1e9);
                    stage.put("4 filter ViT", (t4 - t3) / 1e9);
                    stage.put("5 filter ITM text side (2 texts/image)", Math.max(0, (t5 - t4) - (t4 - t3)) / 1e9);
                }
            }
            double total =
                    stage.values().stream().mapToDouble(Double::doubleValue).sum();
            System.out.printf("| stage (batch of %d images, per image) | ms | share |%n|---|---|---|%n", batch);
            for (Map.Entry<String, Double> e : stage.entrySet()) {
                System.out.printf(
                        "| %s | %.0f | %.0f %% |%n",
                        e.getKey().substring(2), 1000 * e.getValue() / batch, 100 * e.getValue() / total);
            }
            CapFilt.Result r = new CapFilt(captioner, filter, opts)
                    .run(webFile, data, work.resolve("out"), new CapFilt.Listener() {});
            System.out.printf(
                    "%nCapFilt over %d web pairs, batch %d, nucleus: %.1f s, %.3f pairs/s%n",
                    pairs, batch, r.seconds(), r.pairsPerSecond());
        }
    }

    /** A model folder with the given network's random weights (BLIP's init), a filler vocabulary of its size. */
    static Path randomModel(Path dir, Block model, String architecture) throws Exception {
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
            return dir;
        }
        Files.createDirectories(dir);
        TaskBenchmark.random(model, 1);
        Map<String, RawTensor> w = new TreeMap<>();
        model.namedTensors().forEach((k, v) -> w.put(k, T.toRaw(v)));
        SafeTensors.write(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
        BlipConfig c = BlipConfig.base(384);
        List<String> vocab = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (char ch = 'a'; ch <= 'z'; ch++) {
            vocab.add(String.valueOf(ch));
        }
        while (vocab.size() < c.text().vocabSize() - 2) { // [DEC] and [ENC] come after the vocabulary
            vocab.add("w" + vocab.size());
        }
        Files.write(dir.resolve("vocab.txt"), vocab);
        c.writeHf(dir.resolve("config.json"), architecture, vocab.size(), 3);
        return dir;
    }
}
