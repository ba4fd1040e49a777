package org.blip4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.blip4j.Blip;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code blip4j nlvr}: is a statement true of a pair of images (NLVR2)? */
@Command(
        name = "nlvr",
        mixinStandardHelpOptions = true,
        description = "Judge a statement about two images (needs an NLVR2 checkpoint).",
        footer = {
            "",
            "Examples:",
            "  blip4j nlvr -m models/blip-nlvr left.jpg right.jpg -s \"both images show two dogs\"",
            "  blip4j nlvr -m models/blip-nlvr --json a.jpg b.jpg -s \"there is a red car\""
        })
final class NlvrCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Parameters(index = "0", paramLabel = "LEFT")
    Path left;

    @Parameters(index = "1", paramLabel = "RIGHT")
    Path right;

    @Option(
            names = {"-s", "--statement"},
            required = true,
            description = "The statement to judge.")
    String statement;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (Blip blip = model.load()) {
            double p = blip.nlvr(blip.readImage(left), blip.readImage(right), statement);
            var out = spec.commandLine().getOut();
            if (model.json) {
                out.printf(
                        "{\"left\":%s,\"right\":%s,\"statement\":%s,\"p_true\":%.6f,\"answer\":%s}%n",
                        q(left.toString()), q(right.toString()), q(statement), p, p > 0.5);
            } else {
                out.printf("%s (p_true=%.4f)%n", p > 0.5 ? "true" : "false", p);
            }
            return 0;
        }
    }

    private static String q(String s) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(s);
    }
}
