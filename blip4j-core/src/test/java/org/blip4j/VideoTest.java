package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.blip4j.image.RgbImage;
import org.blip4j.testutil.Fixture;
import org.junit.jupiter.api.Test;

/** Zero-shot video retrieval pieces (eval_retrieval_video.py), checked by hand-derivable identities. */
class VideoTest {
  @Test
  void frameSamplingIsTheReferenceArange() {
    assertArrayEquals(new int[] {0, 2, 5, 7, 10, 12, 15, 17}, Blip.sampleFrameIndices(20, 8)); // arange(0,20,2.5)
    // fewer frames than samples: arange(0, 3, 0.375) = 0, .375, .75, 1.125, … 2.625 → repeats frames
    assertArrayEquals(new int[] {0, 0, 0, 1, 1, 1, 2, 2}, Blip.sampleFrameIndices(3, 8));
    assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, Blip.sampleFrameIndices(8, 8));
  }

  @Test
  void videoOfOneRepeatedFrameIsThatImage() throws Exception {
    try (Fixture fx = Fixture.open(); Blip blip = Blip.load(fx.require("blip_retrieval.pth"))) {
      String name = fx.manifest().path("preset_config").path("images").get(0).get(0).asText();
      RgbImage img = blip.readImage(fx.require(name));
      float[] single = blip.imageEmbedding(img);
      float[] video = blip.videoEmbedding(List.of(img, img, img));
      for (int i = 0; i < single.length; i++) {
        assertEquals(single[i], video[i], 1e-6, "mean of identical frames = the frame");
      }
      // mean of two different frames, normalised: compare with the normalised mean of unnormalised projections
      List<RgbImage> two = new ArrayList<>();
      for (int k = 0; k < 2; k++) {
        two.add(blip.readImage(fx.require(fx.manifest().path("preset_config").path("images").get(k).get(0).asText())));
      }
      float[] v2 = blip.videoEmbedding(two);
      double norm = 0;
      for (float x : v2) {
        norm += x * x;
      }
      assertEquals(1.0, norm, 1e-5);
      String caption = fx.manifest().path("preset_config").path("captions").get(0).asText();
      double one = blip.itmLogits(img, List.of(caption), Blip.MatchToken.ENC)[0];
      double vid = blip.videoItmLogits(List.of(img), List.of(caption))[0];
      assertEquals(one, vid, 1e-4, "a one-frame video matches like its image");
    }
  }
}
