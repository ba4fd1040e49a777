package org.blip4j.image;

import static org.blip4j.image.TestImages.bytes;
import static org.blip4j.image.TestImages.chunk;
import static org.blip4j.image.TestImages.concat;
import static org.blip4j.image.TestImages.png;
import static org.blip4j.image.TestImages.u16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decoding semantics of {@link ImageLoader} (each expectation is what Pillow 9.4's {@code convert('RGB')} gives for
 * the same bytes) and its error handling.
 */
class ImageLoaderTest {
    private static final ImageLoader LOADER = ImageLoader.defaults();

    @TempDir
    Path tmp;

    /** Decodes bytes through a real file (so the Path code path is the one tested) and checks every pixel. */
    private RgbImage decode(String name, byte[] data) throws IOException {
        Path f = TestImages.write(tmp, name, data);
        String dump = System.getProperty("blip4j.imageDump"); // for cross-checking against Pillow by hand
        RgbImage img = LOADER.load(f);
        if (dump != null) {
            Files.createDirectories(Path.of(dump));
            Files.write(Path.of(dump, name), data);
            Files.write(Path.of(dump, name + "." + img.width() + "x" + img.height() + ".rgb"), img.rgb());
        }
        assertArrayEquals(img.rgb(), LOADER.load(data, name).rgb(), "byte[] and Path decodes differ");
        return img;
    }

    private static void assertPixels(RgbImage img, int w, int h, int... rgb) {
        assertEquals(w, img.width(), "width");
        assertEquals(h, img.height(), "height");
        int[] got = new int[w * h];
        for (int i = 0; i < got.length; i++) {
            got[i] = img.rgbAt(i % w, i / w);
        }
        assertEquals(Arrays.toString(hex(rgb)), Arrays.toString(hex(got)));
    }

    private static String[] hex(int[] v) {
        return Arrays.stream(v).mapToObj(x -> String.format("%06x", x)).toArray(String[]::new);
    }

    private static byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out), "no ImageIO writer for " + format);
        return out.toByteArray();
    }

    // ---------------------------------------------------------------- PNG

    @Test
    void greyPngIsReplicatedWithoutGamma() throws IOException {
        BufferedImage g = new BufferedImage(6, 1, BufferedImage.TYPE_BYTE_GRAY);
        int[] v = {0, 1, 127, 128, 254, 255};
        g.getRaster().setPixels(0, 0, 6, 1, v);
        assertPixels(
                decode("grey8.png", encode(g, "png")),
                6,
                1,
                0x000000,
                0x010101,
                0x7f7f7f,
                0x808080,
                0xfefefe,
                0xffffff);
    }

    @Test
    void twoBitGreyPngScalesLikeL2() throws IOException {
        byte[] data = png(4, 1, 2, 0, bytes(0, 0b00011011));
        assertPixels(decode("grey2.png", data), 4, 1, 0x000000, 0x555555, 0xaaaaaa, 0xffffff);
    }

    @Test
    void sixteenBitGreyPngClipsLikePillowModeI() throws IOException {
        // Pillow opens 16-bit grey as mode "I"; convert('RGB') clips to 0..255 (it does not scale)
        byte[] data = png(3, 1, 16, 0, concat(bytes(0), u16(100, 300, 0x1234)));
        assertPixels(decode("grey16.png", data), 3, 1, 0x646464, 0xffffff, 0xffffff);
        BufferedImage g = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        g.getRaster().setPixels(0, 0, 2, 1, new int[] {255, 256});
        assertPixels(decode("grey16-imageio.png", encode(g, "png")), 2, 1, 0xffffff, 0xffffff);
    }

    @Test
    void sixteenBitRgbRgbaAndGreyAlphaPngTakeTheHighByte() throws IOException {
        byte[] rgb16 = png(2, 1, 16, 2, concat(bytes(0), u16(0x1234, 0xABCD, 0x00FF, 0xFF00, 0x0001, 0x8080)));
        assertPixels(decode("rgb16.png", rgb16), 2, 1, 0x12ab00, 0xff0080);
        byte[] rgba16 =
                png(2, 1, 16, 6, concat(bytes(0), u16(0x1234, 0xABCD, 0x00FF, 0, 0xFF00, 0x0001, 0x8080, 0xFFFF)));
        assertPixels(decode("rgba16.png", rgba16), 2, 1, 0x12ab00, 0xff0080);
        byte[] la16 = png(2, 1, 16, 4, concat(bytes(0), u16(0x1234, 0x0001, 0xFF00, 0xFFFF)));
        assertPixels(decode("la16.png", la16), 2, 1, 0x121212, 0xffffff);
    }

    @Test
    void palettePngIgnoresTransparency() throws IOException {
        byte[] plte = chunk("PLTE", bytes(255, 0, 0, 0, 255, 0, 10, 20, 30));
        byte[] trns = chunk("tRNS", bytes(255, 0, 128));
        byte[] data = png(3, 2, 2, 3, bytes(0, 0b00011000, 0, 0b10010000), plte, trns);
        assertPixels(decode("palette.png", data), 3, 2, 0xff0000, 0x00ff00, 0x0a141e, 0x0a141e, 0x00ff00, 0xff0000);
        // 8-bit palette written by ImageIO, with an alpha table
        byte[] r = {0, (byte) 200, 5};
        byte[] gg = {0, 100, 6};
        byte[] b = {0, 50, 7};
        byte[] a = {(byte) 255, 0, (byte) 128};
        BufferedImage p =
                new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 3, r, gg, b, a));
        p.getRaster().setPixels(0, 0, 3, 1, new int[] {2, 1, 0});
        assertPixels(decode("palette8.png", encode(p, "png")), 3, 1, 0x050607, 0xc86432, 0x000000);
    }

    @Test
    void rgbaPngDropsAlphaWithoutCompositing() throws IOException {
        BufferedImage img = new BufferedImage(4, 1, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, 4, 1, new int[] {0x00ff0000, 0x8000ff00, 0xff0000ff, 0x01123456}, 0, 4);
        assertPixels(decode("rgba.png", encode(img, "png")), 4, 1, 0xff0000, 0x00ff00, 0x0000ff, 0x123456);
        byte[] la8 = png(2, 1, 8, 4, bytes(0, 77, 0, 200, 255));
        assertPixels(decode("la8.png", la8), 2, 1, 0x4d4d4d, 0xc8c8c8);
        byte[] rgbTrns = png(2, 1, 8, 2, bytes(0, 1, 2, 3, 4, 5, 6), chunk("tRNS", u16(1, 2, 3)));
        assertPixels(decode("rgb-trns.png", rgbTrns), 2, 1, 0x010203, 0x040506);
    }

    // ---------------------------------------------------------------- GIF, BMP

    private static final int[] GIF_PALETTE = {0x000080, 0xff0000, 0x00ff00, 0xffffff};

    @Test
    void gifGivesTheFirstFrame() throws IOException {
        byte[] gif = TestImages.gif(
                3,
                2,
                GIF_PALETTE,
                new TestImages.GifFrame(0, 0, 3, 2, new int[] {1, 2, 3, 0, 1, 2}, false, -1),
                new TestImages.GifFrame(0, 0, 3, 2, new int[] {3, 3, 3, 3, 3, 3}, false, -1));
        assertPixels(decode("anim.gif", gif), 3, 2, 0xff0000, 0x00ff00, 0xffffff, 0x000080, 0xff0000, 0x00ff00);
    }

    @Test
    void interlacedGifFramesOfEveryHeight() throws IOException {
        // the JDK reader alone loses rows of interlaced frames 2..4 rows high; Pillow decodes them correctly
        for (int h = 1; h <= 10; h++) {
            int[] idx = new int[2 * h];
            int[] want = new int[2 * h];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = (i * 7 + i / 2) % 4;
                want[i] = GIF_PALETTE[idx[i]];
            }
            byte[] gif = TestImages.gif(2, h, GIF_PALETTE, new TestImages.GifFrame(0, 0, 2, h, idx, true, -1));
            assertPixels(decode("interlaced" + h + ".gif", gif), 2, h, want);
        }
    }

    @Test
    void gifFrameIsPlacedOnTheLogicalScreen() throws IOException {
        // a 2x1 frame at (1, 1) on a 4x3 screen: Pillow fills the rest with palette index 0, or the transparent index
        int[] idx = {1, 2};
        byte[] gif = TestImages.gif(4, 3, GIF_PALETTE, new TestImages.GifFrame(1, 1, 2, 1, idx, false, -1));
        int bg = 0x000080;
        assertPixels(decode("offset.gif", gif), 4, 3, bg, bg, bg, bg, bg, 0xff0000, 0x00ff00, bg, bg, bg, bg, bg);
        gif = TestImages.gif(4, 3, GIF_PALETTE, new TestImages.GifFrame(1, 1, 2, 1, idx, false, 3));
        bg = 0xffffff;
        assertPixels(
                decode("offset-transparent.gif", gif),
                4,
                3,
                bg,
                bg,
                bg,
                bg,
                bg,
                0xff0000,
                0x00ff00,
                bg,
                bg,
                bg,
                bg,
                bg);
    }

    @Test
    void bmpVariants() throws IOException {
        BufferedImage rgb = new BufferedImage(3, 2, BufferedImage.TYPE_3BYTE_BGR);
        rgb.setRGB(0, 0, 3, 2, new int[] {0xff0000, 0x00ff00, 0x0000ff, 0x010203, 0xfefdfc, 0x808080}, 0, 3);
        assertPixels(
                decode("rgb24.bmp", encode(rgb, "bmp")),
                3,
                2,
                0xff0000,
                0x00ff00,
                0x0000ff,
                0x010203,
                0xfefdfc,
                0x808080);
        int[] pal = new int[256];
        pal[0] = 0x102030;
        pal[1] = 0x405060;
        pal[2] = 0x708090;
        BufferedImage p = indexed(3, 1, pal, new int[] {2, 0, 1});
        assertPixels(decode("indexed8.bmp", encode(p, "bmp")), 3, 1, 0x708090, 0x102030, 0x405060);
        // 5-6-5: Pillow's "BGR;16" unpacker scales with integer floor, v * 255 / 31 (or 63)
        BufferedImage s = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_565_RGB);
        s.getRaster().setDataElements(0, 0, 2, 1, new short[] {(short) (16 << 11 | 40 << 5 | 1), (short) 0xffff});
        int r = 16 * 255 / 31;
        int g = 40 * 255 / 63;
        int b = 255 / 31;
        assertPixels(decode("rgb565.bmp", encode(s, "bmp")), 2, 1, r << 16 | g << 8 | b, 0xffffff);
    }

    private static BufferedImage indexed(int w, int h, int[] palette, int[] idx) {
        byte[] r = new byte[palette.length];
        byte[] g = new byte[palette.length];
        byte[] b = new byte[palette.length];
        for (int i = 0; i < palette.length; i++) {
            r[i] = (byte) (palette[i] >> 16);
            g[i] = (byte) (palette[i] >> 8);
            b[i] = (byte) palette[i];
        }
        BufferedImage img = new BufferedImage(
                w, h, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, palette.length, r, g, b));
        img.getRaster().setPixels(0, 0, w, h, idx);
        return img;
    }

    /** Writes frames as one GIF; {@code place} = {left, top, screenWidth, screenHeight} for the first frame. */
    private static byte[] writeGif(BufferedImage[] frames, int[] place) throws IOException {
        ImageWriter w = ImageIO.getImageWritersByFormatName("gif").next();
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bos)) {
            w.setOutput(out);
            IIOMetadata stream = w.getDefaultStreamMetadata(null);
            if (place != null) {
                String sf = "javax_imageio_gif_stream_1.0";
                IIOMetadataNode root = (IIOMetadataNode) stream.getAsTree(sf);
                IIOMetadataNode lsd = new IIOMetadataNode("LogicalScreenDescriptor");
                lsd.setAttribute("logicalScreenWidth", Integer.toString(place[2]));
                lsd.setAttribute("logicalScreenHeight", Integer.toString(place[3]));
                lsd.setAttribute("colorResolution", "8");
                lsd.setAttribute("pixelAspectRatio", "0");
                root.appendChild(lsd);
                stream.setFromTree(sf, root);
            }
            w.prepareWriteSequence(stream);
            for (int i = 0; i < frames.length; i++) {
                IIOMetadata meta =
                        w.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(frames[i]), null);
                if (place != null && i == 0) {
                    String f = "javax_imageio_gif_image_1.0";
                    IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(f);
                    IIOMetadataNode d = (IIOMetadataNode)
                            root.getElementsByTagName("ImageDescriptor").item(0);
                    d.setAttribute("imageLeftPosition", Integer.toString(place[0]));
                    d.setAttribute("imageTopPosition", Integer.toString(place[1]));
                    meta.setFromTree(f, root);
                }
                w.writeToSequence(new IIOImage(frames[i], null, meta), null);
            }
            w.endWriteSequence();
        }
        w.dispose();
        return bos.toByteArray();
    }

    // ---------------------------------------------------------------- JPEG

    @Test
    void jpegWrittenByImageIoDecodesClose() throws IOException {
        BufferedImage img = new BufferedImage(32, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 32; x++) {
                img.setRGB(x, y, x < 16 ? 0xc03020 : 0x2040a0);
            }
        }
        RgbImage got = decode("flat.jpg", encode(img, "jpg"));
        assertEquals(32, got.width());
        int[][] probes = {{4, 8, 0xc03020}, {27, 8, 0x2040a0}};
        for (int[] p : probes) {
            for (int c = 0; c < 3; c++) {
                int want = p[2] >> (16 - 8 * c) & 0xff;
                assertTrue(
                        Math.abs(got.get(p[0], p[1], c) - want) <= 4,
                        "JPEG pixel " + Arrays.toString(p) + " channel " + c + ": " + got.get(p[0], p[1], c));
            }
        }
    }

    /** JPEGs with Pillow 9.4 / libjpeg-turbo decodes committed next to them (YCbCr 4:2:0, grey, YCCK, CMYK). */
    @Test
    void jpegMatchesPillowBitForBit() throws IOException {
        for (String n : new String[] {"jpeg_ycc420", "jpeg_gray", "jpeg_ycck_magick", "jpeg_cmyk_pil"}) {
            RgbImage got = LOADER.load(TestImages.resource("pil/" + n + ".jpg"));
            RgbImage want = LOADER.load(TestImages.resource("pil/" + n + ".pil.png"));
            assertEquals(want.width(), got.width(), n);
            assertEquals(want.height(), got.height(), n);
            int max = 0;
            for (int i = 0; i < got.rgb().length; i++) {
                max = Math.max(max, Math.abs((got.rgb()[i] & 0xff) - (want.rgb()[i] & 0xff)));
            }
            System.out.printf("[ImageLoaderTest] %s.jpg vs Pillow: max |diff| %d%n", n, max);
            assertEquals(0, max, n + ".jpg differs from Pillow's decode");
        }
    }

    // ---------------------------------------------------------------- EXIF orientation

    private static byte[] halvesJpeg() throws IOException {
        BufferedImage img = new BufferedImage(16, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 16; x++) {
                img.setRGB(x, y, x < 8 ? 0xff0000 : 0x0000ff);
            }
        }
        return encode(img, "jpg");
    }

    private static boolean reddish(RgbImage img, int x, int y) {
        return img.get(x, y, 0) > 200 && img.get(x, y, 2) < 60;
    }

    @Test
    void exifOrientationIgnoredByDefaultAppliedOnRequest() throws IOException {
        byte[] jpeg6 = TestImages.withExifOrientation(halvesJpeg(), 6, false);
        RgbImage plain = LOADER.load(jpeg6, "rot6.jpg");
        assertEquals(16, plain.width());
        assertEquals(8, plain.height());
        RgbImage turned = LOADER.withExifOrientation(true).load(jpeg6, "rot6.jpg");
        // 6 = ROTATE_270 (90 degrees clockwise): the left (red) half becomes the top
        assertEquals(8, turned.width());
        assertEquals(16, turned.height());
        assertTrue(reddish(turned, 4, 2) && !reddish(turned, 4, 13), "orientation 6 not applied as a clockwise turn");
        byte[] jpeg8 = TestImages.withExifOrientation(halvesJpeg(), 8, true);
        RgbImage ccw = LOADER.withExifOrientation(true).load(jpeg8, "rot8.jpg");
        assertTrue(!reddish(ccw, 4, 2) && reddish(ccw, 4, 13), "orientation 8 not applied as a counter-clockwise turn");
        // PNG eXIf chunk, orientation 3 (ROTATE_180)
        byte[] app1 =
                TestImages.withExifOrientation(bytes(0xFF, 0xD8), 3, false); // SOI, APP1 (marker, length, Exif\0\0)
        byte[] exif = Arrays.copyOfRange(app1, 2 + 4 + 6, app1.length);
        byte[] pngData = png(2, 1, 8, 2, bytes(0, 1, 2, 3, 4, 5, 6), chunk("eXIf", exif));
        assertPixels(LOADER.load(pngData, "exif.png"), 2, 1, 0x010203, 0x040506);
        assertPixels(LOADER.withExifOrientation(true).load(pngData, "exif.png"), 2, 1, 0x040506, 0x010203);
    }

    @Test
    void allEightOrientationsMatchPillowTransposes() {
        byte[] px = new byte[18]; // 3x2, pixel value i in every channel
        for (int i = 0; i < 6; i++) {
            Arrays.fill(px, 3 * i, 3 * i + 3, (byte) i);
        }
        RgbImage img = new RgbImage(3, 2, px);
        // np.array(Image.fromarray(np.arange(6).reshape(2, 3)).transpose(method)) for exif_transpose's methods
        int[][] want = {
            {0, 1, 2, 3, 4, 5},
            {2, 1, 0, 5, 4, 3},
            {5, 4, 3, 2, 1, 0},
            {3, 4, 5, 0, 1, 2},
            {0, 3, 1, 4, 2, 5},
            {3, 0, 4, 1, 5, 2},
            {5, 2, 4, 1, 3, 0},
            {2, 5, 1, 4, 0, 3}
        };
        for (int o = 1; o <= 8; o++) {
            RgbImage t = ExifOrientation.apply(img, o);
            assertEquals(o >= 5 ? 2 : 3, t.width(), "orientation " + o);
            int[] got = new int[6];
            for (int i = 0; i < 6; i++) {
                got[i] = t.get(i % t.width(), i / t.width(), 0);
            }
            assertArrayEquals(want[o - 1], got, "orientation " + o);
        }
        assertEquals(1, ExifOrientation.parse(null));
        assertEquals(1, ExifOrientation.parse(bytes(1, 2, 3)));
    }

    // ---------------------------------------------------------------- errors

    private ImageDecodeException failure(Path f) {
        return assertThrows(ImageDecodeException.class, () -> LOADER.load(f));
    }

    private static void assertMessage(ImageDecodeException e, String source, String... parts) {
        String m = e.getMessage();
        assertTrue(m.startsWith(source + ": "), "message should start with the source: " + m);
        for (String p : parts) {
            assertTrue(m.toLowerCase().contains(p.toLowerCase()), "message lacks '" + p + "': " + m);
        }
    }

    @Test
    void emptyFile() throws IOException {
        Path f = TestImages.write(tmp, "empty.jpg", new byte[0]);
        assertMessage(failure(f), f.toString(), "empty");
    }

    @Test
    void missingFileAndDirectory() {
        Path f = tmp.resolve("nope.png");
        assertMessage(failure(f), f.toString(), "not found");
        assertMessage(failure(tmp), tmp.toString(), "directory");
    }

    @Test
    void textFileNamedPng() throws IOException {
        Path f = TestImages.write(tmp, "notes.png", "hello, this is not a picture\n".getBytes(StandardCharsets.UTF_8));
        assertMessage(failure(f), f.toString(), "not a recognised image format", "hello");
    }

    @Test
    void truncatedFiles() throws IOException {
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                img.setRGB(x, y, (x * 6) << 16 | (y * 8) << 8 | ((x * y) & 0xff));
            }
        }
        for (String fmt : new String[] {"png", "jpg", "bmp", "gif"}) {
            byte[] full = encode(img, fmt);
            Path f = TestImages.write(tmp, "cut." + fmt, Arrays.copyOf(full, full.length * 6 / 10));
            assertMessage(failure(f), f.toString(), "truncated");
        }
    }

    @Test
    void corruptPngData() throws IOException {
        byte[] data = png(4, 4, 8, 2, new byte[4 * 13]);
        int idat = indexOf(data, "IDAT".getBytes(StandardCharsets.ISO_8859_1));
        for (int i = idat + 6; i < idat + 12; i++) {
            data[i] ^= 0x5a; // breaks the zlib stream (the CRC is not checked by ImageIO)
        }
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> LOADER.load(data, "broken.png"));
        assertMessage(e, "broken.png", "PNG");
    }

    private static int indexOf(byte[] a, byte[] b) {
        outer:
        for (int i = 0; i + b.length <= a.length; i++) {
            for (int j = 0; j < b.length; j++) {
                if (a[i + j] != b[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void decompressionBombIsRefusedFromTheHeader() throws IOException {
        // IHDR claims 50000x50000 RGB (7.5 GB decoded); the data is a few bytes
        byte[] bomb = png(50000, 50000, 8, 2, new byte[64]);
        Path f = TestImages.write(tmp, "bomb.png", bomb);
        long t0 = System.nanoTime();
        ImageDecodeException e = failure(f);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertMessage(e, f.toString(), "decompression bomb", "50000x50000", "2500000000", "178956970");
        assertTrue(ms < 2000, "bomb refusal took " + ms + " ms");
        // an explicit lower limit refuses ordinary images too; a higher one is accepted
        byte[] small = png(4, 4, 8, 0, new byte[4 * 5]);
        assertThrows(ImageDecodeException.class, () -> LOADER.withMaxPixels(15).load(small, "small.png"));
        assertEquals(4, LOADER.withMaxPixels(16).load(small, "small.png").width());
    }

    @Test
    void streamsAndBytesUseTheDisplayName() throws IOException {
        byte[] data = png(2, 1, 8, 2, bytes(0, 9, 8, 7, 6, 5, 4));
        assertPixels(LOADER.load(new ByteArrayInputStream(data), "upload #1"), 2, 1, 0x090807, 0x060504);
        ImageDecodeException e = assertThrows(
                ImageDecodeException.class,
                () -> LOADER.load(new ByteArrayInputStream(new byte[] {1, 2, 3}), "upload #2"));
        assertMessage(e, "upload #2", "not a recognised image format");
        assertEquals("upload #2", e.source());
        assertMessage(
                assertThrows(ImageDecodeException.class, () -> LOADER.load(new byte[0], "nothing")),
                "nothing",
                "empty");
    }
}
