package org.blip4j.server;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * The page at {@code /}: plain HTML, one script and one style sheet from the jar (no build step), calling the same
 * {@code /v1} API as any client. A strict Content-Security-Policy allows only this origin's scripts and styles.
 */
final class WebPage {
    private static final Map<String, String> FILES = Map.of(
            "/", "web/index.html",
            "/app.js", "web/app.js",
            "/style.css", "web/style.css");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8");
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            + "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

    void register(RoutesConfig r) {
        FILES.forEach((path, resource) ->
                BlipServer.route(r, io.javalin.http.HandlerType.GET, path, ctx -> serve(ctx, resource)));
        r.get("/favicon.ico", ctx -> ctx.status(204));
    }

    private static void serve(Context ctx, String resource) throws IOException {
        try (InputStream in = WebPage.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " missing from the jar");
            }
            String ext = resource.substring(resource.lastIndexOf('.') + 1);
            ctx.contentType(TYPES.get(ext))
                    .header("Content-Security-Policy", CSP)
                    .header("X-Frame-Options", "DENY")
                    .header("Referrer-Policy", "no-referrer")
                    .header("Cache-Control", "no-cache")
                    .result(in.readAllBytes());
        }
    }
}
