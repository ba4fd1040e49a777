package org.blip4j.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** The {@code blip4j} command line: BLIP captioning, matching, question answering from the shell. */
@Command(
        name = "blip4j",
        mixinStandardHelpOptions = true,
        version = "blip4j 0.1.0",
        description = "BLIP (Bootstrapping Language-Image Pre-training) on the JVM.",
        subcommands = {
            CaptionCommand.class,
            ItmCommand.class,
            VqaCommand.class,
            NlvrCommand.class,
            EmbedCommand.class,
            IndexCommand.class,
            SearchCommand.class,
            TrainCommand.class,
            EvalCommand.class,
            DataCommand.class,
            CapfiltCommand.class,
            DemoCommand.class,
            SelftestCommand.class,
            org.blip4j.server.ServeCommand.class,
            CommandLine.HelpCommand.class
        },
        footer = {
            "",
            "Examples:",
            "  blip4j caption --model Salesforce/blip-image-captioning-base photo.jpg",
            "  blip4j itm --model models/blip-itm-base-coco photo.jpg --text \"a dog on a beach\"",
            "  blip4j vqa --model models/blip-vqa-base photo.jpg --question \"what is the dog doing?\"",
            "  blip4j index --model models/blip-itm-base-coco --index photos.idx photos/",
            "  blip4j search --model models/blip-itm-base-coco --index photos.idx --text \"a dog on a beach\"",
            "  blip4j data shapes --seed 1 --out data/shapes",
            "  blip4j capfilt --captioner models/caption --filter models/itm --web web.jsonl --images imgs --out boot",
            "  blip4j selftest --image demo.jpg",
            "  blip4j serve --port 8080          # the shapes models as a web service and page on 127.0.0.1",
            "",
            "Exit codes: 0 ok, 1 some items failed, 2 usage error."
        })
public final class Main implements Callable<Integer> {
    /** Whether commands may draw a progress bar on stderr (only when a terminal is attached). */
    final boolean progress;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    Main(boolean progress) {
        this.progress = progress;
    }

    /** No subcommand given: a usage error. */
    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("blip4j: missing command");
        spec.commandLine().usage(err);
        err.flush();
        return spec.exitCodeOnInvalidInput();
    }

    public static void main(String[] args) {
        // a bar only where it helps and cannot mix with results: stderr on a terminal, stdout redirected
        boolean progress = isTerminal(2) && !isTerminal(1);
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true), progress));
    }

    /** Whether a standard stream (1 = stdout, 2 = stderr) is a terminal; false where that cannot be told (no /proc). */
    static boolean isTerminal(int fd) {
        try {
            String target = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + fd))
                    .toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (java.io.IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /** Runs the CLI with the given streams and returns the exit code (for tests and embedding); no progress bar. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return run(args, out, err, false);
    }

    /** As {@link #run(String[], PrintWriter, PrintWriter)}, drawing a progress bar on {@code err} if asked to. */
    public static int run(String[] args, PrintWriter out, PrintWriter err, boolean progress) {
        CommandLine cli = new CommandLine(new Main(progress));
        cli.setCaseInsensitiveEnumValuesAllowed(true); // --task nlvr, --match-token enc, as the help and README write
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // --verbose belongs to the subcommand, so ask the parse result of the command that failed
            boolean verbose =
                    cmd.getParseResult() != null && cmd.getParseResult().hasMatchedOption("--verbose");
            err.println("blip4j: " + Messages.describe(ex));
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }
}
