package org.blip4j.server;

/** An error the API answers with its own status and a one-line message (never a stack trace). */
final class ServiceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final int retryAfterSeconds;

    ServiceException(int status, String code, String message, int retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400: the request itself is wrong (parameters, image, model name). */
    static ServiceException badRequest(String code, String message) {
        return new ServiceException(400, code, message, 0);
    }

    /** 503 with a Retry-After hint: queue full, loading or shutting down. */
    static ServiceException unavailable(String message, int retryAfterSeconds) {
        return new ServiceException(503, "unavailable", message, retryAfterSeconds);
    }

    /** 504: the request's deadline passed before its answer was ready. */
    static ServiceException deadline(String lane) {
        return new ServiceException(
                504,
                "deadline_exceeded",
                "the request's deadline passed before " + lane
                        + " could answer it; retry, or send fewer requests at once",
                0);
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }

    int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
