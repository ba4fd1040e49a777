package org.blip4j.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import org.blip4j.Blip;
import org.blip4j.image.ImageDecodeException;
import org.blip4j.image.RgbImage;

/**
 * Reads images named by a table through the Hadoop FileSystem API (local files, HDFS, S3A, ... whatever the cluster's
 * Hadoop configuration can open) and decodes them with blip4j's loader, exactly as a local file would be decoded.
 */
final class ImageSource implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Larger encoded files are refused before they are read (the loader cannot take more than a Java array). */
    static final long MAX_BYTES = Integer.MAX_VALUE - 16;

    private final String root;
    private final Broadcast<SerializableConfiguration> hadoop;

    /**
     * @param root the folder relative image paths are resolved against (null: paths are used as they are)
     * @param hadoop the driver's Hadoop configuration, broadcast
     */
    ImageSource(String root, Broadcast<SerializableConfiguration> hadoop) {
        this.root = root == null ? null : stripSlash(root);
        this.hadoop = hadoop;
    }

    /**
     * The location of an image path as the table gives it: absolute paths and URIs as they are, others relative to
     * the root (as {@code Path.resolve} does for the single-machine pipeline).
     */
    String resolve(String image) {
        if (root == null || image.startsWith("/") || image.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*")) {
            return image;
        }
        return root + "/" + image;
    }

    /** Reads and decodes one image with the model's loader; every failure is an IOException naming the problem. */
    RgbImage read(Blip model, String image) throws IOException {
        String location = resolve(image);
        return model.readImage(bytes(location, hadoop.value().value()), location);
    }

    /** The bytes of a file on any Hadoop file system. */
    static byte[] bytes(String location, Configuration conf) throws IOException {
        Path p = new Path(location);
        FileSystem fs = p.getFileSystem(conf);
        FileStatus st;
        try {
            st = fs.getFileStatus(p);
        } catch (FileNotFoundException e) {
            throw new ImageDecodeException(location, "file not found");
        }
        if (st.isDirectory()) {
            throw new ImageDecodeException(location, "is a directory, not an image file");
        }
        if (st.getLen() > MAX_BYTES) {
            throw new ImageDecodeException(location, "encoded image larger than 2 GiB");
        }
        byte[] data = new byte[(int) st.getLen()];
        try (FSDataInputStream in = fs.open(p)) {
            in.readFully(0, data);
        }
        return data;
    }

    /** A one-line reason an image could not be used, without its location (the row names it). */
    static String describe(Exception e) {
        if (e instanceof ImageDecodeException d) {
            return d.problem();
        }
        if (e instanceof FileNotFoundException) {
            return "file not found";
        }
        String m = e.getMessage();
        return m == null || m.isBlank()
                ? e.getClass().getSimpleName()
                : m.lines().findFirst().orElse(m);
    }

    private static String stripSlash(String s) {
        return s.length() > 1 && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
