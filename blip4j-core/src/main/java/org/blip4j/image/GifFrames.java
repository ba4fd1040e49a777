package org.blip4j.image;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.EOFException;
import java.io.IOException;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/**
 * GIF first-frame handling as Pillow's GifImagePlugin does it: the frame is placed on its logical screen (grown if the
 * frame sticks out), the rest filled with the frame's transparent index if it has one, else index 0, seen through the
 * frame's palette. Also works around the JDK GIF reader, which loses rows of interlaced frames 2 to 4 rows high:
 * interlaced frames are decoded with the interlace flag cleared and reordered here.
 */
final class GifFrames {
    private GifFrames() {}

    /** Where frame 0 goes: left, top, canvas width and height, fill index (read from metadata, before decoding). */
    record Layout(int left, int top, int width, int height, int fillIndex) {}

    static Layout layout(ImageReader reader) throws IOException {
        IIOMetadata sm = reader.getStreamMetadata();
        Node lsd = child(sm == null ? null : sm.getAsTree("javax_imageio_gif_stream_1.0"), "LogicalScreenDescriptor");
        IIOMetadata meta = reader.getImageMetadata(0);
        Node root = meta == null ? null : meta.getAsTree("javax_imageio_gif_image_1.0");
        Node desc = child(root, "ImageDescriptor");
        int left = desc == null ? 0 : intAttr(desc, "imageLeftPosition");
        int top = desc == null ? 0 : intAttr(desc, "imageTopPosition");
        int fw = desc == null ? reader.getWidth(0) : intAttr(desc, "imageWidth");
        int fh = desc == null ? reader.getHeight(0) : intAttr(desc, "imageHeight");
        int sw = lsd == null ? 0 : intAttr(lsd, "logicalScreenWidth");
        int sh = lsd == null ? 0 : intAttr(lsd, "logicalScreenHeight");
        int fillIndex = 0;
        Node gce = child(root, "GraphicControlExtension");
        if (gce != null && "TRUE".equalsIgnoreCase(attr(gce, "transparentColorFlag"))) {
            fillIndex = intAttr(gce, "transparentColorIndex");
        }
        return new Layout(left, top, Math.max(sw, left + fw), Math.max(sh, top + fh), fillIndex);
    }

    static RgbImage place(RgbImage frame, BufferedImage decoded, Layout l) {
        if (l.left() == 0 && l.top() == 0 && l.width() == frame.width() && l.height() == frame.height()) {
            return frame;
        }
        int fill = l.fillIndex() * 0x010101; // Pillow's palette is a grey ramp beyond the file's entries
        if (decoded.getColorModel() instanceof IndexColorModel icm && l.fillIndex() < icm.getMapSize()) {
            fill = icm.getRGB(l.fillIndex()) & 0xffffff;
        }
        int cw = l.width();
        byte[] out = new byte[cw * l.height() * 3];
        for (int i = 0; i < out.length; i += 3) {
            out[i] = (byte) (fill >> 16);
            out[i + 1] = (byte) (fill >> 8);
            out[i + 2] = (byte) fill;
        }
        int fw = Math.min(frame.width(), cw - l.left());
        for (int y = 0; y < frame.height() && l.top() + y < l.height(); y++) {
            System.arraycopy(frame.rgb(), y * frame.width() * 3, out, ((l.top() + y) * cw + l.left()) * 3, fw * 3);
        }
        return new RgbImage(cw, l.height(), out);
    }

    /**
     * Stream offset of the first image descriptor's flags byte when that frame is interlaced (the caller clears the
     * flag in a copy, so the JDK decodes rows in stream order, then calls {@link #deinterlace}); -1 when it is not
     * interlaced or the block structure cannot be followed (the decoder then reports the problem).
     */
    static long interlaceFlagOffset(ImageInputStream in) throws IOException {
        try {
            in.seek(10);
            int flags = in.readUnsignedByte();
            long p = 13 + ((flags & 0x80) != 0 ? 3L * (2 << (flags & 7)) : 0);
            while (true) {
                in.seek(p);
                int b = in.readUnsignedByte();
                if (b == 0x21) { // extension: label, then data sub-blocks up to a zero length
                    in.readUnsignedByte();
                    for (int n; (n = in.readUnsignedByte()) != 0; ) {
                        in.seek(in.getStreamPosition() + n);
                    }
                    p = in.getStreamPosition();
                } else if (b == 0x2C) {
                    in.seek(p + 9);
                    return (in.readUnsignedByte() & 0x40) != 0 ? p + 9 : -1;
                } else {
                    return -1;
                }
            }
        } catch (EOFException e) {
            return -1;
        }
    }

    /** Puts the rows of a frame decoded in stream order where GIF interlacing says (passes 0/8, 4/8, 2/4, 1/2). */
    static RgbImage deinterlace(RgbImage f) {
        int h = f.height();
        int stride = f.width() * 3;
        byte[] out = new byte[f.rgb().length];
        int k = 0;
        int[][] passes = {{0, 8}, {4, 8}, {2, 4}, {1, 2}};
        for (int[] pass : passes) {
            for (int y = pass[0]; y < h; y += pass[1], k++) {
                System.arraycopy(f.rgb(), k * stride, out, y * stride, stride);
            }
        }
        return new RgbImage(f.width(), h, out);
    }

    static Node child(Node parent, String name) {
        if (parent == null) {
            return null;
        }
        for (Node c = parent.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (name.equals(c.getNodeName())) {
                return c;
            }
        }
        return null;
    }

    private static String attr(Node n, String name) {
        NamedNodeMap a = n.getAttributes();
        Node v = a == null ? null : a.getNamedItem(name);
        return v == null ? null : v.getNodeValue();
    }

    private static int intAttr(Node n, String name) {
        String v = attr(n, name);
        return v == null ? 0 : Integer.parseInt(v);
    }
}
