package org.blip4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The real torch.save checkpoints of the blip-tiny fixture. */
class PthReaderFixtureTest {

    @ParameterizedTest
    @ValueSource(strings = {"blip_decoder", "blip_itm", "blip_vqa", "blip_retrieval"})
    void keyCountsMatchManifest(String model) throws Exception {
        JsonNode w = IoFixtures.manifest().get("weights").get(model);
        PthCheckpoint ck = PthReader.read(IoFixtures.file(w.get("pth").asText()));
        assertEquals(
                w.get("num_keys").asInt(),
                ck.stateDict().size() + ck.otherValues().size());
        assertEquals(w.get("num_keys").asInt(), ck.stateDict().size(), "every state-dict entry is a tensor");
        assertEquals(List.of("model"), ck.topLevelKeys());
        assertEquals("model", ck.stateDictKey());
        assertEquals(model, ck.archiveName());
        assertEquals("3", ck.version());
        try (SafeTensors hf =
                SafeTensors.open(IoFixtures.file(w.get("hf_safetensors").asText()))) {
            assertEquals(w.get("hf_num_keys").asInt(), hf.entries().size());
        }
    }

    @Test
    void pretrainKeyCountAndSharedStorage() throws Exception {
        PthCheckpoint ck = PthReader.read(IoFixtures.file("blip_pretrain.pth"));
        assertEquals(252, ck.stateDict().size());
        // encoder/decoder-tied text weights: embeddings (word embeddings form a triple with the LM head), the 16
        // cross-attention/FFN tensors of each of the 2 layers, and the LM-head bias pair
        assertEquals(4 + 32 + 1, ck.sharedStorage().size());
        assertEquals(3, ck.sharedStorage().get(0).size());
        assertEquals(
                "text_encoder.embeddings.word_embeddings.weight",
                ck.aliasOf().get("text_decoder.cls.predictions.decoder.weight"));
        assertEquals(DType.F32, ck.stateDict().get("temp").dtype());
        assertEquals(0, ck.stateDict().get("temp").shape().length);
        assertEquals(0.6f, ck.stateDict().get("temp").toFloats()[0], 1e-7f);
        assertEquals(DType.I64, ck.stateDict().get("queue_ptr").dtype());
    }

    @Test
    void decoderReportsTiedLmHead() throws Exception {
        PthCheckpoint ck = PthReader.read(IoFixtures.file("blip_decoder.pth"));
        assertEquals(
                "text_decoder.bert.embeddings.word_embeddings.weight",
                ck.aliasOf().get("text_decoder.cls.predictions.decoder.weight"));
        assertEquals(
                "text_decoder.cls.predictions.bias", ck.aliasOf().get("text_decoder.cls.predictions.decoder.bias"));
        assertEquals(2, ck.aliasOf().size());
        assertEquals(
                List.of(
                        List.of(
                                "text_decoder.bert.embeddings.word_embeddings.weight",
                                "text_decoder.cls.predictions.decoder.weight"),
                        List.of("text_decoder.cls.predictions.bias", "text_decoder.cls.predictions.decoder.bias")),
                ck.sharedStorage());
        JsonNode tied = IoFixtures.manifest().get("weights").get("blip_decoder").get("tied");
        for (JsonNode t : tied) {
            assertEquals(t.get(1).asText(), ck.aliasOf().get(t.get(0).asText()));
        }
        // the mapped storage is shared, not copied
        assertFalse(ck.tensorInfo()
                .get("text_decoder.cls.predictions.decoder.weight")
                .copied());
        assertTrue(ck.stateDict()
                .get("text_decoder.cls.predictions.decoder.weight")
                .data()
                .isDirect());
    }

    @ParameterizedTest
    @ValueSource(strings = {"blip_itm", "blip_retrieval"})
    void noTiesWhereManifestHasNone(String model) throws Exception {
        PthCheckpoint ck = PthReader.read(IoFixtures.file(model + ".pth"));
        assertTrue(ck.aliasOf().isEmpty());
        assertTrue(ck.sharedStorage().isEmpty());
    }

    @Test
    void fileOrderAndDtypes() throws Exception {
        PthCheckpoint ck = PthReader.read(IoFixtures.file("blip_decoder.pth"));
        List<String> keys = new ArrayList<>(ck.stateDict().keySet());
        assertEquals("visual_encoder.cls_token", keys.get(0));
        assertEquals("visual_encoder.pos_embed", keys.get(1));
        assertArrayEquals(
                new long[] {1, 17, 48},
                ck.stateDict().get("visual_encoder.pos_embed").shape());
        RawTensor pos = ck.stateDict().get("text_decoder.bert.embeddings.position_ids");
        assertEquals(DType.I64, pos.dtype());
        long[] ids = pos.toLongs();
        for (int i = 0; i < ids.length; i++) {
            assertEquals(i, ids[i]);
        }
        assertNull(ck.aliasOf().get("visual_encoder.cls_token"));
    }

    /** HF renames the ViT; everything else keeps its name. */
    static String hfName(String pth) {
        String k = pth.replace("visual_encoder.", "vision_model.")
                .replace("vision_model.cls_token", "vision_model.embeddings.class_embedding")
                .replace("vision_model.pos_embed", "vision_model.embeddings.position_embedding")
                .replace("vision_model.patch_embed.proj", "vision_model.embeddings.patch_embedding")
                .replaceAll("vision_model\\.blocks\\.(\\d+)\\.", "vision_model.encoder.layers.$1.")
                .replace(".norm1.", ".layer_norm1.")
                .replace(".norm2.", ".layer_norm2.")
                .replace(".attn.qkv.", ".self_attn.qkv.")
                .replace(".attn.proj.", ".self_attn.projection.")
                .replace("vision_model.norm.", "vision_model.post_layernorm.");
        return k;
    }

    @ParameterizedTest
    @ValueSource(strings = {"blip_decoder", "blip_itm", "blip_vqa", "blip_retrieval"})
    void tensorsEqualHfSafetensorsByteForByte(String model) throws Exception {
        PthCheckpoint ck = PthReader.read(IoFixtures.file(model + ".pth"));
        try (SafeTensors hf = SafeTensors.open(IoFixtures.file(model + ".hf.safetensors"))) {
            Set<String> matched = new LinkedHashSet<>();
            int sameName = 0;
            for (Map.Entry<String, RawTensor> e : ck.stateDict().entrySet()) {
                String name = hfName(e.getKey());
                if (!hf.contains(name)) {
                    continue;
                }
                sameName += name.equals(e.getKey()) ? 1 : 0;
                RawTensor h = hf.get(name);
                RawTensor p = e.getValue();
                assertEquals(h.dtype(), p.dtype(), name);
                assertArrayEquals(h.shape(), p.shape(), name);
                assertEquals(h.data(), p.data(), name + " differs");
                matched.add(name);
            }
            assertEquals(hf.entries().keySet(), matched, "every HF tensor has a .pth counterpart");
            assertTrue(sameName > 50, "text_*, *_proj, itm_head keys keep their names");
        }
    }
}
