package org.blip4j.model.vision;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.blip4j.config.VisionConfig;
import org.blip4j.engine.LayerScope;
import org.blip4j.engine.T;
import org.blip4j.nn.Activation;
import org.blip4j.nn.Attention;
import org.blip4j.nn.Block;
import org.blip4j.nn.DeferredBackward;
import org.blip4j.nn.LayerNorm;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The image encoder (paper §3.1), mirrors {@code models/vit.py VisionTransformer} (timm style, pre-norm, fused qkv,
 * final norm).
 *
 * <p>Shapes: B images, N = 1 + patches tokens, D width.
 */
public final class VisionTransformer extends Block implements DeferredBackward {
    private final VisionConfig config;
    final Tensor clsToken;
    final Tensor posEmbed;
    private final PatchEmbed patchEmbed;
    private final List<VisionBlock> blocks;
    private final LayerNorm norm;
    /** Blocks from this index on are gradient-checkpointed while training with autograd (none by default). */
    private int checkpointFrom = Integer.MAX_VALUE;

    private final BlockCheckpointing checkpointing = new BlockCheckpointing();
    /** {@link VisionConfig.PlaceAtOutput#SINCOS}'s fixed features, (1 + g²) × D, or null. */
    private final float[] placeCode;

    public VisionTransformer(VisionConfig c) {
        this.config = c;
        this.clsToken = param("cls_token", 1, 1, c.hiddenSize());
        this.posEmbed = param("pos_embed", 1, c.numTokens(), c.hiddenSize());
        this.patchEmbed = child("patch_embed", new PatchEmbed(c));
        List<VisionBlock> list = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) { // drop-path rates linspace(0, rate, depth), as vit.py
            double rate = c.numLayers() == 1 ? 0.0 : c.dropPathRate() * i / (c.numLayers() - 1);
            list.add(new VisionBlock(c, rate));
        }
        this.blocks = children("blocks", list);
        this.norm = child("norm", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
        this.placeCode = c.placeAtOutput() == VisionConfig.PlaceAtOutput.SINCOS
                ? VisionConfig.PlaceAtOutput.sincos(c.imageSize() / c.patchSize(), c.hiddenSize())
                : null;
    }

    public VisionConfig config() {
        return config;
    }

    /**
     * Gradient checkpointing of the last {@code layers} blocks while training ({@link BlockCheckpointing}), as
     * {@code vit.py}'s {@code use_grad_checkpointing and i >= depth - ckpt_layer} (recipe keys {@code vit_grad_ckpt},
     * {@code vit_ckpt_layer}); 0 turns it off. The backward of those blocks then completes in
     * {@link #finishBackward()} ({@link DeferredBackward#finishAll}).
     */
    public void gradientCheckpointing(int layers) {
        if (layers < 0) {
            throw new IllegalArgumentException("vit_ckpt_layer must be >= 0, got " + layers);
        }
        checkpointFrom = layers == 0 ? Integer.MAX_VALUE : Math.max(0, blocks.size() - layers);
    }

    @Override
    public void finishBackward() {
        checkpointing.finishBackward();
    }

    /**
     * Encodes normalised pixels (B, 3, S, S) into image embeddings (B, N, D); with {@link
     * VisionConfig#placeAtOutput()} the position embedding (or its layer-normalised form) is added to them once more.
     */
    public Tensor forward(Tensor pixels) {
        return forward(pixels, null);
    }

    /**
     * Encodes; an {@code observer} (or null) sees the patch embedding and every block's output (before the final
     * norm), for parity checks.
     */
    public Tensor forward(Tensor pixels, Consumer<Tensor> observer) {
        Consumer<Tensor> observe = observer == null ? t -> {} : observer;
        Tensor x = patchEmbed.forward(pixels); // (B, N-1, D)
        observe.accept(x);
        Tensor cls = clsToken.expand(x.size(0), -1, -1); // (B, 1, D)
        x = T.cat(1, cls, x).add(posEmbed); // (B, N, D)
        boolean checkpoint = checkpointing.begin(training());
        for (int i = 0; i < blocks.size(); i++) {
            VisionBlock block = blocks.get(i);
            Tensor in = x;
            x = checkpoint && i >= checkpointFrom
                    ? checkpointing.forward(block, in)
                    : LayerScope.run(() -> block.forward(in)); // (B, N, D), the block's intermediates freed
            observe.accept(x);
        }
        Tensor out = norm.forward(x); // (B, N, D)
        return switch (config.placeAtOutput()) { // place kept for cross-attention (not BLIP's)
            case NONE -> out;
            case ADD -> out.add(posEmbed); // (B, N, D) + (1, N, D)
            case NORMALIZED -> out.add(T.layerNorm(posEmbed, null, null, config.layerNormEps())); // unit RMS a token
            case SINCOS ->
                out.add(T.floats(placeCode, 1, out.size(1), out.size(2))
                        .to(out.device(), out.scalar_type())); // (B, N, D) + (1, N, D), fixed features
        };
    }

    /** Conv2d(3, D, kernel = stride = patch) then flatten, mirrors timm {@code PatchEmbed}. */
    static final class PatchEmbed extends Block {
        private final Conv proj;
        private final long patch;

        PatchEmbed(VisionConfig c) {
            this.patch = c.patchSize();
            this.proj = child("proj", new Conv(c.hiddenSize(), 3, c.patchSize()));
        }

        Tensor forward(Tensor pixels) {
            Tensor y = torch.conv2d(
                    pixels,
                    proj.weight,
                    T.opt(proj.bias),
                    new long[] {patch, patch},
                    new long[] {0, 0},
                    new long[] {1, 1},
                    1); // (B, D, g, g)
            return y.flatten(2, -1).transpose(1, 2); // (B, g*g, D)
        }
    }

    /** Weights of a square convolution (out, in, k, k) with bias. */
    static final class Conv extends Block {
        final Tensor weight;
        final Tensor bias;

        Conv(long out, long in, long k) {
            this.weight = param("weight", out, in, k, k);
            this.bias = param("bias", out);
        }
    }

    /** Pre-norm transformer block, mirrors {@code vit.py Block}. */
    static final class VisionBlock extends Block {
        private final LayerNorm norm1;
        private final VisionAttention attn;
        private final LayerNorm norm2;
        private final Mlp mlp;
        private final double dropPath;

        VisionBlock(VisionConfig c, double dropPath) {
            this.dropPath = dropPath;
            this.norm1 = child("norm1", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
            this.attn = child("attn", new VisionAttention(c));
            this.norm2 = child("norm2", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
            this.mlp = child("mlp", new Mlp(c));
        }

        Tensor forward(Tensor x) {
            return forward(x, null, false);
        }

        /**
         * With {@code masks}: records the drop-path masks drawn ({@code replay} false) or uses the recorded ones in
         * order ({@code replay} true), so that a checkpointed block recomputes exactly its first forward.
         */
        Tensor forward(Tensor x, List<Tensor> masks, boolean replay) {
            int[] next = {0};
            x = x.add(dropPath(attn.forward(norm1.forward(x)), masks, replay, next));
            return x.add(dropPath(mlp.forward(norm2.forward(x)), masks, replay, next));
        }

        /** timm DropPath: while training, zero a whole sample's branch with probability p and scale the rest. */
        private Tensor dropPath(Tensor branch, List<Tensor> masks, boolean replay, int[] next) {
            if (!training() || dropPath == 0) {
                return branch;
            }
            double keep = 1 - dropPath;
            Tensor mask;
            if (replay) {
                mask = masks.get(next[0]++);
            } else {
                mask = torch.rand(branch.size(0), 1, 1).lt(T.s(keep)).to(torch.ScalarType.Float); // (B, 1, 1)
                if (masks != null) {
                    masks.add(mask);
                }
            }
            return branch.mul(mask).div(T.s(keep));
        }
    }

    /** Multi-head self-attention with a fused qkv projection, mirrors {@code vit.py Attention}. */
    static final class VisionAttention extends Block {
        private final Linear qkv;
        private final Linear proj;
        private final int heads;

        VisionAttention(VisionConfig c) {
            this.heads = c.numHeads();
            this.qkv = child("qkv", new Linear(c.hiddenSize(), 3L * c.hiddenSize()));
            this.proj = child("proj", new Linear(c.hiddenSize(), c.hiddenSize()));
        }

        Tensor forward(Tensor x) {
            long b = x.size(0);
            long n = x.size(1);
            long d = x.size(2);
            Tensor qkvs = qkv.forward(x).reshape(b, n, 3, heads, d / heads).permute(2, 0, 3, 1, 4); // (3, B, H, N, hd)
            Tensor q = qkvs.select(0, 0);
            Tensor k = qkvs.select(0, 1);
            Tensor v = qkvs.select(0, 2);
            Tensor o = Attention.sdpa(q, k, v, null); // (B, H, N, hd)
            return proj.forward(o.transpose(1, 2).reshape(b, n, d)); // (B, N, D)
        }
    }

    /** fc1, the config's activation (BLIP: exact GELU), fc2; mirrors timm {@code Mlp}. */
    static final class Mlp extends Block {
        private final Linear fc1;
        private final Linear fc2;
        private final Activation act;

        Mlp(VisionConfig c) {
            this.act = c.hiddenAct();
            this.fc1 = child("fc1", new Linear(c.hiddenSize(), c.intermediateSize()));
            this.fc2 = child("fc2", new Linear(c.intermediateSize(), c.hiddenSize()));
        }

        Tensor forward(Tensor x) {
            return fc2.forward(act.apply(fc1.forward(x)));
        }
    }
}
