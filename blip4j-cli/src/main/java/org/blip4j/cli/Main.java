package org.blip4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code blip4j} command line: BLIP captioning, matching, question answering from the shell. */
@Command(
    name = "blip4j",
    mixinStandardHelpOptions = true,
    version = "blip4j 0.1.0",
    description = "BLIP (Bootstrapping Language-Image Pre-training) on the JVM.",
    subcommands = {
        CaptionCommand.class, ItmCommand.class, VqaCommand.class, NlvrCommand.class, EmbedCommand.class,
        IndexCommand.class, SearchCommand.class, CommandLine.HelpCommand.class},
    footer = {
        "",
        "Examples:",
        "  blip4j caption --model models/blip-image-captioning-base photo.jpg",
        "  blip4j itm --model models/blip-itm-base-coco photo.jpg --text \"a dog on a beach\"",
        "  blip4j vqa --model models/blip-vqa-base photo.jpg --question \"what is the dog doing?\"",
        "  blip4j index --model models/blip-itm-base-coco --index photos.idx photos/",
        "  blip4j search --model models/blip-itm-base-coco --index photos.idx --text \"a dog on a beach\"",
        "",
        "Exit codes: 0 ok, 1 some items failed, 2 usage error."})
public final class Main implements Runnable {
  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the CLI with the given streams and returns the exit code (for tests and embedding). */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      boolean verbose = parsed.hasMatchedOption("--verbose");
      err.println("blip4j: " + Messages.describe(ex));
      if (verbose) {
        ex.printStackTrace(err);
      }
      err.flush();
      return 1;
    });
    return cli.execute(args);
  }
}
