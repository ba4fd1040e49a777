package org.blip4j.image;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads the few header facts that Pillow's JPEG and PNG plugins look at but ImageIO hides (JFIF / Adobe markers and
 * component ids that pick libjpeg's colour space, PNG colour type and bit depth, the EXIF block, PNG truncation),
 * without decoding any pixels.
 */
final class ImageHeaders {
    private ImageHeaders() {}

    enum Format {
        JPEG,
        PNG,
        GIF,
        BMP,
        OTHER
    }

    /** Format from the first bytes (magic numbers). */
    static Format sniff(byte[] head, int n) {
        if (n >= 3 && (head[0] & 0xff) == 0xFF && (head[1] & 0xff) == 0xD8 && (head[2] & 0xff) == 0xFF) {
            return Format.JPEG;
        }
        if (n >= 8 && (head[0] & 0xff) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G') {
            return Format.PNG;
        }
        if (n >= 4 && head[0] == 'G' && head[1] == 'I' && head[2] == 'F' && head[3] == '8') {
            return Format.GIF;
        }
        if (n >= 2 && head[0] == 'B' && head[1] == 'M') {
            return Format.BMP;
        }
        return Format.OTHER;
    }

    /**
     * JPEG markers before the first scan.
     *
     * @param jfif an APP0 "JFIF" marker was seen
     * @param adobeTransform transform byte of the APP14 "Adobe" marker, -1 when absent
     * @param componentIds component ids from the SOF marker (empty when no SOF was found)
     * @param exif payload of the first APP1 "Exif" marker (TIFF data after "Exif\0\0"), null when absent
     */
    record JpegInfo(boolean jfif, int adobeTransform, int[] componentIds, byte[] exif) {}

    /** Walks the JPEG markers from the stream's start up to the first SOS (stops quietly at EOF or garbage). */
    static JpegInfo scanJpeg(ImageInputStream in) throws IOException {
        boolean jfif = false;
        int adobe = -1;
        int[] ids = new int[0];
        byte[] exif = null;
        in.seek(0);
        try {
            if (in.readUnsignedByte() != 0xFF || in.readUnsignedByte() != 0xD8) {
                return new JpegInfo(false, -1, ids, null);
            }
            while (true) {
                int b = in.readUnsignedByte();
                if (b != 0xFF) {
                    continue; // garbage between segments: libjpeg skips it with a warning
                }
                int marker;
                do {
                    marker = in.readUnsignedByte();
                } while (marker == 0xFF);
                if (marker == 0xD9 || marker == 0xDA) {
                    break; // EOI or start of scan
                }
                if (marker == 0x01 || marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7)) {
                    continue; // stand-alone markers
                }
                int len = in.readUnsignedShort();
                if (len < 2) {
                    break;
                }
                long next = in.getStreamPosition() + len - 2;
                boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
                if (marker == 0xE0 || marker == 0xE1 || marker == 0xEE || sof) {
                    byte[] seg = new byte[len - 2];
                    in.readFully(seg);
                    if (marker == 0xE0 && seg.length >= 5 && startsWith(seg, "JFIF\0")) {
                        jfif = true;
                    } else if (marker == 0xE1 && exif == null && startsWith(seg, "Exif\0\0")) {
                        exif = java.util.Arrays.copyOfRange(seg, 6, seg.length);
                    } else if (marker == 0xEE && seg.length >= 12 && startsWith(seg, "Adobe")) {
                        adobe = seg[11] & 0xff;
                    } else if (sof && seg.length >= 6 && ids.length == 0) {
                        int nc = seg[5] & 0xff;
                        if (seg.length >= 6 + 3 * nc) {
                            ids = new int[nc];
                            for (int i = 0; i < nc; i++) {
                                ids[i] = seg[6 + 3 * i] & 0xff;
                            }
                        }
                    }
                }
                in.seek(next);
            }
        } catch (EOFException e) {
            // truncated headers: the decoder reports it
        }
        return new JpegInfo(jfif, adobe, ids, exif);
    }

    /**
     * PNG chunk walk.
     *
     * @param bitDepth IHDR bit depth
     * @param colorType IHDR colour type (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA)
     * @param exif payload of the eXIf chunk, null when absent
     * @param truncation null when every chunk lies inside the data, otherwise what is missing (a missing IEND after
     *     the image data is tolerated, as Pillow does)
     */
    record PngInfo(int bitDepth, int colorType, byte[] exif, String truncation) {}

    /** Walks every chunk header (seeking over the data), so it is cheap even for large files. */
    static PngInfo scanPng(ImageInputStream in, long length) throws IOException {
        int bitDepth = -1;
        int colorType = -1;
        byte[] exif = null;
        String truncation = null;
        in.seek(8);
        String type = "signature";
        boolean sawIdat = false;
        try {
            while (true) {
                long start = in.getStreamPosition();
                if (length >= 0 && start >= length) {
                    if (!sawIdat) {
                        truncation = "the file ends after chunk " + type + ", before any image data (IDAT)";
                    }
                    break;
                }
                long len = in.readUnsignedInt();
                byte[] t = new byte[4];
                in.readFully(t);
                type = new String(t, StandardCharsets.ISO_8859_1);
                if (len > Integer.MAX_VALUE) {
                    break; // corrupt: the decoder reports it
                }
                if (length >= 0 && start + 12 + len > length) {
                    truncation = "the file ends inside chunk " + type + " (" + (length - start) + " of " + (len + 12)
                            + " bytes present)";
                    break;
                }
                if (type.equals("IHDR") && len >= 13) {
                    in.skipBytes(8);
                    bitDepth = in.readUnsignedByte();
                    colorType = in.readUnsignedByte();
                } else if (type.equals("eXIf") && exif == null && len < (1 << 24)) {
                    exif = new byte[(int) len];
                    in.readFully(exif);
                    if (startsWith(exif, "Exif\0\0")) {
                        exif = java.util.Arrays.copyOfRange(exif, 6, exif.length);
                    }
                } else if (type.equals("IDAT")) {
                    sawIdat = true;
                } else if (type.equals("IEND")) {
                    break;
                }
                in.seek(start + 12 + len);
            }
        } catch (EOFException e) {
            truncation = "the file ends inside a chunk header after chunk " + type;
        }
        return new PngInfo(bitDepth, colorType, exif, truncation);
    }

    private static boolean startsWith(byte[] b, String s) {
        if (b.length < s.length()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (b[i] != (byte) s.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
