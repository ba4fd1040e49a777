package org.blip4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/** Expands command-line inputs: files, folders (their images, sorted), globs, or "-" for a list on stdin. */
final class Inputs {
    static final Set<String> IMAGE_EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif", "webp", "tif", "tiff");

    private Inputs() {}

    static List<Path> expand(List<String> args) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String a : args) {
            if (a.equals("-")) {
                BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = r.readLine()) != null; ) {
                    if (!line.isBlank()) {
                        out.add(Path.of(line.strip()));
                    }
                }
            } else if (indexOfWildcard(a) < a.length() && !Files.exists(Path.of(a))) {
                List<Path> matches = glob(a);
                if (matches.isEmpty()) {
                    out.add(Path.of(a)); // as a shell does: an unmatched pattern stays, and is reported as not found
                } else {
                    out.addAll(matches);
                }
            } else {
                Path p = Path.of(a);
                if (Files.isDirectory(p)) {
                    try (Stream<Path> s = Files.walk(p)) {
                        s.filter(Files::isRegularFile)
                                .filter(Inputs::isImage)
                                .sorted()
                                .forEach(out::add);
                    }
                } else {
                    out.add(p); // missing files are reported per item, not here
                }
            }
        }
        if (out.isEmpty() && !args.isEmpty()) {
            throw new IOException("no images found in " + String.join(" ", args) + " (looked for "
                    + String.join(", ", IMAGE_EXTENSIONS.stream().sorted().toList()) + " files)");
        }
        return out;
    }

    static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = n.lastIndexOf('.');
        return dot > 0 && IMAGE_EXTENSIONS.contains(n.substring(dot + 1));
    }

    private static List<Path> glob(String pattern) throws IOException {
        Path base = Path.of(".");
        String rest = pattern;
        int firstWild = indexOfWildcard(pattern);
        int slash = pattern.lastIndexOf('/', firstWild);
        if (slash >= 0) {
            base = Path.of(pattern.substring(0, slash + 1));
            rest = pattern.substring(slash + 1);
        }
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + rest);
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(base)) {
            return out;
        }
        Path root = base;
        try (Stream<Path> s = Files.walk(base)) {
            s.filter(Files::isRegularFile)
                    .filter(p -> m.matches(root.relativize(p)))
                    .sorted()
                    .forEach(out::add);
        }
        return out;
    }

    private static int indexOfWildcard(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '*' || c == '?' || c == '[') {
                return i;
            }
        }
        return s.length();
    }
}
