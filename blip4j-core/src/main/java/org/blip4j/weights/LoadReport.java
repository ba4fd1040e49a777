package org.blip4j.weights;

import java.util.List;

/**
 * What a load did: tensors loaded, keys ignored by the policy, and the problems that make a strict load fail.
 *
 * @param mismatched entries "name: checkpoint [..] vs model [..]"
 * @param interpolated notes on resized position embeddings
 */
public record LoadReport(
        String source,
        int loaded,
        List<String> missing,
        List<String> unexpected,
        List<String> mismatched,
        List<String> ignored,
        List<String> interpolated) {

    public boolean ok() {
        return missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty();
    }

    /** One readable message listing every problem (at most 20 names per kind). */
    public String describe() {
        StringBuilder sb = new StringBuilder(source + ": ");
        if (ok()) {
            return sb.append("loaded ").append(loaded).append(" tensors").toString();
        }
        sb.append("checkpoint does not fit the model (").append(loaded).append(" tensors matched)");
        section(sb, "missing from the checkpoint", missing);
        section(sb, "unexpected in the checkpoint", unexpected);
        section(sb, "shape mismatch", mismatched);
        return sb.toString();
    }

    private static void section(StringBuilder sb, String title, List<String> names) {
        if (names.isEmpty()) {
            return;
        }
        sb.append("\n  ").append(title).append(" (").append(names.size()).append("):");
        names.stream().limit(20).forEach(n -> sb.append("\n    ").append(n));
        if (names.size() > 20) {
            sb.append("\n    … and ").append(names.size() - 20).append(" more");
        }
    }
}
