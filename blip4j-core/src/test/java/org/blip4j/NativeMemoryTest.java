package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.image.RgbImage;
import org.blip4j.testutil.Fixture;
import org.junit.jupiter.api.Test;

/** Native memory is scoped per call: 10,000 API calls leave the resident set flat. */
class NativeMemoryTest {
  static long rssKb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D+", ""));
      }
    }
    throw new IllegalStateException("no VmRSS");
  }

  @Test
  void tenThousandCallsDoNotGrowTheResidentSet() throws Exception {
    try (Fixture fx = Fixture.open();
        Blip itm = Blip.load(fx.require("blip_itm.pth"));
        Blip cap = Blip.load(fx.require("blip_decoder.pth"))) {
      String firstImage = fx.manifest().path("preset_config").path("images").get(0).get(0).asText();
      RgbImage img = itm.readImage(fx.require(firstImage));
      List<String> texts = List.of(fx.manifest().path("preset_config").path("captions").get(0).asText());
      Blip.CaptionOptions opts = Blip.CaptionOptions.defaults().withGeneration(GenerationConfig.beam(3, 12, 5));
      for (int i = 0; i < 200; i++) { // warm-up: allocator pools, JIT
        itm.itm(img, texts, Blip.MatchToken.CLS);
        cap.caption(List.of(img), opts);
      }
      System.gc();
      long before = rssKb();
      long heapBefore = Runtime.getRuntime().totalMemory() / 1024;
      for (int i = 0; i < 10_000; i++) {
        itm.itm(img, texts, Blip.MatchToken.CLS);
        if (i % 50 == 0) {
          cap.caption(List.of(img), opts);
        }
      }
      System.gc();
      long after = rssKb();
      long heapGrowth = Runtime.getRuntime().totalMemory() / 1024 - heapBefore; // the Java heap may expand; not native
      long nativeGrowth = after - before - Math.max(0, heapGrowth);
      System.out.printf("RSS before %d KiB, after 10,000 ITM + 200 caption calls %d KiB (+%d KiB, of which Java heap "
          + "expansion %d KiB)%n", before, after, after - before, heapGrowth);
      assertTrue(nativeGrowth < 64 * 1024, "resident set grew by " + (after - before) + " KiB, Java heap by "
          + heapGrowth + " KiB");
    }
  }
}
