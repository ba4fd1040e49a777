package org.blip4j.shapes;

import java.awt.geom.Path2D;
import java.util.Objects;

/**
 * One object of a scene. Coordinates are in pixels (y down), quantised so that scene descriptions written as JSON
 * read back exactly.
 *
 * @param shape its kind
 * @param color its colour class
 * @param size its size class
 * @param x centre x
 * @param y centre y
 * @param radius the scale of its unit outline
 * @param rotation degrees, clockwise
 * @param rgb the drawn 0xRRGGBB (the canonical colour with a little jitter)
 * @param x0 bounding box left
 * @param y0 bounding box top
 * @param x1 bounding box right
 * @param y1 bounding box bottom
 * @param outline the proportions it is drawn with ({@link Outline#STANDARD} in the world's datasets; the bounding
 *     box is that of the standard outline)
 */
public record SceneObject(
        ShapeKind shape,
        ShapeColor color,
        SizeClass size,
        double x,
        double y,
        double radius,
        double rotation,
        int rgb,
        double x0,
        double y0,
        double x1,
        double y1,
        Outline outline) {
    public SceneObject {
        Objects.requireNonNull(outline, "outline");
    }

    /** The same object drawn with other proportions. */
    public SceneObject withOutline(Outline o) {
        return new SceneObject(shape, color, size, x, y, radius, rotation, rgb, x0, y0, x1, y1, o);
    }

    /** The region of the image its centre lies in. */
    public Region region(int imageSize) {
        return Region.of(x, y, imageSize);
    }

    /** Its outline in image coordinates. */
    public Path2D.Double path() {
        return shape.path(x, y, radius, rotation, outline);
    }

    /** Whether it fits a description; null attributes match anything. */
    public boolean matches(SizeClass s, ShapeColor c, ShapeKind k) {
        return (s == null || s == size) && (c == null || c == color) && (k == null || k == shape);
    }
}
