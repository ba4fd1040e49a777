package org.blip4j.io;

import java.util.Locale;

/** Element types that blip4j reads from and writes to checkpoint files. */
public enum DType {
    F64(8, "F64"),
    F32(4, "F32"),
    F16(2, "F16"),
    BF16(2, "BF16"),
    I64(8, "I64"),
    I32(4, "I32"),
    I16(2, "I16"),
    I8(1, "I8"),
    U8(1, "U8"),
    BOOL(1, "BOOL");

    private final int bytes;
    private final String safetensorsName;

    DType(int bytes, String safetensorsName) {
        this.bytes = bytes;
        this.safetensorsName = safetensorsName;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** The dtype string used in safetensors headers. */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** Parses a safetensors dtype string, or returns null when it is unknown. */
    public static DType fromSafetensors(String s) {
        for (DType d : values()) {
            if (d.safetensorsName.equals(s.toUpperCase(Locale.ROOT))) {
                return d;
            }
        }
        return null;
    }

    public boolean isFloating() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }
}
