package org.blip4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Per-item failures: one line on stderr (and a JSON record on stdout in --json mode); the run goes on. */
final class Report {
    private Report() {}

    static void failure(
            PrintWriter out,
            PrintWriter err,
            ObjectMapper json,
            boolean jsonMode,
            String key,
            Path item,
            Exception e,
            boolean verbose) {
        failure(out, err, json, jsonMode, key, item, e, verbose, null);
    }

    static void failure(
            PrintWriter out,
            PrintWriter err,
            ObjectMapper json,
            boolean jsonMode,
            String key,
            Path item,
            Exception e,
            boolean verbose,
            Progress progress) {
        String msg = Messages.describe(e);
        if (progress != null) {
            progress.clear();
        }
        err.println("blip4j: " + (msg.startsWith(item.toString()) ? msg : item + ": " + msg));
        if (verbose) {
            e.printStackTrace(err);
        }
        if (jsonMode) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put(key, item.toString());
            row.put("error", msg);
            try {
                out.println(json.writeValueAsString(row));
            } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
                throw new IllegalStateException(ex);
            }
        }
        err.flush();
    }
}
