package org.blip4j.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code blip4j data}: dataset tools; for now the synthetic shapes world ({@code blip4j data shapes}). */
@Command(
        name = "data",
        mixinStandardHelpOptions = true,
        description = "Generate datasets in BLIP's annotation formats.",
        subcommands = {ShapesCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Examples:", "  blip4j data shapes --seed 1 --out data/shapes", "  blip4j data help shapes"})
final class DataCommand implements Callable<Integer> {
    @ParentCommand
    Main parent;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** No subcommand given: a usage error. */
    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("blip4j data: missing command");
        spec.commandLine().usage(err);
        err.flush();
        return spec.exitCodeOnInvalidInput();
    }
}
