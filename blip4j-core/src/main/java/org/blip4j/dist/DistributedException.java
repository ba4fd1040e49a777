package org.blip4j.dist;

import java.util.List;

/** A data-parallel job cannot go on: a rank is gone or hung, or the master cannot be reached. Names the ranks. */
public final class DistributedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final List<Integer> ranks;

    public DistributedException(String message, List<Integer> ranks, Throwable cause) {
        super(message, cause);
        this.ranks = List.copyOf(ranks);
    }

    /** The ranks the failure is attributed to (empty when none could be told). */
    public List<Integer> ranks() {
        return ranks;
    }
}
