package org.blip4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blip4j.Blip;
import org.blip4j.Task;
import org.blip4j.hub.HubSettings;
import org.blip4j.hub.ModelSource;
import org.blip4j.image.RgbImage;
import org.blip4j.selftest.SelfTest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code blip4j selftest}: compare with published outputs of the released checkpoints, or with a fixture's goldens. */
@Command(
        name = "selftest",
        mixinStandardHelpOptions = true,
        description = {
            "Check blip4j against published reference outputs of the released BLIP checkpoints (Hugging Face "
                    + "transformers' integration tests: captioning-base greedy ids with and without the prompt 'a picture of', "
                    + "vqa-base 'how many dogs are in the picture?', itm-base-coco ITM softmax and ITC score, tolerance 1e-3) on "
                    + "BLIP's demo image, or against a reference fixture's own goldens (--fixture).",
            "Runs the checks that apply to --model (all three models when none is given) and prints PASS or FAIL per "
                    + "check; exit code 0 when every check passed."
        },
        footer = {
            "",
            "Examples:",
            "  blip4j selftest --image demo.jpg                       # the three released models, from the HF cache",
            "  blip4j selftest -m ~/models/blip-image-captioning-base --image demo.jpg",
            "  blip4j selftest --fixture ../shared/fixtures/blip-tiny",
            "  blip4j selftest --list",
            "",
            "demo.jpg: https://huggingface.co/hf-internal-testing/blip-test-image/resolve/main/demo.jpg"
        })
final class SelftestCommand implements Callable<Integer> {
    @Option(
            names = {"-m", "--model"},
            paramLabel = "MODEL",
            description = "A released model (hub id, or a local copy of one); default: all models that have checks. "
                    + "With --fixture: one weight file of the fixture.")
    String model;

    @Option(
            names = "--image",
            paramLabel = "FILE",
            description = "BLIP's demo image (demo.jpg), which the published " + "values were computed on.")
    Path image;

    @Option(
            names = "--fixture",
            paramLabel = "DIR",
            description = "Check against a reference fixture's goldens "
                    + "(e.g. shared/fixtures/blip-tiny) instead of the published values.")
    Path fixture;

    @Option(names = "--list", description = "List the checks and where their values come from; run nothing.")
    boolean list;

    @Option(names = "--threads", paramLabel = "N", description = "Compute threads (default: all cores).")
    Integer threads;

    @Option(
            names = {"-v", "--verbose"},
            description = "Print stack traces on errors.")
    boolean verbose;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<SelfTest.Check> checks = fixture != null ? SelfTest.fixture(fixture) : SelfTest.reference();
        if (list) {
            for (SelfTest.Check c : checks) {
                String kind = c.kind().name().toLowerCase(Locale.ROOT);
                out.println(c.name() + "  [" + c.model() + ", " + kind + "]  " + c.source());
            }
            return 0;
        }
        if (threads != null) {
            org.blip4j.engine.Engine.setThreads(threads);
        }
        if (fixture == null && image == null) {
            throw new ParameterException(
                    spec.commandLine(),
                    "Missing required option: '--image=FILE' (BLIP's demo.jpg, "
                            + "which the published values were computed on; or use --fixture DIR)");
        }
        Map<String, List<SelfTest.Check>> byModel = new LinkedHashMap<>();
        String note = null;
        if (model == null) {
            checks.forEach(c ->
                    byModel.computeIfAbsent(c.model(), k -> new ArrayList<>()).add(c));
        } else {
            List<SelfTest.Check> mine =
                    checks.stream().filter(c -> names(model, c.model())).toList();
            if (mine.isEmpty() && fixture == null) { // a folder of another name: the checks of its task
                Task task;
                try (Blip b = load(model)) {
                    task = b.task();
                }
                mine = checks.stream().filter(c -> taskOf(c) == task).toList();
                note = "note: " + model + " is not recognised as one of "
                        + checks.stream().map(SelfTest.Check::model).distinct().toList() + "; the "
                        + task.name().toLowerCase(Locale.ROOT) + " checks are run, and weights "
                        + "other than the released ones will fail them";
            }
            if (mine.isEmpty()) {
                throw new ParameterException(
                        spec.commandLine(),
                        "no check applies to " + model + " (checks exist for "
                                + checks.stream()
                                        .map(SelfTest.Check::model)
                                        .distinct()
                                        .toList() + ")");
            }
            byModel.put(model, mine);
        }
        if (note != null) {
            out.println(note);
        }
        int passed = 0;
        int total = 0;
        for (var e : byModel.entrySet()) {
            Blip blip;
            try {
                blip = load(
                        fixture != null
                                ? fixture.resolve(e.getValue().get(0).model()).toString()
                                : e.getKey());
            } catch (IOException | RuntimeException ex) {
                for (SelfTest.Check c : e.getValue()) {
                    out.println("FAIL  " + c.name() + " (" + c.model() + "): not run, the model could not be loaded: "
                            + Messages.describe(ex));
                    total++;
                }
                continue;
            }
            try (blip) {
                Map<String, RgbImage> decoded = new LinkedHashMap<>();
                for (SelfTest.Check c : e.getValue()) {
                    SelfTest.Result r =
                            SelfTest.run(c, blip, name -> decoded.computeIfAbsent(name, n -> read(blip, n)));
                    out.println(r.line());
                    total++;
                    passed += r.passed() ? 1 : 0;
                }
            }
        }
        out.println(passed + " of " + total + " checks passed"
                + (fixture != null
                        ? " (fixture " + fixture + ")"
                        : " (published values: " + SelfTest.RESOURCE.substring(1) + ")"));
        out.flush();
        return passed == total ? 0 : 1;
    }

    private RgbImage read(Blip blip, String name) {
        Path p = fixture != null ? fixture.resolve(name) : SelfTest.DEMO_IMAGE.equals(name) ? image : Path.of(name);
        try {
            return blip.readImage(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    private Blip load(String spec) throws IOException {
        Path local = Path.of(spec);
        if (fixture != null || java.nio.file.Files.exists(local)) {
            return Blip.load(local);
        }
        try (DownloadProgress progress =
                new DownloadProgress(this.spec.commandLine().getErr())) {
            return Blip.load(
                    ModelSource.resolve(spec, HubSettings.fromEnvironment(), progress), Blip.Options.defaults());
        }
    }

    /** Whether a --model value names a check's model: the hub id, or a local copy named after it. */
    static boolean names(String given, String checkModel) {
        String g = given.replace('\\', '/');
        String id = g.contains("@") ? g.substring(0, g.indexOf('@')) : g; // owner/name@revision
        if (id.equalsIgnoreCase(checkModel)) {
            return true;
        }
        String repo = checkModel.substring(checkModel.indexOf('/') + 1);
        String cacheName = "models--" + checkModel.replace("/", "--");
        for (String part : g.split("/")) {
            if (part.equalsIgnoreCase(repo) || part.equalsIgnoreCase(cacheName) || part.equals(checkModel)) {
                return true;
            }
        }
        return false;
    }

    private static Task taskOf(SelfTest.Check c) {
        return switch (c.kind()) {
            case CAPTION -> Task.CAPTION;
            case VQA -> Task.VQA;
            case ITM, ITC -> Task.ITM;
        };
    }
}
