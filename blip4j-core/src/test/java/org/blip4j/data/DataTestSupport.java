package org.blip4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import javax.imageio.ImageIO;
import org.blip4j.image.RgbImage;

/** Test helpers: synthetic images, PNG files, a tiny vocabulary and the committed transform goldens. */
final class DataTestSupport {
    private DataTestSupport() {}

    /** The formula image of make_goldens.py. */
    static RgbImage pattern(int w, int h) {
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = (y * w + x) * 3;
                rgb[o] = (byte) ((x * 7 + y * 3) % 256);
                rgb[o + 1] = (byte) ((x * x + y * 5 + 40) % 256);
                rgb[o + 2] = (byte) ((x * y * 11 + 13) % 256);
            }
        }
        return new RgbImage(w, h, rgb);
    }

    /** An image whose every channel of pixel (x, y) is {@code f(x, y)}. */
    static RgbImage grey(int w, int h, java.util.function.IntBinaryOperator f) {
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = f.applyAsInt(x, y);
                for (int c = 0; c < 3; c++) {
                    rgb[(y * w + x) * 3 + c] = (byte) v;
                }
            }
        }
        return new RgbImage(w, h, rgb);
    }

    static RgbImage fromHex(int w, int h, String hex) {
        return new RgbImage(w, h, HexFormat.of().parseHex(hex));
    }

    /** Writes {@code img} as a PNG file. */
    static Path writePng(Path file, RgbImage img) {
        BufferedImage bi = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                bi.setRGB(x, y, img.rgbAt(x, y));
            }
        }
        try {
            Files.createDirectories(file.getParent());
            ImageIO.write(bi, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** A vocab.txt holding the special tokens and a few words (enough for BertTokenizer). */
    static Path vocab(Path dir) throws IOException {
        String words = String.join(
                "\n",
                "[PAD]",
                "[unused0]",
                "[UNK]",
                "[CLS]",
                "[SEP]",
                "[MASK]",
                "a",
                "picture",
                "of",
                "dog",
                "cat",
                "the",
                "left",
                "right",
                "is",
                "on",
                "what",
                "color",
                "red",
                "blue",
                "two",
                "dogs",
                "there",
                "are",
                "yes",
                "no",
                "##s",
                "sitting",
                "man",
                "riding",
                "horse");
        return write(dir.resolve("vocab.txt"), words + "\n");
    }

    static JsonNode goldens() {
        try (InputStream in = DataTestSupport.class.getResourceAsStream("/data/transform_goldens.json")) {
            if (in == null) {
                throw new IllegalStateException("test resource data/transform_goldens.json is missing");
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
