package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corpus of hostile files — lying configs, truncated and lying weight files, pickles that call {@code os.system} or
 * {@code eval}, zip bombs, images that claim billions of pixels, missing and unreadable files — run through the CLI
 * in a child JVM. Every case must end within {@link #CASE_LIMIT_MS}, with a non-zero exit code, exactly one line on
 * stderr that names the offending file and is not an unanticipated exception, no stack trace, no JVM crash file,
 * and no code from a pickle run.
 */
class HostileCorpusTest {
    /** Per case, from the CLI call to its return (model load included) on a loaded 2-core machine. */
    static final long CASE_LIMIT_MS = 8_000;

    static final CliFixture FX = CliFixture.get();

    @TempDir
    static Path tmp;

    /** One CLI run: its arguments and the file its message must name (null: a warm-up run that must succeed). */
    record Case(String name, List<String> args, Path named) {}

    static final List<Case> CASES = new ArrayList<>();
    static Path marker;
    static Path good;
    static Path image;

    static JsonNode hfConfig() throws IOException {
        return new ObjectMapper().readTree(FX.file("config.json").toFile());
    }

    /** A copy of the good HF model folder with config.json edited (or replaced when {@code raw} is given). */
    static Path model(String name, Consumer<ObjectNode> edit) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("models").resolve(name));
        ObjectNode cfg = (ObjectNode) hfConfig();
        edit.accept(cfg);
        new ObjectMapper().writeValue(dir.resolve("config.json").toFile(), cfg);
        Files.copy(FX.file("vocab.txt"), dir.resolve("vocab.txt"));
        Files.createLink(dir.resolve("model.safetensors"), good.resolve("model.safetensors"));
        return dir;
    }

    /** A model folder holding the good config and vocabulary and the given weight file. */
    static Path weights(String fileName, byte[] content) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("weights").resolve(fileName));
        Files.copy(FX.file("config.json"), dir.resolve("config.json"));
        Files.copy(FX.file("vocab.txt"), dir.resolve("vocab.txt"));
        return content == null ? dir.resolve(fileName) : Files.write(dir.resolve(fileName), content);
    }

    static ObjectNode text(ObjectNode c) {
        return (ObjectNode) c.get("text_config");
    }

    static ObjectNode vision(ObjectNode c) {
        return (ObjectNode) c.get("vision_config");
    }

    static void caption(String name, Path model, Path named) {
        CASES.add(new Case(name, List.of("caption", "-m", model.toString(), image.toString()), named));
    }

    static void configCase(String name, Consumer<ObjectNode> edit) throws IOException {
        Path dir = model(name, edit);
        caption("config: " + name, dir, dir.resolve("config.json"));
    }

    static byte[] le64(long v) {
        return java.nio.ByteBuffer.allocate(8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(v)
                .array();
    }

    @BeforeAll
    static void corpus() throws IOException {
        marker = tmp.resolve("PWNED");
        image = FX.images().get(0);
        good = Files.createDirectories(tmp.resolve("good"));
        Files.copy(FX.file("config.json"), good.resolve("config.json"));
        Files.copy(FX.file("vocab.txt"), good.resolve("vocab.txt"));
        Files.copy(FX.file("blip_decoder.hf.safetensors"), good.resolve("model.safetensors"));

        // warm-up (not timed as a hostile case): the engine's first load, with a good model
        CASES.add(new Case("warm-up: a good model", List.of("caption", "-m", good.toString(), image.toString()), null));

        // ---- lying and malformed configs
        configCase("a billion text layers", c -> text(c).put("num_hidden_layers", 1_000_000_000));
        configCase("a billion vision layers", c -> vision(c).put("num_hidden_layers", 1_000_000_000));
        configCase("text width 2^20", c -> text(c).put("hidden_size", 1 << 20).put("num_attention_heads", 1 << 10));
        configCase(
                "vision width 2^20", c -> vision(c).put("hidden_size", 1 << 20).put("num_attention_heads", 1 << 10));
        configCase("vocabulary 2^31-1", c -> text(c).put("vocab_size", Integer.MAX_VALUE));
        configCase("positions 10^9", c -> text(c).put("max_position_embeddings", 1_000_000_000));
        configCase("intermediate 10^9", c -> text(c).put("intermediate_size", 1_000_000_000));
        configCase("image size 10^6", c -> vision(c).put("image_size", 1_000_000));
        configCase("patch size 0", c -> vision(c).put("patch_size", 0));
        configCase("heads 0", c -> text(c).put("num_attention_heads", 0));
        configCase("negative layers", c -> text(c).put("num_hidden_layers", -3));
        configCase("layers as text", c -> text(c).put("num_hidden_layers", "twelve"));
        configCase("layers 1e10", c -> text(c).put("num_hidden_layers", 1e10));
        configCase("embed dim 10^9", c -> c.put("image_text_hidden_size", 1_000_000_000));
        configCase("no text_config", c -> c.remove("text_config"));
        for (var raw : Map.of(
                        "not JSON",
                        "{\"text_config\": [",
                        "a JSON array",
                        "[1, 2, 3]",
                        "empty",
                        "",
                        "deep nesting",
                        "[".repeat(100_000))
                .entrySet()) {
            Path dir = model("raw " + raw.getKey(), c -> {});
            Files.writeString(dir.resolve("config.json"), raw.getValue());
            caption("config: " + raw.getKey(), dir, dir.resolve("config.json"));
        }
        // (a lying med_config.json next to an original .pth goes through the same check; the tiny fixture's ViT width
        // 48
        // cannot be read without a config.json, so that layout is covered by LoadChecksTest instead)
        // preprocessor_config.json claiming an absurd size (the model's image size rules; must not allocate it)
        Path pre = model("preprocessor", c -> {});
        Files.writeString(
                pre.resolve("preprocessor_config.json"),
                "{\"size\": {\"height\": 1000000000, \"width\": "
                        + "1000000000}, \"image_mean\": [0.5], \"image_std\": [0]}");
        caption("preprocessor: 10^9 px, std 0", pre, pre.resolve("preprocessor_config.json"));
        pre = model("preprocessor-zero-std", c -> {});
        Files.writeString(pre.resolve("preprocessor_config.json"), "{\"image_std\": [0.2, 0, 0.2]}");
        caption("preprocessor: a zero std", pre, pre.resolve("preprocessor_config.json"));
        pre = model("preprocessor-broken", c -> {});
        Files.writeString(pre.resolve("preprocessor_config.json"), "{\"size\": ");
        caption("preprocessor: not JSON", pre, pre.resolve("preprocessor_config.json"));

        // ---- safetensors
        byte[] full = Files.readAllBytes(good.resolve("model.safetensors"));
        Path st;
        st = weights("empty.safetensors", new byte[0]);
        caption("safetensors: empty", st, st);
        st = weights("garbage.safetensors", "this is not a safetensors file at all, just text".getBytes());
        caption("safetensors: garbage", st, st);
        st = weights("truncated.safetensors", Arrays.copyOf(full, full.length / 3));
        caption("safetensors: truncated", st, st);
        st = weights("header-2^62.safetensors", null);
        HostileFiles.safetensors(st, 1L << 62, "{}", new byte[0]);
        caption("safetensors: header length 2^62", st, st);
        st = weights("header-past-end.safetensors", null);
        HostileFiles.safetensors(
                st, 10_000, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]);
        caption("safetensors: header past the end", st, st);
        st = weights("huge-shape.safetensors", null);
        HostileFiles.safetensors(
                st,
                "{\"visual_encoder.pos_embed\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000,"
                        + "1000000],\"data_offsets\":[0,16]}}",
                new byte[16]);
        caption("safetensors: shape claims 10^18 elements", st, st);
        st = weights("offsets-past-end.safetensors", null);
        HostileFiles.safetensors(
                st, "{\"a\":{\"dtype\":\"F32\",\"shape\":[250000000],\"data_offsets\":[0,1000000000]}}", new byte[16]);
        caption("safetensors: offsets past the end", st, st);
        st = weights("overlap.safetensors", null);
        HostileFiles.safetensors(
                st,
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
                new byte[24]);
        caption("safetensors: overlapping tensors", st, st);
        st = weights("negative.safetensors", null);
        HostileFiles.safetensors(
                st, "{\"a\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", new byte[16]);
        caption("safetensors: negative dimension", st, st);
        st = weights("dtype.safetensors", null);
        HostileFiles.safetensors(st, "{\"a\":{\"dtype\":\"F99\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[16]);
        caption("safetensors: unknown dtype", st, st);
        st = weights("deep.safetensors", null);
        HostileFiles.safetensors(st, "[".repeat(50_000), new byte[0]);
        caption("safetensors: deeply nested header", st, st);
        st = weights("foreign.safetensors", null);
        HostileFiles.safetensors(
                st, "{\"foo.weight\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[16]);
        caption("safetensors: not a BLIP model", st, st);
        // the right names with a tiny embedding: the config (vocab 243 x 48) no longer fits the weights
        st = weights("tiny-embedding.safetensors", null);
        HostileFiles.safetensors(
                st,
                "{\"visual_encoder.pos_embed\":{\"dtype\":\"F32\",\"shape\":[1,17,48],"
                        + "\"data_offsets\":[0,3264]},\"text_decoder.bert.embeddings.word_embeddings.weight\":{\"dtype\":\"F32\","
                        + "\"shape\":[2,48],\"data_offsets\":[3264,3648]}}",
                new byte[3648]);
        caption("safetensors: embedding smaller than the config", st, st.resolveSibling("config.json"));

        // ---- pickles and zips (.pth)
        Path pth;
        pth = weights("os-system.pth", null);
        HostileFiles.zip(
                pth,
                Map.of(
                        "data.pkl",
                        HostileFiles.callInDict("os", "system", "touch " + marker),
                        "version",
                        "3\n".getBytes()),
                false);
        caption("pickle: os.system", pth, pth);
        pth = weights("posix-system.pth", null);
        HostileFiles.zip(
                pth,
                Map.of(
                        "data.pkl",
                        HostileFiles.callInDict("posix", "system", "touch " + marker),
                        "version",
                        "3\n".getBytes()),
                false);
        caption("pickle: posix.system", pth, pth);
        pth = weights("eval.pth", null);
        HostileFiles.zip(
                pth,
                Map.of(
                        "data.pkl",
                        HostileFiles.callInDict("builtins", "eval", "__import__('os').system('touch " + marker + "')"),
                        "version",
                        "3\n".getBytes()),
                false);
        caption("pickle: builtins.eval", pth, pth);
        pth = weights("subprocess.pth", null);
        HostileFiles.zip(
                pth,
                Map.of(
                        "data.pkl",
                        HostileFiles.callInDict("subprocess", "Popen", "touch " + marker),
                        "version",
                        "3\n".getBytes()),
                false);
        caption("pickle: subprocess.Popen", pth, pth);
        pth = weights("zip-bomb.pth", null);
        HostileFiles.zipBomb(pth, 200L << 20); // 200 MB of zeros in ~200 KB
        caption("pth: zip bomb (data.pkl deflated 1000:1)", pth, pth);
        pth = weights("huge-tensor.pth", null);
        HostileFiles.zip(
                pth,
                Map.of(
                        "data.pkl",
                        HostileFiles.tensorDict(4, new int[] {100_000, 100_000}, new int[] {100_000, 1}),
                        "data/0",
                        new byte[16],
                        "version",
                        "3\n".getBytes()),
                false);
        caption("pth: tensor view far past its storage", pth, pth);
        pth = weights("huge-storage.pth", null);
        HostileFiles.zip(
                pth,
                Map.of(
                        "data.pkl",
                        HostileFiles.tensorDict(Integer.MAX_VALUE, new int[] {4}, new int[] {1}),
                        "data/0",
                        new byte[16],
                        "version",
                        "3\n".getBytes()),
                false);
        caption("pth: storage claims 2^31 floats, holds 4", pth, pth);
        pth = weights("deflated-storage.pth", null);
        HostileFiles.zip(
                pth,
                Map.of(
                        "data.pkl",
                        HostileFiles.tensorDict(4, new int[] {4}, new int[] {1}),
                        "data/0",
                        new byte[16],
                        "version",
                        "3\n".getBytes()),
                true);
        caption("pth: deflated entries", pth, pth);
        pth = weights("lying-string.pth", null);
        HostileFiles.zip(
                pth,
                Map.of(
                        "data.pkl",
                        new HostileFiles.Pickle()
                                .op('}')
                                .raw((byte) 'X', (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x7f)
                                .stop(),
                        "version",
                        "3\n".getBytes()),
                false);
        caption("pickle: string length 2^31 past the end", pth, pth);
        pth = weights("deep-pickle.pth", null);
        byte[] marks = new byte[200_000];
        Arrays.fill(marks, (byte) ']'); // EMPTY_LIST, 200k deep on the stack
        HostileFiles.zip(
                pth,
                Map.of("data.pkl", new HostileFiles.Pickle().raw(marks).stop(), "version", "3\n".getBytes()),
                false);
        caption("pickle: 200,000 lists on the stack", pth, pth);
        pth = weights("garbage.pth", "PK\u0003\u0004 then nothing a zip should have".getBytes());
        caption("pth: garbage after a zip signature", pth, pth);
        pth = weights("legacy.pth", new byte[] {
            (byte) 0x80,
            0x02,
            (byte) 0x8a,
            0x0a,
            0x6c,
            (byte) 0xfc,
            (byte) 0x9c,
            0x46,
            (byte) 0xf9,
            0x20,
            0x6a,
            (byte) 0xa8,
            0x50,
            0x19,
            '.'
        });
        caption("pth: legacy (pre-1.6) torch.save", pth, pth);
        pth = weights("truncated.pth", Arrays.copyOf(Files.readAllBytes(FX.file("blip_decoder.pth")), 5000));
        caption("pth: truncated", pth, pth);

        // ---- tokenizer files
        Path tok = model("tokenizer-binary", c -> {});
        Files.write(tok.resolve("vocab.txt"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2, 3});
        caption("vocab.txt: not UTF-8", tok, tok.resolve("vocab.txt"));
        tok = model("tokenizer-json", c -> {});
        Files.writeString(
                tok.resolve("tokenizer.json"),
                "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0,"
                        + " \"[CLS]\": 1, \"[SEP]\": 2, \"[PAD]\": 3, \"[MASK]\": 4, \"a\": 2147483646}}}");
        caption("tokenizer.json: id 2^31-2", tok, tok.resolve("tokenizer.json"));
        tok = model("tokenizer-broken", c -> {});
        Files.writeString(tok.resolve("tokenizer.json"), "{\"model\": ");
        caption("tokenizer.json: not JSON", tok, tok.resolve("tokenizer.json"));

        // ---- images (the model is good; the item fails)
        Path img = Files.createDirectories(tmp.resolve("images"));
        List<Path> images = new ArrayList<>();
        Path p;
        HostileFiles.png(p = img.resolve("png-10^10-pixels.png"), 100_000, 100_000, 0);
        images.add(p);
        HostileFiles.png(p = img.resolve("png-zero-width.png"), 0, 10, 0);
        images.add(p);
        HostileFiles.png(p = img.resolve("png-negative.png"), -1, -1, 0);
        images.add(p);
        HostileFiles.png(p = img.resolve("png-bomb-10^8-pixels.png"), 10_000, 10_000, 10_000L * (3 * 10_000 + 1));
        images.add(p);
        HostileFiles.jpegHeader(p = img.resolve("jpeg-65500x65500.jpg"), 65_500, 65_500);
        images.add(p);
        HostileFiles.jpegHeader(p = img.resolve("jpeg-header-only.jpg"), 64, 64);
        images.add(p);
        HostileFiles.gifHeader(p = img.resolve("gif-65535x65535.gif"), 65_535, 65_535);
        images.add(p);
        HostileFiles.bmpHeader(p = img.resolve("bmp-10^10-pixels.bmp"), 100_000, 100_000);
        images.add(p);
        HostileFiles.bmpHeader(p = img.resolve("bmp-negative.bmp"), -5, Integer.MIN_VALUE);
        images.add(p);
        images.add(Files.writeString(img.resolve("text.png"), "hello, I am text"));
        images.add(Files.createFile(img.resolve("empty.jpg")));
        images.add(Files.createDirectories(img.resolve("folder.jpg")));
        images.add(img.resolve("missing.png"));
        byte[] png = Files.readAllBytes(image);
        images.add(Files.write(img.resolve("truncated.png"), Arrays.copyOf(png, png.length / 2)));
        byte[] flipped = png.clone();
        flipped[png.length / 2] ^= 0x5a;
        images.add(Files.write(img.resolve("corrupt-crc.png"), flipped));
        for (Path i : images) {
            CASES.add(
                    new Case("image: " + i.getFileName(), List.of("caption", "-m", good.toString(), i.toString()), i));
        }
        CASES.add(new Case(
                "image: itm on a 10^10-pixel PNG",
                List.of("itm", "-m", good.toString(), images.get(0).toString(), "-t", "a cat"),
                images.get(0)));

        // ---- the other commands load through the same checks
        Path liar = tmp.resolve("models").resolve("a billion text layers");
        CASES.add(new Case(
                "itm: a billion text layers",
                List.of("itm", "-m", liar.toString(), image.toString(), "-t", "a cat"),
                liar.resolve("config.json")));
        Path evil = tmp.resolve("weights").resolve("os-system.pth").resolve("os-system.pth");
        CASES.add(new Case(
                "vqa: os.system pickle", List.of("vqa", "-m", evil.toString(), image.toString(), "-q", "what?"), evil));
        Path cut = tmp.resolve("weights").resolve("truncated.safetensors").resolve("truncated.safetensors");
        CASES.add(new Case(
                "embed: truncated safetensors", List.of("embed", "-m", cut.toString(), image.toString()), cut));
        CASES.add(new Case(
                "nlvr --task nlvr: a captioning checkpoint",
                List.of(
                        "nlvr",
                        "--task",
                        "nlvr",
                        "-m",
                        good.toString(),
                        image.toString(),
                        image.toString(),
                        "-s",
                        "both are red"),
                good.resolve("model.safetensors")));

        // ---- missing files
        Path gone = tmp.resolve("no-such-model");
        caption("missing: model path", gone, gone);
        Path noWeights = Files.createDirectories(tmp.resolve("models").resolve("no-weights"));
        Files.copy(FX.file("config.json"), noWeights.resolve("config.json"));
        Files.copy(FX.file("vocab.txt"), noWeights.resolve("vocab.txt"));
        caption("missing: weights", noWeights, noWeights);
        Path noConfig = Files.createDirectories(tmp.resolve("models").resolve("no-config"));
        Files.copy(FX.file("vocab.txt"), noConfig.resolve("vocab.txt"));
        Files.createLink(noConfig.resolve("model.safetensors"), good.resolve("model.safetensors"));
        caption("missing: config", noConfig, noConfig);
        Path noVocab = Files.createDirectories(tmp.resolve("models").resolve("no-vocab"));
        Files.copy(FX.file("config.json"), noVocab.resolve("config.json"));
        Files.createLink(noVocab.resolve("model.safetensors"), good.resolve("model.safetensors"));
        caption("missing: tokenizer", noVocab, noVocab);
    }

    @Test
    void everyHostileFileEndsFastInOneClearMessage() throws Exception {
        ObjectMapper json = new ObjectMapper();
        Path cases = tmp.resolve("cases.jsonl");
        StringBuilder sb = new StringBuilder();
        for (Case c : CASES) {
            ObjectNode row = json.createObjectNode().put("name", c.name());
            c.args().forEach(row.putArray("args")::add);
            sb.append(json.writeValueAsString(row)).append('\n');
        }
        Files.writeString(cases, sb);
        Path report = tmp.resolve("report.jsonl");
        Path work = Files.createDirectories(tmp.resolve("cwd"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(
                        java,
                        "-Xmx512m",
                        "-XX:ErrorFile=" + work.resolve("hs_err_pid%p.log"),
                        "-cp",
                        System.getProperty("java.class.path"),
                        HostileCorpusRunner.class.getName(),
                        cases.toString(),
                        report.toString(),
                        Long.toString(CASE_LIMIT_MS / 1000 + 5))
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("child.log").toFile());
        pb.environment().put("OMP_WAIT_POLICY", "passive");
        Process child = pb.start();
        if (!child.waitFor(CASES.size() * (CASE_LIMIT_MS / 1000 + 10) + 60, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            fail("the corpus run did not finish; log:\n" + Files.readString(tmp.resolve("child.log")));
        }
        String log = Files.readString(tmp.resolve("child.log"));
        try (Stream<Path> s = Files.list(work)) {
            List<Path> crashes = s.filter(f -> f.getFileName().toString().startsWith("hs_err"))
                    .toList();
            assertTrue(crashes.isEmpty(), "JVM crash files: " + crashes + "\n" + log);
        }
        assertEquals(0, child.exitValue(), "the corpus runner itself failed:\n" + log);
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(report, StandardCharsets.UTF_8)) {
            rows.add(json.readTree(line));
        }
        Map<String, Case> byName = new LinkedHashMap<>();
        CASES.forEach(c -> byName.put(c.name(), c));
        List<String> problems = new ArrayList<>();
        long slowest = 0;
        for (JsonNode r : rows) {
            Case c = byName.get(r.get("name").asText());
            String err = r.get("err").asText();
            if (c.named() == null) {
                if (r.path("code").asInt(-1) != 0) {
                    problems.add("the warm-up run with a good model failed: " + err);
                }
                continue;
            }
            List<String> lines = err.lines().filter(l -> !l.isBlank()).toList();
            String what = c.name() + " [" + r.get("millis").asLong() + " ms, exit "
                    + r.path("code").asText("none") + "]: " + err.strip();
            slowest = Math.max(slowest, r.get("millis").asLong());
            if (r.get("timedOut").asBoolean() || r.get("millis").asLong() > CASE_LIMIT_MS) {
                problems.add("too slow: " + what);
            }
            if (r.has("thrown")) {
                problems.add("escaped the CLI: " + r.get("thrown").asText() + " in " + what);
            }
            if (!r.has("code") || r.get("code").asInt() == 0) {
                problems.add("exit code must be non-zero: " + what);
            }
            if (lines.size() != 1) {
                problems.add("expected exactly one line on stderr: " + what);
            }
            if (err.contains("\tat ")) {
                problems.add("stack trace: " + what);
            }
            if (err.contains("--verbose shows details")) {
                problems.add("unanticipated exception (not a clear message): " + what);
            }
            if (!err.contains(c.named().toString())) {
                problems.add("message does not name " + c.named() + ": " + what);
            }
        }
        if (rows.size() != CASES.size()) {
            problems.add("only " + rows.size() + " of " + CASES.size() + " cases ran");
        }
        assertFalse(Files.exists(marker), "a pickle ran code: " + marker + " exists");
        assertTrue(
                problems.isEmpty(),
                problems.size() + " problems:\n" + String.join("\n", problems) + "\n(slowest case " + slowest + " ms)");
        System.out.println("hostile corpus: " + rows.size() + " cases, slowest " + slowest + " ms");
        for (JsonNode r : rows) {
            System.out.printf(
                    "  %5d ms  %-45s %s%n",
                    r.get("millis").asLong(),
                    r.get("name").asText(),
                    r.get("err").asText().strip());
        }
    }
}
