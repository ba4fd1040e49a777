package org.blip4j.dist;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** Runs test worker mains as ranks of a local job, through {@link Launcher}, and captures their output. */
final class Workers {
    private Workers() {}

    /** The outcome of a launch and everything the ranks and the launcher printed. */
    record Run(Launcher.Result result, String out, String err) {}

    static Run launch(int nproc, Class<?> main, String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            Launcher.Result r = Launcher.run(
                    new Launcher.Spec(nproc, 1, 0, "127.0.0.1", 0, Duration.ofSeconds(5)),
                    Launcher.javaCommand(main.getName(), List.of(args)),
                    o,
                    e);
            return new Run(r, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
    }
}
