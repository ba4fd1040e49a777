package org.blip4j.hub;

import java.io.IOException;

/** A failure to resolve or download a hub model, with a message meant for the user as is. */
public final class HubException extends IOException {
    private static final long serialVersionUID = 1L;

    public HubException(String message) {
        super(message);
    }

    public HubException(String message, Throwable cause) {
        super(message, cause);
    }
}
