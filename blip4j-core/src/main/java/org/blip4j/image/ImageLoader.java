package org.blip4j.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes JPEG, PNG, BMP and GIF (first frame) files into 8-bit RGB exactly as BLIP's reference
 * {@code Image.open(path).convert('RGB')} (Pillow) does, with Pillow's decompression-bomb guard and one clear
 * {@link ImageDecodeException} for every failure.
 *
 * <p>Pixel semantics (all mirror Pillow, see {@link PixelConverter}): grey replicated; palette entries looked up
 * (transparency ignored); alpha dropped, never composited; ICC profiles and gamma ignored; 16-bit RGB(A) and
 * grey+alpha PNGs take the high byte of each sample (Pillow unpacks them with "RGB;16B"/"LA;16B"), while 16-bit grey
 * PNGs without alpha are CLIPPED to 0..255 (Pillow opens them in mode "I" and {@code convert('RGB')} clips, so most of
 * such an image turns white: kept for parity with the reference); JPEG components are read raw and converted with
 * libjpeg's own fixed-point YCbCr/YCCK arithmetic, CMYK JPEGs as Adobe-inverted CMYK through Pillow's naive
 * {@code cmyk2rgb}. GIFs are placed on their logical screen, the rest filled with the transparent (or 0) index.
 * EXIF orientation is ignored unless {@link #withExifOrientation(boolean)} asks for it.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ImageLoader {
    /** Pillow's {@code Image.MAX_IMAGE_PIXELS} = 1024 * 1024 * 1024 // 4 // 3. */
    public static final long DEFAULT_MAX_PIXELS = 178_956_970L;

    private static final ImageLoader DEFAULTS = new ImageLoader(DEFAULT_MAX_PIXELS, false);

    private final long maxPixels;
    private final boolean exifOrientation;

    private ImageLoader(long maxPixels, boolean exifOrientation) {
        this.maxPixels = maxPixels;
        this.exifOrientation = exifOrientation;
    }

    /** Pillow's defaults: limit {@link #DEFAULT_MAX_PIXELS}, EXIF orientation not applied (as BLIP). */
    public static ImageLoader defaults() {
        return DEFAULTS;
    }

    /** A loader refusing images with more than {@code maxPixels} pixels ({@code Long.MAX_VALUE}: no limit). */
    public ImageLoader withMaxPixels(long maxPixels) {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
        }
        return new ImageLoader(maxPixels, exifOrientation);
    }

    /** A loader that does (true) or does not (false, the default) apply the EXIF orientation tag. */
    public ImageLoader withExifOrientation(boolean apply) {
        return new ImageLoader(maxPixels, apply);
    }

    public long maxPixels() {
        return maxPixels;
    }

    public boolean appliesExifOrientation() {
        return exifOrientation;
    }

    /** Decodes an image file. */
    public RgbImage load(Path file) throws ImageDecodeException {
        String name = file.toString();
        if (Files.isDirectory(file)) {
            throw new ImageDecodeException(name, "is a directory, not an image file");
        }
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new ImageDecodeException(name, "file not found");
        } catch (IOException e) {
            throw new ImageDecodeException(name, "cannot be read: " + e, e);
        }
        if (!Files.isReadable(file)) {
            throw new ImageDecodeException(name, "cannot be read (permission denied)");
        }
        if (size == 0) {
            throw new ImageDecodeException(name, "empty file (0 bytes), not an image");
        }
        RandomAccessFile raf;
        try {
            raf = new RandomAccessFile(file.toFile(), "r");
        } catch (IOException e) {
            throw new ImageDecodeException(
                    name, Files.exists(file) ? "cannot be read: " + e.getMessage() : "file not found", e);
        }
        try (ImageInputStream in = new FileImageInputStream(raf)) {
            return decode(in, size, name);
        } catch (ImageDecodeException e) {
            throw e;
        } catch (AccessDeniedException e) {
            throw new ImageDecodeException(name, "cannot be read (permission denied)", e);
        } catch (IOException e) {
            throw new ImageDecodeException(name, "read error: " + e, e);
        }
    }

    /** Decodes an encoded image held in memory; {@code name} only labels error messages. */
    public RgbImage load(byte[] data, String name) throws ImageDecodeException {
        if (data.length == 0) {
            throw new ImageDecodeException(name, "empty input (0 bytes), not an image");
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            return decode(in, data.length, name);
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageDecodeException(name, "read error: " + e, e);
        }
    }

    /** Reads the stream to its end (it is not closed) and decodes it; {@code name} only labels error messages. */
    public RgbImage load(InputStream in, String name) throws ImageDecodeException {
        byte[] data;
        try {
            data = in.readNBytes(Integer.MAX_VALUE - 16);
            if (in.read() != -1) {
                throw new ImageDecodeException(name, "encoded image larger than 2 GiB");
            }
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageDecodeException(name, "read error: " + e, e);
        } catch (OutOfMemoryError e) {
            throw new ImageDecodeException(name, "not enough memory to buffer the encoded image");
        }
        return load(data, name);
    }

    /**
     * Fails at once when decoding cannot fit in the whole heap (the decoder's raster, up to 4 bytes a pixel, plus the
     * 3-byte RGB copy), instead of after seconds of decoding into an OutOfMemoryError. Only the impossible is refused:
     * memory that garbage collection could free is not guessed at.
     */
    private static void checkHeap(String name, long w, long h) throws ImageDecodeException {
        long need = w * h * 7;
        long heap = Runtime.getRuntime().maxMemory();
        if (heap != Long.MAX_VALUE && need > heap) {
            throw new ImageDecodeException(
                    name,
                    "not enough memory to decode a " + w + "x" + h + " image (about "
                            + (need >> 20) + " MB; the Java heap is " + (heap >> 20)
                            + " MB; raise -Xmx or lower the pixel limit with "
                            + "ImageLoader.withMaxPixels)");
        }
    }

    private RgbImage decode(ImageInputStream in, long length, String name) throws IOException {
        byte[] head = new byte[16];
        int n = 0;
        for (int r; n < head.length && (r = in.read(head, n, head.length - n)) > 0; ) {
            n += r;
        }
        in.seek(0);
        ImageHeaders.Format format = ImageHeaders.sniff(head, n);
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        in.seek(0);
        if (!readers.hasNext()) {
            throw new ImageDecodeException(
                    name,
                    "not a recognised image format (supported: JPEG, PNG, BMP, GIF); it starts " + "with "
                            + preview(head, n));
        }
        ImageReader reader = readers.next();
        String fmt = format == ImageHeaders.Format.OTHER ? safeFormatName(reader) : format.name();
        int w = -1;
        int h = -1;
        ImageInputStream patchedGif = null;
        try {
            ImageHeaders.JpegInfo jpeg = null;
            ImageHeaders.PngInfo png = null;
            if (format == ImageHeaders.Format.JPEG) {
                jpeg = ImageHeaders.scanJpeg(in);
            } else if (format == ImageHeaders.Format.PNG) {
                png = ImageHeaders.scanPng(in, length);
            }
            in.seek(0);
            boolean gif = format == ImageHeaders.Format.GIF;
            long interlaceFlag = gif ? GifFrames.interlaceFlagOffset(in) : -1;
            if (interlaceFlag >= 0) {
                byte[] patched = readAll(in, name);
                patched[(int) interlaceFlag] &= ~0x40;
                patchedGif = new MemoryCacheImageInputStream(new ByteArrayInputStream(patched));
            }
            in.seek(0);
            reader.setInput(patchedGif != null ? patchedGif : in, true, !gif);
            w = reader.getWidth(0);
            h = reader.getHeight(0);
            checkPixels(name, w, h);
            checkHeap(name, w, h);
            GifFrames.Layout gifLayout = gif ? GifFrames.layout(reader) : null;
            if (gifLayout != null) {
                checkPixels(name, gifLayout.width(), gifLayout.height());
            }
            if (png != null && png.truncation() != null) {
                throw new ImageDecodeException(name, "truncated PNG: " + png.truncation());
            }
            String[] truncated = new String[1];
            reader.addIIOReadWarningListener((src, warning) -> {
                String lw = warning.toLowerCase(Locale.ROOT);
                if (truncated[0] == null && (lw.contains("truncat") || lw.contains("premature end"))) {
                    truncated[0] = warning;
                }
            });
            RgbImage img;
            if (jpeg != null) {
                Raster raster = reader.readRaster(0, null);
                img = new RgbImage(raster.getWidth(), raster.getHeight(), PixelConverter.fromJpegRaster(raster, jpeg));
            } else {
                BufferedImage bi = reader.read(0);
                boolean modeI = png != null && png.colorType() == 0 && png.bitDepth() == 16;
                img = new RgbImage(bi.getWidth(), bi.getHeight(), PixelConverter.fromImage(bi, modeI));
                if (patchedGif != null) {
                    img = GifFrames.deinterlace(img);
                }
                if (gifLayout != null) {
                    img = GifFrames.place(img, bi, gifLayout);
                }
            }
            if (truncated[0] != null) {
                throw new ImageDecodeException(name, "truncated " + fmt + ": " + truncated[0]);
            }
            if (exifOrientation) {
                byte[] exif = jpeg != null ? jpeg.exif() : png != null ? png.exif() : null;
                img = ExifOrientation.apply(img, ExifOrientation.parse(exif));
            }
            return img;
        } catch (ImageDecodeException e) {
            throw e;
        } catch (EOFException e) {
            throw new ImageDecodeException(name, "truncated " + fmt + ": unexpected end of data", e);
        } catch (IIOException e) {
            boolean eof = false;
            for (Throwable t = e; t != null; t = t.getCause()) {
                eof |= t instanceof EOFException;
            }
            throw new ImageDecodeException(
                    name, (eof ? "truncated " : "corrupt or truncated ") + fmt + " data: " + describe(e), e);
        } catch (IOException e) {
            throw new ImageDecodeException(name, "read error: " + e, e);
        } catch (OutOfMemoryError e) {
            throw new ImageDecodeException(
                    name,
                    "not enough memory to decode a " + w + "x" + h + " image (raise -Xmx or "
                            + "lower the pixel limit with ImageLoader.withMaxPixels)");
        } catch (RuntimeException e) {
            throw new ImageDecodeException(name, "corrupt " + fmt + " data: " + e, e);
        } finally {
            reader.dispose();
            if (patchedGif != null) {
                patchedGif.close();
            }
        }
    }

    private static byte[] readAll(ImageInputStream in, String name) throws IOException {
        in.seek(0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
            if (out.size() > Integer.MAX_VALUE - 16 - n) {
                throw new ImageDecodeException(name, "interlaced GIF larger than 2 GiB");
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private void checkPixels(String name, int w, int h) throws ImageDecodeException {
        if (w <= 0 || h <= 0) {
            throw new ImageDecodeException(name, "invalid image size " + w + "x" + h);
        }
        long pixels = (long) w * h;
        if (pixels > maxPixels) {
            throw new ImageDecodeException(
                    name,
                    "decompression bomb: " + w + "x" + h + " = " + pixels + " pixels exceeds " + "the limit of "
                            + maxPixels + " (raise it with ImageLoader.withMaxPixels if the image is trusted)");
        }
        if (pixels * 4 > Integer.MAX_VALUE - 16) { // the RGB array, and ImageIO's own (up to 4 bytes a pixel)
            throw new ImageDecodeException(
                    name,
                    "image too large: " + w + "x" + h + " = " + pixels + " pixels do not fit " + "in a Java array");
        }
    }

    private static String safeFormatName(ImageReader reader) {
        try {
            return reader.getFormatName().toUpperCase(Locale.ROOT);
        } catch (IOException e) {
            return "image";
        }
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            sb.append(" (")
                    .append(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage())
                    .append(')');
        }
        return sb.toString();
    }

    private static String preview(byte[] head, int n) {
        byte[] b = Arrays.copyOf(head, Math.min(n, 8));
        boolean text = true;
        for (byte x : b) {
            text &= x >= 0x20 && x < 0x7f || x == '\n' || x == '\r' || x == '\t';
        }
        if (text) {
            return "text \""
                    + new String(b, java.nio.charset.StandardCharsets.US_ASCII)
                            .replace("\n", "\\n")
                            .replace("\r", "\\r")
                            .replace("\t", "\\t")
                    + "\"";
        }
        StringBuilder sb = new StringBuilder("bytes");
        for (byte x : b) {
            sb.append(String.format(" %02x", x & 0xff));
        }
        return sb.toString();
    }
}
