package org.blip4j.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every key a training recipe may hold, with its type: the one table {@link Recipe} validates against. A key not
 * listed is an error (with the nearest known key suggested), so a misspelt setting can never be ignored silently.
 *
 * <p>To add a key, add one line to {@link #KEYS} (and read it in {@link TrainRunner}); keys of the reference's
 * {@code configs/*.yaml} that blip4j deliberately does not use go in with {@link Type#IGNORED} and the reason.
 */
public final class RecipeKeys {
    private RecipeKeys() {}

    /** What a value must be. */
    public enum Type {
        /** An integer (YAML int). */
        INT("an integer"),
        /** A number; YAML 1.1 reads {@code 1e-5} as a string, so numeric strings count. */
        NUMBER("a number"),
        /** true or false (YAML boolean: true/false, True/False). */
        FLAG("true or false"),
        /** A string. */
        STRING("a string"),
        /** true, false or one of the key's named values (a YAML boolean or a string). */
        FLAG_OR_NAME("true, false or a name"),
        /** A path, resolved against the recipe's folder. */
        PATH("a path"),
        /** A path or a list of paths. */
        PATHS("a path or a list of paths"),
        /** A mapping whose keys are listed in {@link #SUBKEYS}. */
        MAPPING("a mapping"),
        /** A key of the reference's configs that blip4j accepts and ignores on purpose (any value). */
        IGNORED("anything");

        final String description;

        Type(String description) {
            this.description = description;
        }
    }

    /** One recipe key: its type and what it does (or, for an ignored key, why it is ignored). */
    public record Key(String name, Type type, String doc) {}

    /** The table. Order: blip4j's keys by topic, then the reference's ignored keys. */
    public static final List<Key> KEYS = List.of(
            // model and data
            new Key("pretrained", Type.STRING, "starting checkpoint: hub id, .pth / weight file or model folder"),
            new Key("med_config", Type.PATH, "from scratch: BLIP's med_config.json (text sizes)"),
            new Key("vocab", Type.PATH, "from scratch: the vocab.txt"),
            new Key("vision", Type.MAPPING, "from scratch: ViT sizes (patch_size, hidden_size, num_layers, ...)"),
            new Key(
                    "pos_embed_at_output",
                    Type.FLAG_OR_NAME,
                    "true: the ViT's position embedding added to its output tokens too, so cross-attention can pick"
                            + " tokens by place; normalized: the same embedding layer-normalised first, as strong as"
                            + " the content (not BLIP's; default false; with pretrained: switched for this run)"),
            new Key(
                    "vision_init",
                    Type.PATH,
                    "from scratch: start the ViT from these visual_encoder.* weights (BLIP starts from ImageNet's);"
                            + " another grid interpolates the position embeddings, another patch size resizes the"
                            + " patch projection"),
            new Key(
                    "patch_labels",
                    Type.FLAG,
                    "vision stage: label every patch with the shape and colour under it (scenes of several objects)"),
            new Key(
                    "patch_positions",
                    Type.FLAG,
                    "vision stage (with patch_labels) and pre-training: every image patch token also names its own"
                            + " row and column (a training-only head), so the tokens keep where they lie"),
            new Key(
                    "patch_relations",
                    Type.FLAG,
                    "vision stage (with patch_labels) and VQA on a train_stream: every image token an object lies"
                            + " under also names the shape and colour of the object left of, right of, above and below"
                            + " it (a training-only head)"),
            new Key(
                    "resume_from",
                    Type.PATH,
                    "vision stage: start from another run's checkpoint (weights, optimizer state and step)"),
            new Key("schedule_steps", Type.INT, "vision stage: the cosine schedule's length (default max_steps)"),
            new Key("embed_dim", Type.INT, "from scratch: ITC projection width (default 256)"),
            new Key("train_file", Type.PATHS, "annotation file(s) in BLIP's formats"),
            new Key(
                    "train_stream",
                    Type.MAPPING,
                    "fresh shapes-world scenes rendered by the loader instead of train_file"),
            new Key("validate", Type.MAPPING, "held-out shapes scenes measured along training (needs train_stream)"),
            new Key("image_root", Type.PATH, "folder the annotations' image paths are relative to"),
            new Key("vg_root", Type.PATH, "VQA: Visual Genome image folder (default image_root)"),
            new Key("output_dir", Type.PATH, "checkpoints/ and model/ go here"),
            new Key("image_size", Type.INT, "input resolution"),
            new Key("prompt", Type.STRING, "caption prompt (default 'a picture of ')"),
            new Key("text_padding", Type.STRING, "max_length (the reference) or longest"),
            // augmentation
            new Key("min_scale", Type.NUMBER, "RandomResizedCrop's smallest scale (reference 0.5, pre-training 0.2)"),
            new Key("hflip", Type.NUMBER, "horizontal flip probability (default 0.5)"),
            new Key("rand_augment", Type.FLAG, "RandAugment on (default true)"),
            // optimisation
            new Key("batch_size", Type.INT, "batch size"),
            new Key("batch_size_train", Type.INT, "batch size (the reference's name; batch_size wins)"),
            new Key("init_lr", Type.NUMBER, "learning rate"),
            new Key("min_lr", Type.NUMBER, "cosine / step schedule floor"),
            new Key("warmup_lr", Type.NUMBER, "pre-training warm-up start"),
            new Key("warmup_steps", Type.INT, "pre-training warm-up steps"),
            new Key("lr_decay_rate", Type.NUMBER, "pre-training step decay per epoch"),
            new Key("weight_decay", Type.NUMBER, "AdamW weight decay"),
            new Key(
                    "vision_lr_scale",
                    Type.NUMBER,
                    "the ViT's (visual_encoder.*) learning rate as a fraction of init_lr; 0 freezes it (default 1)"),
            new Key(
                    "max_epoch",
                    Type.INT,
                    "epochs (0: no training; the pretrained model exported as this task's model)"),
            new Key("max_steps", Type.INT, "stop after this many steps in total (0: run all epochs)"),
            new Key("grad_accumulation", Type.INT, "batches per optimiser step"),
            new Key(
                    "optimizer_in_backward",
                    Type.FLAG,
                    "update each parameter inside backward and drop its gradient (less memory, same weights)"),
            new Key(
                    "precision",
                    Type.STRING,
                    "float32 (default) or bf16: mixed precision, the linear layers' products in bfloat16 (forward and"
                            + " backward), weights and optimiser state float32"),
            new Key("queue_size", Type.INT, "ITC feature queue length"),
            new Key("alpha", Type.NUMBER, "ITC distillation weight"),
            new Key("momentum", Type.NUMBER, "momentum-encoder coefficient (default 0.995)"),
            new Key("vit_grad_ckpt", Type.FLAG, "ViT gradient checkpointing"),
            new Key("vit_ckpt_layer", Type.INT, "how many of the last ViT blocks are checkpointed"),
            new Key("seed", Type.INT, "random seed"),
            new Key("workers", Type.INT, "data loader threads (default: cores / local ranks)"),
            // data-parallel training (docs/training.md)
            new Key(
                    "nproc",
                    Type.INT,
                    "blip4j train: ranks to start on this machine when the command gives no --nproc (what this"
                            + " recipe's per-rank batch_size is written for; default 1)"),
            new Key("negative_all_rank", Type.FLAG, "retrieval: ITM hard negatives from every rank's batch"),
            new Key("bucket_cap_mb", Type.NUMBER, "gradient all-reduce bucket size in MB (default 25, as DDP)"),
            // checkpoints and export
            new Key("checkpoint_every", Type.INT, "optimiser steps between checkpoints (0: epoch ends)"),
            new Key("keep_checkpoints", Type.INT, "step checkpoints kept (default 2)"),
            new Key("export_half", Type.FLAG, "export float16 inference weights"),
            new Key(
                    "max_length",
                    Type.INT,
                    "caption length limit (tokens, prompt included) written to the model's generation_config.json"),
            new Key("min_length", Type.INT, "caption minimum length written to the model's generation_config.json"),
            new Key("num_beams", Type.INT, "caption beam width written to the model's generation_config.json"),
            new Key(
                    "no_repeat_ngram_size",
                    Type.INT,
                    "caption n-gram ban (Hugging Face's) written to the model's generation_config.json"),
            // reference keys accepted and ignored on purpose
            new Key(
                    "vit",
                    Type.IGNORED,
                    "the ViT size is read from the pretrained checkpoint (or 'vision:' from scratch)"),
            new Key("ann_root", Type.IGNORED, "blip4j names annotation files directly (train_file)"),
            new Key(
                    "train_files",
                    Type.IGNORED,
                    "reference VQA dataset names; blip4j names files directly (train_file)"),
            new Key("vqa_root", Type.IGNORED, "reference VQA image folder; blip4j uses image_root"),
            new Key("dataset", Type.IGNORED, "reference dataset switch; blip4j reads the annotation format"),
            new Key("coco_gt_root", Type.IGNORED, "evaluation ground truth; see 'blip4j eval'"),
            new Key("laion_path", Type.IGNORED, "reference LAION shard loader, not implemented"),
            new Key("video_root", Type.IGNORED, "video evaluation only"),
            new Key("num_frm_test", Type.IGNORED, "video evaluation only"),
            new Key("batch_size_test", Type.IGNORED, "evaluation only"),
            new Key("k_test", Type.IGNORED, "evaluation only ('blip4j eval -k')"),
            new Key("inference", Type.IGNORED, "evaluation only (VQA 'rank' or 'generate')"));

    /** Keys of the {@link Type#MAPPING} keys. */
    public static final Map<String, List<Key>> SUBKEYS = Map.of(
            "vision",
                    List.of(
                            new Key("patch_size", Type.INT, "ViT patch size (default 16)"),
                            new Key("hidden_size", Type.INT, "ViT width (default 768)"),
                            new Key("num_layers", Type.INT, "ViT depth (default 12)"),
                            new Key("num_heads", Type.INT, "ViT heads (default 12)"),
                            new Key("intermediate_size", Type.INT, "ViT MLP width (default 3072)")),
            "train_stream",
                    List.of(
                            new Key("world", Type.STRING, "the synthetic world (shapes)"),
                            new Key("seed", Type.INT, "scene seed"),
                            new Key("epoch_size", Type.INT, "scenes per epoch"),
                            new Key("min_side", Type.INT, "smallest rendered side (px)"),
                            new Key("max_side", Type.INT, "largest rendered side (px)"),
                            new Key("aliased", Type.NUMBER, "fraction rendered without antialiasing"),
                            new Key("max_objects", Type.INT, "objects per scene at most"),
                            new Key(
                                    "solid",
                                    Type.NUMBER,
                                    "fraction of scenes on a solid background (default 0: the world's mix)"),
                            new Key(
                                    "styled",
                                    Type.NUMBER,
                                    "fraction of scenes drawn with random outline proportions (default 0)"),
                            new Key("pool", Type.INT, "a fixed pool of this many scenes (0: always fresh)"),
                            new Key(
                                    "question_weights",
                                    Type.MAPPING,
                                    "VQA: weights for drawing question types ({relation: 3}; the others 1)"),
                            new Key(
                                    "referent_pairs",
                                    Type.NUMBER,
                                    "VQA: fraction of colour relation questions that come with the colour question"
                                            + " about their referent, same image, same batch (default 0)"),
                            new Key(
                                    "hard_negatives",
                                    Type.NUMBER,
                                    "pre-training / retrieval: fraction of images whose ITM text negative is a"
                                            + " minimal false caption of the scene (default 0)"),
                            new Key(
                                    "skip_true_negatives",
                                    Type.FLAG,
                                    "pre-training / retrieval: ITM never mines a caption that holds for the image"
                                            + " (or an image a caption holds for) as a negative (default false)")),
            "question_weights",
                    List.of(
                            new Key("color", Type.NUMBER, "weight of colour questions"),
                            new Key("shape", Type.NUMBER, "weight of shape questions"),
                            new Key("count", Type.NUMBER, "weight of count questions"),
                            new Key("exist", Type.NUMBER, "weight of existence questions"),
                            new Key("relation", Type.NUMBER, "weight of relation questions")),
            "validate",
                    List.of(
                            new Key("every", Type.INT, "steps between validations"),
                            new Key("scenes", Type.INT, "held-out scenes measured"),
                            new Key("seed", Type.INT, "their seed"),
                            new Key(
                                    "max_objects",
                                    Type.INT,
                                    "vision stages: objects per held-out scene at most (default: train_stream's)"),
                            new Key(
                                    "training_scenes",
                                    Type.FLAG,
                                    "measure on the training pool instead (overfit check)")));

    private static final Map<String, Key> BY_NAME = index(KEYS);

    private static Map<String, Key> index(List<Key> keys) {
        Map<String, Key> m = new LinkedHashMap<>();
        for (Key k : keys) {
            if (m.put(k.name(), k) != null) {
                throw new IllegalStateException("recipe key listed twice: " + k.name());
            }
        }
        return m;
    }

    /** The key, or null when it is not in the table. */
    public static Key get(String name) {
        return BY_NAME.get(name);
    }

    /** A sub-key of a mapping key, or null. */
    static Key get(String parent, String name) {
        return SUBKEYS.getOrDefault(parent, List.of()).stream()
                .filter(k -> k.name().equals(name))
                .findFirst()
                .orElse(null);
    }

    /** The known name nearest to {@code name} by edit distance. */
    static String nearest(String name, List<Key> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (Key k : known) {
            int d = distance(name, k.name());
            if (d < bestDistance) {
                best = k.name();
                bestDistance = d;
            }
        }
        return best;
    }

    /** Levenshtein distance; a dozen lines here rather than a text library for one function. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
