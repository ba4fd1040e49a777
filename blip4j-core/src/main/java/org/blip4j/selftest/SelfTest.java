package org.blip4j.selftest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blip4j.Blip;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.image.RgbImage;
import org.blip4j.io.RawTensor;
import org.blip4j.io.SafeTensors;

/**
 * Checks blip4j against published outputs of the released checkpoints (Hugging Face transformers' BLIP integration
 * tests, in {@code reference-values.json} with their source), or against a reference fixture's own goldens. Each
 * check names its model, what to compute on which images and texts, and the expected ids or values.
 */
public final class SelfTest {
    /** The resource holding the published values. */
    public static final String RESOURCE = "/org/blip4j/selftest/reference-values.json";
    /** The image name the published checks use; the caller supplies the file. */
    public static final String DEMO_IMAGE = "demo.jpg";

    private SelfTest() {}

    /** What a check computes. */
    public enum Kind {
        /** Caption ids (prompt included) of each image. */
        CAPTION,
        /** Answer ids of question i about image i. */
        VQA,
        /** ITM softmax [p(no match), p(match)] of each image with each text. */
        ITM,
        /** ITC cosine similarity of each image with each text. */
        ITC
    }

    /**
     * One check.
     *
     * @param model a hub id (published checks) or a weight file name in the fixture folder (fixture checks)
     * @param images image names (files in the fixture folder, or {@link #DEMO_IMAGE})
     * @param prompt caption prefix ({@code ""}: none, as Hugging Face without text)
     * @param generation decoding of CAPTION and VQA checks
     * @param token ITM/ITC text start, or VQA question start
     * @param normalize VQA: pre_question the questions first
     * @param expectedIds CAPTION/VQA: one row per image, compared up to and including the first [SEP]
     * @param expected ITM/ITC: one row per image
     * @param rtol relative tolerance ({@code |got - want| <= atol + rtol * |want|}, as torch.allclose)
     * @param source where the expected values come from
     */
    public record Check(
            String name,
            String model,
            Kind kind,
            List<String> images,
            List<String> texts,
            String prompt,
            GenerationConfig generation,
            Blip.MatchToken token,
            boolean normalize,
            long[][] expectedIds,
            double[][] expected,
            double rtol,
            double atol,
            String source) {}

    /** The outcome of one check. */
    public record Result(Check check, boolean passed, String detail) {
        /** One line: PASS/FAIL, the check, the model and what was compared. */
        public String line() {
            return (passed ? "PASS  " : "FAIL  ") + check.name() + " (" + check.model() + "): " + detail;
        }
    }

    // ------------------------------------------------------------------ the checks

    /** The published reference checks (their image is {@link #DEMO_IMAGE}). */
    public static List<Check> reference() {
        try (InputStream in = SelfTest.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource missing: " + RESOURCE);
            }
            JsonNode root = new ObjectMapper().readTree(in);
            JsonNode src = root.get("source");
            String source = src.get("repo").asText() + " " + src.get("path").asText() + " @ "
                    + src.get("commit").asText();
            double rtol = root.get("tolerance").get("rtol").asDouble();
            double atol = root.get("tolerance").get("atol").asDouble();
            List<Check> out = new ArrayList<>();
            for (JsonNode c : root.get("checks")) {
                Kind kind = Kind.valueOf(c.get("kind").asText().toUpperCase(Locale.ROOT));
                List<String> texts = new ArrayList<>();
                c.path("texts").forEach(t -> texts.add(t.asText()));
                GenerationConfig g = c.has("num_beams")
                        ? generation(
                                c.get("num_beams").asInt(),
                                c.get("max_length").asInt(),
                                c.get("min_length").asInt())
                        : null;
                String tok = c.has("question_start")
                        ? c.get("question_start").asText()
                        : c.path("match_token").asText("cls");
                out.add(new Check(
                        c.get("name").asText(),
                        c.get("model").asText(),
                        kind,
                        List.of(DEMO_IMAGE),
                        texts,
                        c.path("prompt").asText(""),
                        g,
                        Blip.MatchToken.valueOf(tok.toUpperCase(Locale.ROOT)),
                        c.path("normalize").asBoolean(false),
                        longs(c.get("expected_ids")),
                        doubles(c.get("expected")),
                        rtol,
                        atol,
                        source + " " + c.get("test").asText()));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Checks from a reference fixture folder (the layout of {@code shared/fixtures/blip-tiny}): greedy and beam captions
     * of {@code blip_decoder.pth}, generated answers of {@code blip_vqa.pth}, ITM and ITC of {@code blip_itm.pth}, with
     * the settings the goldens' descriptions state and the goldens as expected values.
     *
     * @throws IOException naming the fixture file or golden that is missing or malformed
     */
    public static List<Check> fixture(Path dir) throws IOException {
        Path manifestFile = dir.resolve("manifest.json");
        if (!Files.isRegularFile(manifestFile)) {
            throw new IOException(dir + ": not a reference fixture (no manifest.json)");
        }
        JsonNode m = new ObjectMapper().readTree(manifestFile.toFile());
        JsonNode preset = require(m, manifestFile, "preset_config");
        List<String> images = new ArrayList<>();
        require(preset, manifestFile, "images")
                .forEach(i -> images.add(i.isArray() ? i.get(0).asText() : i.asText()));
        List<String> captions = new ArrayList<>();
        require(preset, manifestFile, "captions").forEach(t -> captions.add(t.asText()));
        List<String> questions = new ArrayList<>();
        require(preset, manifestFile, "questions").forEach(t -> questions.add(t.asText()));
        String prompt = require(require(m, manifestFile, "tokenizer"), manifestFile, "prompt")
                .get("text")
                .asText();
        String src = dir.resolve("goldens.safetensors").toString();
        double tol = 1e-5; // the README's tolerance for probabilities and cosines
        List<Check> out = new ArrayList<>();
        try (SafeTensors g = SafeTensors.open(dir.resolve("goldens.safetensors"))) {
            for (String golden : List.of("greedy20.ids", "beam3.ids")) {
                String desc = desc(m, manifestFile, golden);
                out.add(new Check(
                        "fixture " + golden,
                        "blip_decoder.pth",
                        Kind.CAPTION,
                        images,
                        List.of(),
                        prompt,
                        generation(
                                setting(desc, "num_beams", golden),
                                setting(desc, "max_length", golden),
                                setting(desc, "min_length", golden)),
                        Blip.MatchToken.CLS,
                        false,
                        rows(golden(g, golden, src)),
                        null,
                        0,
                        0,
                        src + " " + golden));
            }
            String vqa = desc(m, manifestFile, "vqa.answer_ids");
            out.add(new Check(
                    "fixture vqa.answer_ids",
                    "blip_vqa.pth",
                    Kind.VQA,
                    images.subList(0, questions.size()),
                    questions,
                    "",
                    generation(
                            setting(vqa, "num_beams", "vqa.answer_ids"),
                            setting(vqa, "max_length", "vqa.answer_ids"),
                            setting(vqa, "min_length", "vqa.answer_ids")),
                    Blip.MatchToken.ENC,
                    true,
                    rows(golden(g, "vqa.answer_ids", src)),
                    null,
                    0,
                    0,
                    src + " vqa.answer_ids"));
            double[][] match = matrix(golden(g, "itm.prob_match", src));
            double[][] pairs = new double[match.length][];
            for (int i = 0; i < match.length; i++) {
                pairs[i] = new double[2 * match[i].length];
                for (int j = 0; j < match[i].length; j++) {
                    pairs[i][2 * j] = 1 - match[i][j];
                    pairs[i][2 * j + 1] = match[i][j];
                }
            }
            out.add(new Check(
                    "fixture itm.prob_match",
                    "blip_itm.pth",
                    Kind.ITM,
                    images,
                    captions,
                    "",
                    null,
                    Blip.MatchToken.CLS,
                    false,
                    null,
                    pairs,
                    0,
                    tol,
                    src + " itm.prob_match"));
            out.add(new Check(
                    "fixture itc.sim",
                    "blip_itm.pth",
                    Kind.ITC,
                    images,
                    captions,
                    "",
                    null,
                    Blip.MatchToken.CLS,
                    false,
                    null,
                    matrix(golden(g, "itc.sim", src)),
                    0,
                    tol,
                    src + " itc.sim"));
        }
        return out;
    }

    // ------------------------------------------------------------------ running

    /**
     * Runs one check on a loaded model; {@code images} maps the check's image names to decoded images. A failure to
     * compute (wrong model for the check, unreadable image) is a failed check with the reason.
     */
    public static Result run(Check c, Blip blip, Function<String, RgbImage> images) {
        List<RgbImage> imgs;
        try {
            imgs = c.images().stream().map(images).toList();
        } catch (RuntimeException e) {
            return new Result(c, false, "image not available: " + e.getMessage());
        }
        try {
            return switch (c.kind()) {
                case CAPTION ->
                    ids(
                            c,
                            blip,
                            blip.captionIds(
                                    imgs,
                                    Blip.CaptionOptions.defaults()
                                            .withPrefix(c.prompt())
                                            .withGeneration(c.generation()),
                                    null));
                case VQA ->
                    ids(
                            c,
                            blip,
                            blip.answerIds(
                                    imgs, c.texts(), new Blip.AnswerOptions(c.generation(), c.token(), c.normalize())));
                case ITM ->
                    values(
                            c,
                            imgs.stream()
                                    .map(img -> {
                                        double[] p = blip.itm(img, c.texts(), c.token());
                                        double[] row = new double[2 * p.length];
                                        for (int j = 0; j < p.length; j++) {
                                            row[2 * j] = 1 - p[j];
                                            row[2 * j + 1] = p[j];
                                        }
                                        return row;
                                    })
                                    .toArray(double[][]::new));
                case ITC ->
                    values(c, imgs.stream().map(img -> blip.itc(img, c.texts())).toArray(double[][]::new));
            };
        } catch (RuntimeException e) {
            return new Result(c, false, "could not run: " + e.getMessage());
        }
    }

    private static Result ids(Check c, Blip blip, long[][] got) {
        int sep = blip.tokenizer().sepId();
        int pad = blip.tokenizer().padId();
        for (int i = 0; i < c.expectedIds().length; i++) {
            long[] want = upToEos(c.expectedIds()[i], sep, pad);
            long[] have = i < got.length ? upToEos(got[i], sep, pad) : new long[0];
            if (!Arrays.equals(want, have)) {
                return new Result(
                        c,
                        false,
                        "row " + i + ": expected ids " + Arrays.toString(want) + ", got " + Arrays.toString(have)
                                + " (\"" + blip.tokenizer().decode(have, true) + "\")");
            }
        }
        int n = c.expectedIds().length;
        return new Result(
                c,
                true,
                n + (n == 1 ? " sequence" : " sequences") + " of ids identical, e.g. \""
                        + blip.tokenizer().decode(upToEos(got[0], sep, pad), true) + "\"");
    }

    private static Result values(Check c, double[][] got) {
        double worst = 0;
        for (int i = 0; i < c.expected().length; i++) {
            for (int j = 0; j < c.expected()[i].length; j++) {
                double want = c.expected()[i][j];
                double have = got[i][j];
                double diff = Math.abs(have - want);
                if (!(diff <= c.atol() + c.rtol() * Math.abs(want))) {
                    return new Result(
                            c,
                            false,
                            String.format(
                                    Locale.ROOT,
                                    "[%d][%d]: expected %.6g, got %.6g (|diff| %.2e; "
                                            + "tolerance %.0e + %.0e x |expected|)",
                                    i,
                                    j,
                                    want,
                                    have,
                                    diff,
                                    c.atol(),
                                    c.rtol()));
                }
                worst = Math.max(worst, diff);
            }
        }
        return new Result(
                c,
                true,
                String.format(
                        Locale.ROOT,
                        "%s within tolerance (max |diff| %.2e), e.g. %s",
                        c.kind() == Kind.ITM ? "softmax" : "cosine",
                        worst,
                        Arrays.toString(round(got[0]))));
    }

    private static double[] round(double[] v) {
        double[] r = new double[Math.min(v.length, 4)];
        for (int i = 0; i < r.length; i++) {
            r[i] = Math.round(v[i] * 1e4) / 1e4;
        }
        return r;
    }

    /** A row up to and including the first [SEP]; without one, without trailing padding. */
    static long[] upToEos(long[] row, int sep, int pad) {
        for (int i = 0; i < row.length; i++) {
            if (row[i] == sep) {
                return Arrays.copyOf(row, i + 1);
            }
        }
        int n = row.length;
        while (n > 0 && row[n - 1] == pad) {
            n--;
        }
        return Arrays.copyOf(row, n);
    }

    // ------------------------------------------------------------------ parsing helpers

    private static GenerationConfig generation(int beams, int max, int min) {
        return beams > 1 ? GenerationConfig.beam(beams, max, min) : GenerationConfig.greedy(max, min);
    }

    private static JsonNode require(JsonNode n, Path file, String key) throws IOException {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            throw new IOException(file + ": missing '" + key + "'");
        }
        return v;
    }

    private static String desc(JsonNode m, Path file, String golden) throws IOException {
        return require(require(require(m, file, "tensors"), file, golden), file, "desc")
                .asText();
    }

    /** An integer setting ({@code max_length=20}) stated in a golden's description; absent is an error, not a default. */
    private static int setting(String desc, String key, String golden) throws IOException {
        Matcher mt = Pattern.compile("\\b" + Pattern.quote(key) + "=(\\d+)").matcher(desc);
        if (!mt.find()) {
            throw new IOException("the description of golden " + golden + " states no " + key + ": " + desc);
        }
        return Integer.parseInt(mt.group(1));
    }

    private static RawTensor golden(SafeTensors g, String name, String src) throws IOException {
        if (!g.contains(name)) {
            throw new IOException(src + ": golden " + name + " missing");
        }
        return g.get(name);
    }

    private static long[][] rows(RawTensor t) {
        long[] s = t.shape();
        long[] v = t.toLongs();
        long[][] out = new long[(int) s[0]][];
        int w = (int) s[1];
        for (int i = 0; i < out.length; i++) {
            out[i] = Arrays.copyOfRange(v, i * w, (i + 1) * w);
        }
        return out;
    }

    private static double[][] matrix(RawTensor t) {
        long[] s = t.shape();
        float[] v = t.toFloats();
        double[][] out = new double[(int) s[0]][(int) s[1]];
        for (int i = 0; i < out.length; i++) {
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = v[i * out[i].length + j];
            }
        }
        return out;
    }

    private static long[][] longs(JsonNode n) {
        if (n == null) {
            return null;
        }
        long[][] out = new long[n.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new long[n.get(i).size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = n.get(i).get(j).asLong();
            }
        }
        return out;
    }

    private static double[][] doubles(JsonNode n) {
        if (n == null) {
            return null;
        }
        double[][] out = new double[n.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[n.get(i).size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = n.get(i).get(j).asDouble();
            }
        }
        return out;
    }
}
