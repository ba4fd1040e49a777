package org.blip4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void smoke() throws Exception {
    long t0 = System.nanoTime();
    try (BlipServer s = BlipServer.start(ServerConfig.defaults().withPort(0))) {
      System.out.println("start ms " + (System.nanoTime() - t0) / 1e6);
      Http h = new Http(s);
      var sc = Scenes.all().get(0);
      System.out.println(h.get("/healthz").text() + h.get("/readyz").text());
      System.out.println(h.get("/v1/models").text());
      var r = h.postForm("/v1/caption", Map.of("image", sc.png()));
      System.out.println(r.status() + " " + r.text() + " " + r.headers().map());
      var o = Http.object();
      o.put("image", Http.base64(sc.png()));
      o.put("question", sc.question());
      System.out.println(h.postJson("/v1/vqa", o).text());
      o.putArray("answers").add("red").add("blue");
      System.out.println(h.postJson("/v1/vqa", o).text());
      System.out.println(h.postForm("/v1/itm", Map.of("image", sc.png(), "texts", List.of(sc.caption(), "a cat"))).text());
      System.out.println(h.postForm("/v1/itc", Map.of("image", sc.png(), "texts", List.of(sc.caption(), "a cat"))).text());
      System.out.println(h.postForm("/v1/embeddings", Map.of("images", List.of(sc.png(), sc.png()), "texts", "x")).text());
      System.out.println(h.postForm("/v1/caption", Map.of("image", "notanimage".getBytes())).text());
      System.out.println(h.postForm("/v1/caption", Map.of("image", sc.png(), "model", "nope")).text());
      System.out.println(h.get("/nope").status() + h.get("/nope").text());
      System.out.println(h.get("/metrics").text());
      System.out.println(h.get("/").text().length());
      assertEquals(200, r.status());
    }
  }
}
