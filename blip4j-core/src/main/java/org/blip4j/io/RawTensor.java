package org.blip4j.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A dense, contiguous, little-endian tensor as stored in a checkpoint file, independent of the compute engine.
 *
 * @param dtype element type
 * @param shape dimensions (empty for a scalar)
 * @param data exactly {@code numel * dtype.bytes()} bytes, little-endian, row-major; may be a view of a mapped file
 */
public record RawTensor(DType dtype, long[] shape, ByteBuffer data) {

    public RawTensor {
        shape = shape.clone();
        long expected = numel(shape) * dtype.bytes();
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("tensor data has " + data.remaining() + " bytes, shape "
                    + Arrays.toString(shape) + " " + dtype + " needs " + expected);
        }
        data = data.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Number of elements of a shape (1 for a scalar). */
    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long numel() {
        return numel(shape);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** A fresh read-only little-endian view of the bytes. */
    @Override
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Builds a float32 tensor from Java values (copied). */
    public static RawTensor ofFloats(float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new RawTensor(DType.F32, shape, b);
    }

    /** Builds an int64 tensor from Java values (copied). */
    public static RawTensor ofLongs(long[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return new RawTensor(DType.I64, shape, b);
    }

    /** All elements converted to float (F32/F16/BF16/F64 and integer types). */
    public float[] toFloats() {
        int n = Math.toIntExact(numel());
        float[] out = new float[n];
        ByteBuffer b = data();
        for (int i = 0; i < n; i++) {
            out[i] = switch (dtype) {
                case F32 -> b.getFloat(i * 4);
                case F64 -> (float) b.getDouble(i * 8);
                case F16 -> Half.toFloat(b.getShort(i * 2));
                case BF16 -> Half.bf16ToFloat(b.getShort(i * 2));
                case I64 -> b.getLong(i * 8);
                case I32 -> b.getInt(i * 4);
                case I16 -> b.getShort(i * 2);
                case I8 -> b.get(i);
                case U8, BOOL -> b.get(i) & 0xff;
            };
        }
        return out;
    }

    /** All elements converted to long (integer types; floats are truncated). */
    public long[] toLongs() {
        int n = Math.toIntExact(numel());
        long[] out = new long[n];
        ByteBuffer b = data();
        for (int i = 0; i < n; i++) {
            out[i] = switch (dtype) {
                case I64 -> b.getLong(i * 8);
                case I32 -> b.getInt(i * 4);
                case I16 -> b.getShort(i * 2);
                case I8 -> b.get(i);
                case U8, BOOL -> b.get(i) & 0xff;
                default -> (long) toFloats()[i];
            };
        }
        return out;
    }
}
