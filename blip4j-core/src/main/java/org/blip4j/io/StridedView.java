package org.blip4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import org.blip4j.io.TorchGlobals.TensorRef;

/**
 * Turns a torch tensor view (storage, offset, sizes, strides) into a contiguous {@link RawTensor}, mirroring
 * {@code Tensor.set_(storage, offset, size, stride).contiguous()}: a zero-copy slice of the mapped storage when the
 * view is already contiguous and little-endian, otherwise a copy. Hand-written because no JVM library reads torch zip
 * checkpoints without executing pickle code.
 */
final class StridedView {
    private StridedView() {}

    /** Result: the tensor and whether its bytes were copied. */
    record Result(RawTensor tensor, boolean copied) {}

    static Result materialize(
            Path file, String key, TensorRef t, ZipDirectory zip, ZipDirectory.Entry storage, boolean bigEndian)
            throws IOException {
        DType dtype = t.dtype();
        int es = dtype.bytes();
        long[] shape = t.shape();
        long[] stride = t.stride();
        String what = "tensor '" + key + "' (" + dtype + " shape " + Arrays.toString(shape) + ", stride "
                + Arrays.toString(stride) + ", storage offset " + t.offset() + ")";
        long numel;
        long last = t.offset(); // index of the last element the view touches
        try {
            numel = 1;
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0 || stride[i] < 0) {
                    throw new CheckpointFormatException(file, what + ": negative size or stride");
                }
                numel = Math.multiplyExact(numel, shape[i]);
                if (shape[i] > 0) {
                    last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
                }
            }
            Math.multiplyExact(numel, (long) es);
            Math.multiplyExact(last + 1, (long) es);
        } catch (ArithmeticException e) {
            throw new CheckpointFormatException(file, what + ": absurd shape (element count overflows)");
        }
        if (t.offset() < 0) {
            throw new CheckpointFormatException(file, what + ": negative storage offset");
        }
        if (numel == 0) {
            return new Result(new RawTensor(dtype, shape, ByteBuffer.allocate(0)), false);
        }
        long available = storage.size / es;
        if (last >= available) {
            throw new CheckpointFormatException(
                    file,
                    what + " needs " + (last + 1) + " elements but its storage '"
                            + storage.name + "' holds only " + available + " (" + storage.size
                            + " bytes): the storage is too small"
                            + " (truncated or corrupt checkpoint)");
        }
        long outBytes = numel * es;
        long spanBytes = (last - t.offset() + 1) * es;
        if (outBytes > Integer.MAX_VALUE - 8 || spanBytes > Integer.MAX_VALUE - 8) {
            throw new CheckpointFormatException(
                    file, what + " is larger than 2 GiB, which a single tensor cannot be here");
        }
        boolean contiguous = true;
        long expect = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expect) {
                contiguous = false;
            }
            expect *= shape[i];
        }
        ByteBuffer src = zip.window(storage, t.offset() * es, spanBytes);
        if (contiguous && !bigEndian) {
            return new Result(new RawTensor(dtype, shape, src), false);
        }
        if (outBytes > Runtime.getRuntime().maxMemory() / 2) {
            throw new CheckpointFormatException(
                    file,
                    what + " must be copied (non-contiguous view) but needs " + outBytes
                            + " bytes, more than half the Java heap; raise -Xmx");
        }
        ByteBuffer out = ByteBuffer.allocate((int) outBytes).order(ByteOrder.LITTLE_ENDIAN);
        copy(src, out, shape, stride, es, bigEndian);
        out.flip();
        return new Result(new RawTensor(dtype, shape, out), true);
    }

    /** Odometer over all indices but the last; the last dimension is copied as one run when it is dense. */
    private static void copy(ByteBuffer src, ByteBuffer out, long[] shape, long[] stride, int es, boolean swap) {
        int nd = shape.length;
        if (nd == 0) {
            putElement(src, 0, out, es, swap);
            return;
        }
        long[] idx = new long[nd];
        long inner = shape[nd - 1];
        long innerStride = stride[nd - 1];
        byte[] run = innerStride == 1 && !swap ? new byte[(int) (inner * es)] : null;
        while (true) {
            long base = 0;
            for (int d = 0; d < nd - 1; d++) {
                base += idx[d] * stride[d];
            }
            if (run != null) {
                src.get((int) (base * es), run);
                out.put(run);
            } else {
                for (long j = 0; j < inner; j++) {
                    putElement(src, (base + j * innerStride) * es, out, es, swap);
                }
            }
            int d = nd - 2;
            while (d >= 0 && ++idx[d] == shape[d]) {
                idx[d] = 0;
                d--;
            }
            if (d < 0) {
                return;
            }
        }
    }

    private static void putElement(ByteBuffer src, long at, ByteBuffer out, int es, boolean swap) {
        int p = (int) at;
        for (int b = 0; b < es; b++) {
            out.put(src.get(swap ? p + es - 1 - b : p + b));
        }
    }
}
