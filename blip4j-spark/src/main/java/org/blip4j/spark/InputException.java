package org.blip4j.spark;

import java.io.IOException;

/** A job input that cannot be used (missing, unreadable, a wrong or missing column); the message names it. */
final class InputException extends IOException {
    private static final long serialVersionUID = 1L;

    InputException(String message) {
        super(message);
    }
}
