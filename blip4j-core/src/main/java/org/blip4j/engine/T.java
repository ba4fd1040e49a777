package org.blip4j.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.blip4j.io.DType;
import org.blip4j.io.RawTensor;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The thin helper layer over the verbose parts of the libtorch Java API: scalars, optionals, copies to and from Java.
 */
public final class T {
    private T() {}

    static {
        Engine.load();
    }

    public static Scalar s(double v) {
        return new Scalar(v);
    }

    public static Scalar s(long v) {
        return new Scalar(v);
    }

    public static TensorOptional opt(Tensor t) {
        return t == null ? new TensorOptional() : new TensorOptional(t);
    }

    public static TensorOptions options(ScalarType type) {
        return new TensorOptions(type);
    }

    public static ScalarType scalarType(DType d) {
        return switch (d) {
            case F64 -> ScalarType.Double;
            case F32 -> ScalarType.Float;
            case F16 -> ScalarType.Half;
            case BF16 -> ScalarType.BFloat16;
            case I64 -> ScalarType.Long;
            case I32 -> ScalarType.Int;
            case I16 -> ScalarType.Short;
            case I8 -> ScalarType.Char;
            case U8 -> ScalarType.Byte;
            case BOOL -> ScalarType.Bool;
        };
    }

    /** The checkpoint dtype of a libtorch scalar type (returned enums must be interned before comparing). */
    public static DType dtype(ScalarType s) {
        ScalarType k = s.intern();
        for (DType d : DType.values()) {
            if (scalarType(d) == k) {
                return d;
            }
        }
        throw new IllegalArgumentException("unsupported tensor type " + s);
    }

    /** Copies a checkpoint tensor into a new libtorch tensor of the same dtype (owned by libtorch). */
    public static Tensor fromRaw(RawTensor r) {
        Tensor t =
                torch.empty(r.shape(), options(scalarType(r.dtype())), new org.bytedeco.pytorch.MemoryFormatOptional());
        long n = r.numel() * r.dtype().bytes();
        if (n > 0) {
            bytes(t, n).put(r.data());
        }
        return t;
    }

    /** Copies a (possibly non-contiguous) libtorch tensor out as a checkpoint tensor. */
    public static RawTensor toRaw(Tensor t) {
        Tensor c = t.detach().contiguous();
        DType d = dtype(c.scalar_type());
        long n = c.numel() * d.bytes();
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(n)).order(ByteOrder.LITTLE_ENDIAN);
        if (n > 0) {
            b.put(bytes(c, n));
            b.flip();
        }
        return new RawTensor(d, shape(c), b);
    }

    /**
     * Copies checkpoint values into an existing tensor of the same shape: straight into its memory when it is
     * contiguous and the dtypes agree, else through a converting copy (e.g. float16 file into a float32 model).
     *
     * @throws IllegalArgumentException when the shapes differ (nothing is written)
     */
    public static void copyInto(Tensor dst, RawTensor src) {
        if (!java.util.Arrays.equals(shape(dst), src.shape())) { // a raw write past the tensor's memory, else
            throw new IllegalArgumentException("cannot copy a tensor of shape " + java.util.Arrays.toString(src.shape())
                    + " into one of shape " + java.util.Arrays.toString(shape(dst)));
        }
        if (dst.is_contiguous() && dtype(dst.scalar_type()) == src.dtype()) {
            long n = src.numel() * src.dtype().bytes();
            if (n > 0) {
                bytes(dst, n).put(src.data());
            }
        } else {
            dst.copy_(fromRaw(src));
        }
    }

    /**
     * A little-endian view of the memory of a contiguous tensor, for filling it from a file; valid only while the
     * tensor is alive and not resized.
     */
    public static ByteBuffer memory(Tensor t) {
        if (!t.is_contiguous()) {
            throw new IllegalArgumentException("tensor is not contiguous");
        }
        return bytes(t, t.numel() * t.element_size());
    }

    private static ByteBuffer bytes(Tensor t, long n) {
        return new BytePointer(t.data_ptr()).capacity(n).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    public static long[] shape(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) {
            s[i] = t.size(i);
        }
        return s;
    }

    /** A float32 tensor holding a copy of {@code values}. */
    public static Tensor floats(float[] values, long... shape) {
        return fromRaw(RawTensor.ofFloats(values, shape));
    }

    /** An int64 tensor holding a copy of {@code values}. */
    public static Tensor longs(long[] values, long... shape) {
        return fromRaw(RawTensor.ofLongs(values, shape));
    }

    /**
     * An int64 tensor (rows, cols) from a rectangular Java matrix.
     *
     * @throws IllegalArgumentException when rows differ in length (pad them first; nothing is truncated)
     */
    public static Tensor longs(long[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) {
                throw new IllegalArgumentException("ragged rows: row 0 has " + cols + " values, row " + i + " has "
                        + rows[i].length + " (pad them to one length)");
            }
        }
        long[] flat = new long[Math.multiplyExact(rows.length, cols)];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * cols, cols);
        }
        return longs(flat, rows.length, cols);
    }

    /** All elements as float (converted to float32 first). */
    public static float[] toFloats(Tensor t) {
        return toRaw(t.to(ScalarType.Float)).toFloats();
    }

    /** A (R, C) tensor, possibly a non-contiguous view, as R Java rows of C floats. */
    public static float[][] toRows(Tensor t) {
        int r = (int) t.size(0);
        int c = (int) t.size(1);
        float[] flat = toFloats(t);
        float[][] out = new float[r][c];
        for (int i = 0; i < r; i++) {
            System.arraycopy(flat, i * c, out[i], 0, c);
        }
        return out;
    }

    /** All elements as long (converted to int64 first). */
    public static long[] toLongs(Tensor t) {
        return toRaw(t.to(ScalarType.Long)).toLongs();
    }

    /** Softmax over the last dimension of a float tensor. */
    public static Tensor softmax(Tensor t, long dim) {
        return torch.softmax(t, dim, new ScalarTypeOptional());
    }

    /** Exact (erf) GELU as {@code nn.GELU()} and BERT's {@code gelu}. */
    public static Tensor gelu(Tensor t) {
        return torch.gelu(t);
    }

    public static Tensor layerNorm(Tensor x, Tensor w, Tensor b, double eps) {
        return torch.layer_norm(x, new long[] {x.size(x.dim() - 1)}, opt(w), opt(b), eps, false);
    }

    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        Int8Linear q = Int8Linear.forWeight(w);
        if (q != null && x.scalar_type().intern() == ScalarType.Float) {
            return q.forward(x, b); // opt-in int8 decoding (Int8Decoding), inference only
        }
        Bf16Linear h = Bf16Linear.forProduct(x, w);
        if (h != null) {
            return h.forward(x, b); // opt-in bf16 products (Bf16Inference), inference only
        }
        if (Bf16Linear.autocasting()) {
            Tensor y = Bf16Linear.autocastProduct(x, w, b); // opt-in mixed-precision training (precision: bf16)
            if (y != null) {
                return y;
            }
        }
        if (OneDnnLinear.appliesTraining(x, w) && !MachineLoad.oversubscribed()) {
            return OneDnnLinear.forwardTrainable(x, w, b); // autograd on: oneDNN both ways, see OneDnnLinear
        }
        if (OneDnnLinear.applies(x, w) && !MachineLoad.oversubscribed()) {
            return OneDnnLinear.forward(x, w, b); // OpenBLAS held below the CPU's vector width: see OneDnnLinear
        }
        if (SkinnyLinear.applies(x, w)) {
            return SkinnyLinear.forward(x, w, b); // 1–4 rows at inference: matrix–vector products beat sgemm's packing
        }
        if (!GradMode.is_enabled() && MachineLoad.oversubscribed()) {
            return BlasThreads.serial(() -> torch.linear(x, w, opt(b))); // busy machine: see MachineLoad
        }
        return torch.linear(x, w, opt(b));
    }

    /** L2-normalises each column, as {@code F.normalize(x, dim=0)} (BLIP's initial feature queues). */
    public static Tensor normalizeColumns(Tensor x) {
        return normalize(x.t()).t().contiguous();
    }

    /** L2-normalises along the last dimension, as {@code F.normalize(x, dim=-1)} (eps 1e-12). */
    public static Tensor normalize(Tensor x) {
        Tensor n = x.norm(new org.bytedeco.pytorch.ScalarOptional(s(2.0)), new long[] {-1}, true); // (.., 1)
        return x.div(torch.clamp(n, new org.bytedeco.pytorch.ScalarOptional(s(1e-12))));
    }

    /**
     * Cross-entropy over the last dimension, mean over targets that are not -100, with label smoothing; mirrors
     * {@code nn.CrossEntropyLoss(label_smoothing=...)}. logits (N, V), targets (N) int64.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor targets, double labelSmoothing) {
        return torch.cross_entropy_loss(logits, targets, new TensorOptional(), 1, -100, labelSmoothing);
    }

    /** Per-row cross-entropy (reduction none), -100 targets contribute 0. */
    public static Tensor crossEntropyPerToken(Tensor logits, Tensor targets, double labelSmoothing) {
        return torch.cross_entropy_loss(logits, targets, new TensorOptional(), 0, -100, labelSmoothing);
    }

    /** Concatenates along a dimension. */
    public static Tensor cat(long dim, Tensor... parts) {
        return torch.cat(new org.bytedeco.pytorch.TensorVector(parts), dim);
    }
}
